package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** OpenAI and OpenAI-compatible servers: a pass-through with a bearer key. */
class OpenAiCompatibleContractTest extends ProviderContractTest {

    @Override
    protected String providerYaml(int port, List<String> keys) {
        return """
                type: openai-compatible
                base_url: http://127.0.0.1:%d/v1
                api_keys: [%s]
                """.formatted(port, String.join(", ", keys));
    }

    @Override
    protected String credentialHeader() { return "authorization"; }

    @Override
    protected String credentialValue(String key) { return "Bearer " + key; }

    @Override
    protected void assertPlainRequestInWireFormat(JsonNode stats) {
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1/chat/completions");
        assertThat(stats.path("last_body").path("model").asText()).isEqualTo(MODEL);
    }

    @Override
    protected void assertToolsSentInWireFormat(JsonNode body) {
        assertThat(body.path("tools").get(0).path("function").path("name").asText()).isEqualTo("search");
    }
}
