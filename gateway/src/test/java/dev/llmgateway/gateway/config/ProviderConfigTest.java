package dev.llmgateway.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.anthropic.AnthropicOptions;
import dev.llmgateway.gateway.providers.azure.AzureOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Start-up rules of the provider types azure-openai and gemini, and of api_keys. */
class ProviderConfigTest {

    private static GatewayConfig parse(String provider, Map<String, String> env) {
        String yaml = "providers:\n  p:\n" + provider.indent(4) + """
                deployments:
                  d: {provider: p, model: m, class: closed}
                routes:
                  r: {deployment: d}
                """;
        return ConfigLoader.parse("gateway.yaml", yaml, env::get, null);
    }

    private static Provider provider(String block) { return parse(block, Map.of()).providers().get("p"); }

    @Test
    void azureNeedsItsResourceEndpointAndDefaultsTheApiVersion() {
        assertThatThrownBy(() -> provider("type: azure-openai\napi_key: k"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.yaml: providers.p.base_url: is required for type azure-openai");
        Provider p = provider("type: azure-openai\nbase_url: https://r.openai.azure.com\napi_key: k");
        assertThat(p.type()).isEqualTo("azure-openai");
        assertThat(p.options(AzureOptions.class).apiVersion()).isEqualTo("2024-10-21");
        assertThat(provider("type: azure-openai\nbase_url: https://r.openai.azure.com\napi_version: 2025-01-01-preview").options(AzureOptions.class).apiVersion())
                .isEqualTo("2025-01-01-preview");
        assertThatThrownBy(() -> provider("type: azure-openai\nbase_url: https://r.openai.azure.com\napi_version: latest"))
                .hasMessageContaining("providers.p.api_version: expected an API version");
    }

    @Test
    void apiVersionBelongsToAzureOnly() {
        assertThatThrownBy(() -> provider("type: openai\napi_version: 2024-10-21")).hasMessageContaining("providers.p.api_version: only an azure-openai");
    }

    @Test
    void anthropicVersionIsAnthropicsOwnOption() {
        assertThat(provider("type: anthropic").options(AnthropicOptions.class).version()).isEqualTo("2023-06-01");
        assertThat(provider("type: anthropic\nanthropic_version: 2024-01-01").options(AnthropicOptions.class).version()).isEqualTo("2024-01-01");
        assertThat(provider("type: openai").options()).isEqualTo(GatewayConfig.ProviderOptions.NONE);
        assertThatThrownBy(() -> provider("type: gemini\nanthropic_version: 2023-06-01"))
                .hasMessageContaining("gateway.yaml: providers.p.anthropic_version: only an anthropic provider has anthropic_version");
        assertThatThrownBy(() -> provider("type: anthropic").options(AzureOptions.class)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void typeNamesAndUnknownKeysComeFromTheRegistry() {
        assertThatThrownBy(() -> provider("type: bedrock")).hasMessageContaining(
                "gateway.yaml: providers.p.type: unknown value 'bedrock' (expected one of openai, openai-compatible, anthropic, azure-openai, gemini, embedded)");
        assertThatThrownBy(() -> provider("type: anthropic\nanthropic_versoin: x"))
                .hasMessageContaining("providers.p.anthropic_versoin: unknown key (expected one of anthropic_version, api_key, api_keys, base_url");
        assertThatThrownBy(() -> provider("type: openai-compatible")).hasMessageContaining("providers.p.base_url: is required for type openai-compatible");
        assertThat(provider("type: anthropic").baseUrl().orElseThrow()).hasToString("https://api.anthropic.com");
        assertThat(provider("type: openai").baseUrl().orElseThrow()).hasToString("https://api.openai.com/v1");
    }

    @Test
    void eachTypeDefaultsItsOwnImageTokenCost() {
        Map<String, Integer> expected = Map.of("type: openai", 1445, "type: anthropic", 1600, "type: gemini", 1548,
                "type: azure-openai\nbase_url: https://r.openai.azure.com", 1445);
        expected.forEach((block, tokens) -> assertThat(parse(block, Map.of()).deployments().get("d").maxImageTokens()).as(block).isEqualTo(tokens));
    }

    @Test
    void geminiDefaultsToGooglesEndpoint() {
        Provider p = provider("type: gemini\napi_key: g");
        assertThat(p.type()).isEqualTo("gemini");
        assertThat(p.baseUrl().orElseThrow()).hasToString("https://generativelanguage.googleapis.com/v1beta");
    }

    @Test
    void apiKeyAndApiKeysCombineInOrderBlankOnesDroppedAndNeverShown() {
        Provider p = parse("type: openai\napi_key: ${K1}\napi_keys: [\"${K2}\", \"${K3:-}\", k4]", Map.of("K1", "sk-one", "K2", "sk-two")).providers().get("p");
        assertThat(p.apiKeys()).containsExactly("sk-one", "sk-two", "k4");
        assertThat(p.apiKey()).contains("sk-one");
        assertThat(p.toString()).doesNotContain("sk-");
        assertThat(provider("type: openai\napi_keys: [a, b]").apiKey()).contains("a");
        assertThat(provider("type: openai").apiKeys()).isEmpty();
    }

    @Test
    void aRepeatedKeyIsRefusedByItsPositionWithoutNamingIt() {
        assertThatThrownBy(() -> provider("type: openai\napi_key: sk-dup\napi_keys: [sk-other, sk-dup]"))
                .hasMessageContaining("providers.p.api_keys[1]: repeats a key").hasMessageNotContaining("sk-dup");
    }

    @Test
    void theFirstKeyIsAlwaysTheLegacySingleKey() {
        assertThatThrownBy(() -> new Provider("p", "openai", java.util.Optional.empty(), java.util.Optional.of("a"), Map.of(), 1, 1,
                false, List.of("b"), GatewayConfig.ProviderOptions.NONE)).isInstanceOf(IllegalArgumentException.class);
    }
}
