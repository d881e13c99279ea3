package dev.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KubernetesManifestsTest {
    private static final String GATEWAY = "gateway";

    private static JsonNode kustomization;
    /** Every parsed manifest, keyed by "file#index". */
    private static final Map<String, HasMetadata> manifests = new LinkedHashMap<>();

    @BeforeAll
    static void parseAll() {
        Path dir = DeployFiles.kubernetesDir();
        kustomization = DeployFiles.yaml(dir.resolve("kustomization.yaml"));
        for (String resource : resources()) {
            Path file = dir.resolve(resource);
            if (!Files.isRegularFile(file)) continue; // reported by kustomizationListsExactlyTheManifestFilesOfTheFolder
            List<JsonNode> docs = DeployFiles.yamlDocuments(file);
            for (int i = 0; i < docs.size(); i++) {
                manifests.put(resource + "#" + i, StrictModel.parse(docs.get(i), resource + " (document " + (i + 1) + ")"));
            }
        }
    }

    @Test
    void everyManifestParsesIntoItsTypedFabric8ClassWithoutUnknownFields() {
        // parseAll() already failed on an unknown kind or field; here: every listed file held at least one manifest.
        assertThat(manifests).isNotEmpty();
        for (String resource : resources()) {
            assertThat(manifests.keySet()).as("manifests in " + resource).anyMatch(k -> k.startsWith(resource + "#"));
        }
        assertThat(manifests.values()).allSatisfy(m -> assertThat(m.getMetadata().getName()).isNotBlank());
    }

    @Test
    void aMisspeltFieldIsReportedWithItsPathInsteadOfBeingIgnored() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: typo}
                spec:
                  selector: {matchLabels: {app: x}}
                  template:
                    metadata: {labels: {app: x}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          readinesProbe: {httpGet: {path: /q/health/ready, port: 8080}}
                """;
        assertThatThrownBy(() -> StrictModel.parse(DeployFiles.yaml(yaml, "typo.yaml"), "typo.yaml"))
                .hasMessageContaining("spec.template.spec.containers[0].readinesProbe");
    }

    @Test
    void kustomizationListsExactlyTheManifestFilesOfTheFolder() throws IOException {
        assertThat(kustomization.path("apiVersion").asText()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        Path dir = DeployFiles.kubernetesDir();
        for (String resource : resources()) {
            assertThat(dir.resolve(resource)).as("resource listed in kustomization.yaml").isRegularFile();
        }
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("kustomization.yaml")).sorted().toList();
        }
        assertThat(resources()).as("resources of kustomization.yaml").containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void everyNamespacedResourceLivesInTheNamespaceThatTheKustomizationCreates() {
        List<Namespace> namespaces = all(Namespace.class);
        assertThat(namespaces).hasSize(1);
        String ns = namespaces.get(0).getMetadata().getName();
        assertThat(kustomization.path("namespace").asText()).isEqualTo(ns);
        manifests.forEach((where, m) -> {
            if (!(m instanceof Namespace)) assertThat(m.getMetadata().getNamespace()).as(where).isEqualTo(ns);
        });
    }

    @Test
    void theContainerImageIsTheOneTheKustomizationSets() {
        Set<String> images = new HashSet<>();
        kustomization.path("images").forEach(i -> images.add(i.path("name").asText()));
        assertThat(images).contains(gatewayContainer().getImage());
    }

    @Test
    void probesPointAtTheLiveAndReadyHealthEndpointsOnTheContainerPort() {
        Container c = gatewayContainer();
        int port = containerPort(c);
        assertThat(port).isEqualTo(8080);
        assertProbe(c, c.getReadinessProbe(), DeployFiles.READY, port, "readinessProbe");
        assertProbe(c, c.getLivenessProbe(), DeployFiles.LIVE, port, "livenessProbe");
        assertProbe(c, c.getStartupProbe(), DeployFiles.LIVE, port, "startupProbe");
        env(c, "QUARKUS_HTTP_PORT").ifPresent(v -> assertThat(v.getValue()).isEqualTo(String.valueOf(port)));
    }

    @Test
    void theDeploymentOnlySetsGatewaySettingsThatTheGatewayKnows() {
        List<String> names = gatewayContainer().getEnv().stream().map(EnvVar::getName).toList();
        assertThat(names).doesNotHaveDuplicates();
        assertThat(names.stream().filter(n -> n.startsWith("GATEWAY_"))).isSubsetOf(DeployFiles.GATEWAY_ENV);
        assertThat(names).contains("GATEWAY_CONFIG", "GATEWAY_DATA_DIR", "GATEWAY_DB_URL", "GATEWAY_DB_PASSWORD", "GATEWAY_ADMIN_KEY");
        assertThat(env(gatewayContainer(), "GATEWAY_DB_URL").orElseThrow().getValue()).startsWith("jdbc:postgresql://");
        assertThat(env(gatewayContainer(), "GATEWAY_ADMIN_KEY").orElseThrow().getValueFrom().getSecretKeyRef())
                .as("the admin key comes from a Secret").isNotNull();
    }

    @Test
    void everySecretAndConfigMapReferenceNamesAKeyThatExists() {
        Map<String, Set<String>> secretKeys = new LinkedHashMap<>();
        for (Secret s : all(Secret.class)) {
            Set<String> keys = new HashSet<>();
            if (s.getData() != null) keys.addAll(s.getData().keySet());
            if (s.getStringData() != null) keys.addAll(s.getStringData().keySet());
            secretKeys.put(s.getMetadata().getName(), keys);
        }
        Map<String, Set<String>> configMapKeys = new LinkedHashMap<>();
        for (ConfigMap cm : all(ConfigMap.class)) configMapKeys.put(cm.getMetadata().getName(), cm.getData().keySet());

        List<String> checked = new ArrayList<>();
        for (Deployment d : all(Deployment.class)) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            for (Container c : pod.getContainers()) {
                for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
                    if (e.getValueFrom() == null) continue;
                    var sk = e.getValueFrom().getSecretKeyRef();
                    if (sk != null) {
                        checked.add(e.getName());
                        // An optional reference to a Secret managed outside these manifests (e.g. hf-token) may be absent.
                        if (Boolean.TRUE.equals(sk.getOptional()) && !secretKeys.containsKey(sk.getName())) continue;
                        assertThat(secretKeys).as(d.getMetadata().getName() + " env " + e.getName() + ": Secret").containsKey(sk.getName());
                        assertThat(secretKeys.get(sk.getName())).as(e.getName() + ": key of Secret " + sk.getName()).contains(sk.getKey());
                    }
                    var ck = e.getValueFrom().getConfigMapKeyRef();
                    if (ck != null) {
                        checked.add(e.getName());
                        assertThat(configMapKeys).as(e.getName() + ": ConfigMap").containsKey(ck.getName());
                        assertThat(configMapKeys.get(ck.getName())).as(e.getName() + ": key of ConfigMap " + ck.getName()).contains(ck.getKey());
                    }
                }
            }
            for (Volume v : Optional.ofNullable(pod.getVolumes()).orElse(List.of())) {
                if (v.getConfigMap() != null) {
                    checked.add("volume " + v.getName());
                    assertThat(configMapKeys).as("volume " + v.getName()).containsKey(v.getConfigMap().getName());
                    Optional.ofNullable(v.getConfigMap().getItems()).orElse(List.of()).forEach(item ->
                            assertThat(configMapKeys.get(v.getConfigMap().getName())).as("volume " + v.getName() + " item").contains(item.getKey()));
                }
                if (v.getSecret() != null) {
                    checked.add("volume " + v.getName());
                    assertThat(secretKeys).as("volume " + v.getName()).containsKey(v.getSecret().getSecretName());
                }
            }
        }
        assertThat(checked).contains("GATEWAY_ADMIN_KEY", "GATEWAY_DB_PASSWORD", "volume config");
    }

    @Test
    void gatewayConfigPointsAtTheMountedConfigMapFile() {
        Container c = gatewayContainer();
        String configPath = env(c, "GATEWAY_CONFIG").orElseThrow().getValue();
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> configPath.startsWith(m.getMountPath() + "/")).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mounted above GATEWAY_CONFIG " + configPath));
        Volume volume = gatewayPod().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertThat(volume.getConfigMap()).as("volume " + volume.getName() + " is a ConfigMap").isNotNull();
        String fileName = configPath.substring(mount.getMountPath().length() + 1);
        var items = volume.getConfigMap().getItems();
        String key = items == null || items.isEmpty() ? fileName
                : items.stream().filter(i -> i.getPath().equals(fileName)).findFirst().orElseThrow().getKey();
        assertThat(configMap(volume.getConfigMap().getName()).getData()).containsKey(key);
    }

    @Test
    void theConfigMapGatewayYamlIsValidAndEveryVariableItRequiresIsSetByTheDeployment() {
        String text = configMap("gateway-config").getData().get("gateway.yaml");
        assertThat(GatewayYaml.problems(DeployFiles.yaml(text, "configmap.yaml gateway.yaml"))).isEmpty();
        Set<String> envNames = new HashSet<>(gatewayContainer().getEnv().stream().map(EnvVar::getName).toList());
        assertThat(GatewayYaml.requiredVariables(DeployFiles.yaml(text, "configmap.yaml gateway.yaml"))).isNotEmpty().allSatisfy(v -> assertThat(envNames).as("env of the gateway container").contains(v));
    }

    @Test
    void theGatewayRunsAsNonRootOnAReadOnlyRootFilesystemWithWritableDataAndTmp() {
        PodSpec pod = gatewayPod();
        Container c = gatewayContainer();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
        String dataDir = env(c, "GATEWAY_DATA_DIR").orElseThrow().getValue();
        for (String path : List.of(dataDir, "/tmp")) {
            VolumeMount m = c.getVolumeMounts().stream().filter(vm -> vm.getMountPath().equals(path)).findFirst()
                    .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
            Volume v = pod.getVolumes().stream().filter(vol -> vol.getName().equals(m.getName())).findFirst().orElseThrow();
            assertThat(v.getEmptyDir()).as(path + " is an emptyDir").isNotNull();
            assertThat(m.getReadOnly()).as(path + " is writable").isNotEqualTo(Boolean.TRUE);
        }
    }

    @Test
    void theDeploymentRunsTwoReplicasWithResourcesAndRollsOneReplicaAtATime() {
        Deployment d = gatewayDeployment();
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        var rolling = d.getSpec().getStrategy().getRollingUpdate();
        assertThat(rolling.getMaxUnavailable().getIntVal()).isZero();
        assertThat(rolling.getMaxSurge().getIntVal()).isEqualTo(1);
        Map<String, Quantity> requests = gatewayContainer().getResources().getRequests();
        assertThat(requests).containsKeys("cpu", "memory");
        assertThat(gatewayContainer().getResources().getLimits()).containsKey("memory");
    }

    @Test
    void theAutoscalerTargetsTheGatewayDeploymentOnCpu() {
        List<HorizontalPodAutoscaler> hpas = all(HorizontalPodAutoscaler.class);
        assertThat(hpas).hasSize(1);
        var spec = hpas.get(0).getSpec();
        Deployment d = gatewayDeployment();
        assertThat(spec.getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(spec.getScaleTargetRef().getApiVersion()).isEqualTo(d.getApiVersion());
        assertThat(spec.getScaleTargetRef().getName()).isEqualTo(d.getMetadata().getName());
        assertThat(spec.getMinReplicas()).isGreaterThanOrEqualTo(d.getSpec().getReplicas()).isLessThanOrEqualTo(spec.getMaxReplicas());
        assertThat(spec.getMetrics()).anySatisfy(m -> {
            assertThat(m.getType()).isEqualTo("Resource");
            assertThat(m.getResource().getName()).isEqualTo("cpu");
        });
        assertThat(gatewayContainer().getResources().getRequests()).as("CPU utilisation needs a CPU request").containsKey("cpu");
    }

    @Test
    void theServiceAndTheDisruptionBudgetSelectTheGatewayPods() {
        Map<String, String> podLabels = gatewayDeployment().getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(gatewayDeployment().getSpec().getSelector().getMatchLabels());
        Service svc = all(Service.class).stream().filter(s -> s.getMetadata().getName().equals(GATEWAY)).findFirst().orElseThrow();
        assertThat(podLabels).containsAllEntriesOf(svc.getSpec().getSelector());
        for (var p : svc.getSpec().getPorts()) assertThat(resolvePort(gatewayContainer(), p.getTargetPort())).isEqualTo(containerPort(gatewayContainer()));
        List<PodDisruptionBudget> pdbs = all(PodDisruptionBudget.class);
        assertThat(pdbs).hasSize(1);
        assertThat(podLabels).containsAllEntriesOf(pdbs.get(0).getSpec().getSelector().getMatchLabels());
        assertThat(pdbs.get(0).getSpec().getMinAvailable().getIntVal()).isLessThan(gatewayDeployment().getSpec().getReplicas());
    }

    @Test
    void theVllmExampleRequestsAGpuAndIsAnOpenProviderOfTheGatewayConfig() {
        Deployment vllm = all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals("vllm")).findFirst().orElseThrow();
        Container c = vllm.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).startsWith("vllm/vllm-openai");
        assertThat(c.getResources().getLimits()).containsKey("nvidia.com/gpu");
        Service svc = all(Service.class).stream().filter(s -> s.getMetadata().getName().equals("vllm")).findFirst().orElseThrow();
        assertThat(vllm.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(svc.getSpec().getSelector());
        int port = svc.getSpec().getPorts().get(0).getPort();
        assertThat(resolvePort(c, svc.getSpec().getPorts().get(0).getTargetPort())).isEqualTo(containerPort(c));

        JsonNode config = DeployFiles.yaml(configMap("gateway-config").getData().get("gateway.yaml"), "gateway.yaml");
        String host = "//" + svc.getMetadata().getName() + "." + svc.getMetadata().getNamespace() + ".svc.cluster.local:" + port + "/v1";
        String provider = null;
        for (var it = config.path("providers").fields(); it.hasNext(); ) {
            var p = it.next();
            if (p.getValue().path("type").asText().equals("openai-compatible") && p.getValue().path("base_url").asText().contains(host)) provider = p.getKey();
        }
        assertThat(provider).as("an openai-compatible provider whose base_url is " + host).isNotNull();
        String servedModel = c.getArgs().stream().filter(a -> a.startsWith("--served-model-name=")).findFirst().orElseThrow()
                .substring("--served-model-name=".length());
        final String vllmProvider = provider;
        List<JsonNode> open = new ArrayList<>();
        config.path("deployments").forEach(d -> { if (d.path("provider").asText().equals(vllmProvider)) open.add(d); });
        assertThat(open).isNotEmpty().allSatisfy(d -> {
            assertThat(d.path("class").asText()).isEqualTo("open");
            assertThat(d.path("model").asText()).isEqualTo(servedModel);
        });
    }

    // ---- helpers ----

    private static List<String> resources() {
        List<String> out = new ArrayList<>();
        kustomization.path("resources").forEach(r -> out.add(r.asText()));
        return out;
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return manifests.values().stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static Deployment gatewayDeployment() {
        return all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(GATEWAY)).findFirst()
                .orElseThrow(() -> new AssertionError("no Deployment named " + GATEWAY));
    }

    private static PodSpec gatewayPod() {
        return gatewayDeployment().getSpec().getTemplate().getSpec();
    }

    private static Container gatewayContainer() {
        return gatewayPod().getContainers().stream().filter(c -> c.getName().equals(GATEWAY)).findFirst().orElseThrow();
    }

    private static ConfigMap configMap(String name) {
        return all(ConfigMap.class).stream().filter(c -> c.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ConfigMap named " + name));
    }

    private static Optional<EnvVar> env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    private static int containerPort(Container c) {
        assertThat(c.getPorts()).as("ports of container " + c.getName()).hasSize(1);
        return c.getPorts().get(0).getContainerPort();
    }

    /** A port given as a number or as the name of a container port. */
    private static int resolvePort(Container c, IntOrString port) {
        if (port.getIntVal() != null) return port.getIntVal();
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("container " + c.getName() + " has no port named " + port.getStrVal()));
    }

    private static void assertProbe(Container c, Probe probe, String path, int port, String what) {
        assertThat(probe).as(what).isNotNull();
        assertThat(probe.getHttpGet()).as(what + ".httpGet").isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(what + ".httpGet.path").isEqualTo(path);
        assertThat(resolvePort(c, probe.getHttpGet().getPort())).as(what + ".httpGet.port").isEqualTo(port);
    }
}
