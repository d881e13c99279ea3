package dev.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ComposeFileTest {
    private static final Path COMPOSE = DeployFiles.deployDir().resolve("docker-compose.yml");
    private static final JsonNode FILE = DeployFiles.yaml(COMPOSE);
    private static final JsonNode SERVICES = FILE.path("services");
    private static final JsonNode GATEWAY = SERVICES.path("gateway");

    @Test
    void theComposeFileParsesAndEveryServiceHasAnImageOrABuild() {
        assertThat(FILE.isObject()).isTrue();
        assertThat(FILE.fieldNames()).toIterable().isSubsetOf("name", "services", "volumes", "networks", "configs", "secrets");
        assertThat(SERVICES.fieldNames()).toIterable().contains("postgres", "gateway");
        SERVICES.fields().forEachRemaining(s ->
                assertThat(s.getValue().has("image") || s.getValue().has("build")).as("service " + s.getKey() + " has an image or a build").isTrue());
    }

    @Test
    void theGatewayIsBuiltFromTheDockerfileWithTheRepositoryRootAsContext() {
        JsonNode build = GATEWAY.path("build");
        Path context = DeployFiles.deployDir().resolve(build.path("context").asText()).normalize();
        assertThat(context).isEqualTo(DeployFiles.repoRoot());
        Path dockerfile = context.resolve(build.path("dockerfile").asText()).normalize();
        assertThat(dockerfile).isRegularFile().isEqualTo(DeployFiles.deployDir().resolve("Dockerfile"));
    }

    @Test
    void everyMountedHostPathExistsAndEveryNamedVolumeIsDeclared() {
        List<String> mounted = new ArrayList<>();
        SERVICES.fields().forEachRemaining(s -> s.getValue().path("volumes").forEach(v -> {
            String source = v.isTextual() ? v.asText().split(":")[0] : v.path("source").asText();
            if (source.startsWith(".") || source.startsWith("/")) {
                assertThat(DeployFiles.deployDir().resolve(source).normalize()).as(s.getKey() + " mounts " + source).exists();
            } else {
                assertThat(FILE.path("volumes").has(source)).as(s.getKey() + ": named volume " + source + " is declared").isTrue();
            }
            mounted.add(source);
        }));
        assertThat(mounted).contains("./compose/gateway.yaml");
    }

    @Test
    void dependsOnNamesExistingServicesAndWaitsOnlyForServicesWithAHealthcheck() {
        List<String> checked = new ArrayList<>();
        SERVICES.fields().forEachRemaining(s -> {
            JsonNode deps = s.getValue().path("depends_on");
            List<String> names = new ArrayList<>();
            if (deps.isArray()) deps.forEach(d -> names.add(d.asText()));
            else deps.fieldNames().forEachRemaining(names::add);
            for (String dep : names) {
                assertThat(SERVICES.has(dep)).as(s.getKey() + " depends on " + dep).isTrue();
                if (deps.path(dep).path("condition").asText().equals("service_healthy")) {
                    assertThat(SERVICES.path(dep).has("healthcheck")).as(dep + " has a healthcheck to wait for").isTrue();
                }
                checked.add(s.getKey() + "->" + dep);
            }
        });
        assertThat(checked).contains("gateway->postgres");
        assertThat(GATEWAY.path("depends_on").path("postgres").path("condition").asText()).isEqualTo("service_healthy");
    }

    @Test
    void postgres16KeepsItsDataInANamedVolumeAndHasAHealthcheck() {
        JsonNode pg = SERVICES.path("postgres");
        assertThat(pg.path("image").asText()).startsWith("postgres:16");
        assertThat(pg.path("healthcheck").path("test").toString()).contains("pg_isready");
        assertThat(pg.path("volumes").toString()).contains(":/var/lib/postgresql/data");
    }

    @Test
    void theGatewayOnlySetsGatewaySettingsThatTheGatewayKnowsAndUsesThePostgresService() {
        Map<String, String> env = environment(GATEWAY);
        assertThat(env.keySet().stream().filter(k -> k.startsWith("GATEWAY_"))).isSubsetOf(DeployFiles.GATEWAY_ENV);
        assertThat(env).containsKeys("GATEWAY_CONFIG", "GATEWAY_DATA_DIR", "GATEWAY_DB_URL", "GATEWAY_DB_USER", "GATEWAY_DB_PASSWORD", "GATEWAY_ADMIN_KEY");
        Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]+)").matcher(env.get("GATEWAY_DB_URL"));
        assertThat(url.matches()).as("GATEWAY_DB_URL " + env.get("GATEWAY_DB_URL")).isTrue();
        JsonNode pg = SERVICES.path(url.group(1));
        assertThat(pg.path("image").asText()).as("the host of GATEWAY_DB_URL is the postgres service").startsWith("postgres:");
        Map<String, String> pgEnv = environment(pg);
        assertThat(url.group(3)).isEqualTo(pgEnv.get("POSTGRES_DB"));
        assertThat(env.get("GATEWAY_DB_USER")).isEqualTo(pgEnv.get("POSTGRES_USER"));
        assertThat(env.get("GATEWAY_DB_PASSWORD")).isEqualTo(pgEnv.get("POSTGRES_PASSWORD"));
        assertThat(env.get("GATEWAY_ADMIN_KEY")).as("the admin key comes from the caller's environment").startsWith("${GATEWAY_ADMIN_KEY");
    }

    @Test
    void gatewayConfigPointsAtTheMountedExampleAndEveryVariableItReadsIsPassedIn() {
        Map<String, String> env = environment(GATEWAY);
        String configPath = env.get("GATEWAY_CONFIG");
        String hostFile = null;
        for (JsonNode v : GATEWAY.path("volumes")) {
            String[] parts = v.asText().split(":");
            if (parts.length >= 2 && parts[1].equals(configPath)) hostFile = parts[0];
        }
        assertThat(hostFile).as("a file mounted at GATEWAY_CONFIG " + configPath).isEqualTo("./compose/gateway.yaml");
        JsonNode config = DeployFiles.yaml(DeployFiles.deployDir().resolve(hostFile));
        assertThat(GatewayYaml.variables(config)).isNotEmpty().allSatisfy(v -> assertThat(env).as("gateway environment").containsKey(v));
    }

    @Test
    void theGatewayPublishesTheExposedPortAndKeepsItsDataDirectoryOnAVolume() {
        assertThat(GATEWAY.path("ports").toString()).contains(":8080\"");
        String dataDir = environment(GATEWAY).get("GATEWAY_DATA_DIR");
        assertThat(GATEWAY.path("volumes")).anySatisfy(v -> assertThat(v.asText()).endsWith(":" + dataDir));
    }

    @Test
    void theOllamaServicesAreOptionalAndServeTheDefaultOpenModelUrl() {
        for (String name : List.of("ollama", "ollama-pull")) {
            assertThat(SERVICES.path(name).path("profiles").toString()).as(name + " profiles").contains("\"ollama\"");
        }
        assertThat(GATEWAY.has("profiles")).isFalse();
        assertThat(GATEWAY.path("depends_on").has("ollama")).as("the gateway starts without the ollama profile").isFalse();
        assertThat(environment(GATEWAY).get("OPEN_MODEL_BASE_URL")).contains("http://ollama:11434/v1");
    }

    /** The environment of a service, from either the mapping or the list ("K=V") form. */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode env = service.path("environment");
        if (env.isArray()) {
            env.forEach(e -> {
                String[] kv = e.asText().split("=", 2);
                out.put(kv[0], kv.length > 1 ? kv[1] : "");
            });
        } else {
            env.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
