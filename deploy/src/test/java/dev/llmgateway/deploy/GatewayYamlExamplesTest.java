package dev.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway.yaml examples shipped with the deployment files (the ConfigMap's copy is checked in KubernetesManifestsTest). */
class GatewayYamlExamplesTest {

    @Test
    void theComposeGatewayYamlIsAValidConfigWithClosedProvidersAndAnOpenModelServer() {
        JsonNode config = DeployFiles.yaml(DeployFiles.deployDir().resolve("compose/gateway.yaml"));
        assertThat(GatewayYaml.problems(config)).isEmpty();
        assertThat(config.path("providers").path("openai").path("type").asText()).isEqualTo("openai");
        assertThat(config.path("providers").path("anthropic").path("type").asText()).isEqualTo("anthropic");
        assertHasAnOpenDeploymentOnAnOpenAiCompatibleServer(config);
    }

    @Test
    void theKubernetesGatewayYamlHasAnOpenDeploymentOnAnOpenAiCompatibleServer() {
        JsonNode cm = DeployFiles.yaml(DeployFiles.kubernetesDir().resolve("configmap.yaml"));
        JsonNode config = DeployFiles.yaml(cm.path("data").path("gateway.yaml").asText(), "configmap.yaml");
        assertThat(GatewayYaml.problems(config)).isEmpty();
        assertHasAnOpenDeploymentOnAnOpenAiCompatibleServer(config);
    }

    @Test
    void theGeneralExampleNextToTheDeploymentFilesIsAValidConfig() {
        Path example = DeployFiles.deployDir().resolve("gateway.example.yaml");
        assertThat(GatewayYaml.problems(DeployFiles.yaml(example))).isEmpty();
    }

    @Test
    void theCheckReportsUnknownKeysAndReferencesToUndeclaredNames() {
        JsonNode bad = DeployFiles.yaml("""
                providers:
                  openai: {type: openai}
                  local: {type: openai-compatible}
                deployments:
                  a: {provider: openai, model: m, class: closed, prices: {inptu: "1"}}
                  b: {provider: ghost, model: m, class: shut}
                routes:
                  chat: {deployment: a, fallbacks: [a, nope]}
                  other: {deployment: missing}
                budgets: {}
                """, "bad.yaml");
        assertThat(GatewayYaml.problems(bad)).containsExactlyInAnyOrder(
                "budgets: unknown key (allowed: " + GatewayYaml.TOP_LEVEL + ")",
                "providers.local.base_url: is required for type openai-compatible",
                "deployments.a.prices.inptu: unknown key (allowed: " + GatewayYaml.DEPLOYMENT_SECTIONS.get("prices") + ")",
                "deployments.b.provider: unknown provider 'ghost'",
                "deployments.b.class: 'shut' is not one of " + GatewayYaml.CLASSES,
                "routes.chat.fallbacks[1]: unknown deployment 'nope'",
                "routes.other.deployment: unknown deployment 'missing'");
    }

    @Test
    void variablesWithoutADefaultAreRequiredAndOthersAreOptionalAndCommentsAreNotRead() {
        JsonNode config = DeployFiles.yaml("""
                # a comment mentioning ${IN_A_COMMENT} is not read
                a: ${REQUIRED}
                b: {c: "${OPTIONAL:-x}", d: [ "${EMPTY:-}" ]}
                """, "vars.yaml");
        assertThat(GatewayYaml.requiredVariables(config)).containsExactly("REQUIRED");
        assertThat(GatewayYaml.variables(config)).containsExactly("REQUIRED", "OPTIONAL", "EMPTY");
    }

    private static void assertHasAnOpenDeploymentOnAnOpenAiCompatibleServer(JsonNode config) {
        List<String> open = new java.util.ArrayList<>();
        config.path("deployments").fields().forEachRemaining(d -> {
            JsonNode provider = config.path("providers").path(d.getValue().path("provider").asText());
            if (d.getValue().path("class").asText().equals("open") && provider.path("type").asText().equals("openai-compatible")) {
                open.add(d.getKey());
            }
        });
        assertThat(open).as("open deployments on an openai-compatible provider").isNotEmpty();
        List<String> routed = new java.util.ArrayList<>();
        config.path("routes").forEach(r -> {
            routed.add(r.path("deployment").asText());
            r.path("fallbacks").forEach(f -> routed.add(f.asText()));
        });
        assertThat(routed).as("deployments used by a route").containsAnyElementsOf(open);
    }
}
