package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Anthropic's Messages API: translated both ways, the key in x-api-key. */
class AnthropicContractTest extends ProviderContractTest {

    @Override
    protected String providerYaml(int port, List<String> keys) {
        return """
                type: anthropic
                base_url: http://127.0.0.1:%d
                api_keys: [%s]
                """.formatted(port, String.join(", ", keys));
    }

    @Override
    protected String credentialHeader() { return "x-api-key"; }

    /** The Anthropic fake reports 2 cache reads in whole answers, which OpenAI's prompt_tokens includes. */
    @Override
    protected Usage billed(int promptWords, int completionTokens, boolean stream) {
        return stream ? new Usage(promptWords, completionTokens, 0, false) : new Usage(promptWords + 2, completionTokens, 2, false);
    }

    @Override
    protected void assertPlainRequestInWireFormat(JsonNode stats) {
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1/messages");
        assertThat(stats.path("last_body").path("system").asText()).isEqualTo("be brief");
    }

    @Override
    protected void assertToolsSentInWireFormat(JsonNode body) {
        assertThat(body.path("tools").get(0).path("name").asText()).isEqualTo("search");
    }
}
