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
    void everyProviderTypeOfTheGatewayIsKnownWithItsOwnKeysAndSeveralApiKeys() {
        JsonNode good = DeployFiles.yaml("""
                providers:
                  openai: {type: openai, api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2:-}"]}
                  azure: {type: azure-openai, base_url: "https://r.openai.azure.com", api_key: k, api_version: "2024-10-21"}
                  gemini: {type: gemini, api_keys: [a, b]}
                  anthropic: {type: anthropic, api_key: k, anthropic_version: "2023-06-01"}
                  vllm: {type: openai-compatible, base_url: "http://vllm:8000/v1"}
                  local: {type: embedded}
                deployments:
                  a: {provider: azure, model: gpt-4o-deployment, class: closed, timeouts: {idle: 30s}}
                  g: {provider: gemini, model: gemini-2.0-flash, class: closed, list_prices: {input: "1"}}
                routes:
                  chat: {deployment: a, fallbacks: [g], cache: {ttl: 10m}, limits: {rpm: 60}}
                """, "good.yaml");
        assertThat(GatewayYaml.problems(good)).isEmpty();

        JsonNode bad = DeployFiles.yaml("""
                providers:
                  azure: {type: azure-openai}
                  openai: {type: openai, api_version: "2024-10-21", api_keys: k}
                  vertex: {type: vertex}
                deployments:
                  a: {provider: azure, model: m, class: closed}
                routes:
                  chat: {deployment: a, cache: {store: memory}}
                """, "bad.yaml");
        assertThat(GatewayYaml.problems(bad)).containsExactlyInAnyOrder(
                "providers.azure.base_url: is required for type azure-openai",
                "providers.openai.api_version: unknown key (allowed: " + new java.util.TreeSet<>(GatewayYaml.PROVIDER_KEYS) + ")",
                "providers.openai.api_keys: must be a list",
                "providers.vertex.type: 'vertex' is not one of " + new java.util.TreeSet<>(GatewayYaml.PROVIDER_TYPES),
                "routes.chat.cache: needs a ttl, such as 10m");
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
