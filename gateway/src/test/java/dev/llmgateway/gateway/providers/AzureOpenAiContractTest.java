package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Azure OpenAI: the deployment URL with api-version, the key in api-key, OpenAI's bodies and streams. */
class AzureOpenAiContractTest extends ProviderContractTest {

    @Override
    protected String providerYaml(int port, List<String> keys) {
        return """
                type: azure-openai
                base_url: http://127.0.0.1:%d/
                api_version: 2024-06-01
                api_keys: [%s]
                """.formatted(port, String.join(", ", keys));
    }

    @Test
    void embeddingsGoToTheDeploymentsEmbeddingsUrlWithTheBilledUsage() {
        String body = "{\"model\":\"r\",\"input\":[\"one two three\"]}";
        ObjectNode json = (ObjectNode) parse(body);
        ProviderCall call = new ProviderCall("req-e", call(plain(false)).deployment(), json, null, new CancelToken());
        Completion c = await(backend().embed(call));
        assertThat(parse(c.body()).path("data").get(0).path("embedding").size()).isEqualTo(3);
        assertThat(c.usage().promptTokens()).isEqualTo(3);
        assertThat(c.usage().estimated()).isFalse();
        assertThat(stats().path("last_uri").asText()).isEqualTo("/openai/deployments/" + MODEL + "/embeddings?api-version=2024-06-01");
        assertThat(stats().path("last_headers").path("api-key").asText()).isEqualTo("key-one");
    }

    @Override
    protected String credentialHeader() { return "api-key"; }

    @Override
    protected void assertPlainRequestInWireFormat(JsonNode stats) {
        assertThat(stats.path("last_uri").asText()).isEqualTo("/openai/deployments/" + MODEL + "/chat/completions?api-version=2024-06-01");
        assertThat(stats.path("last_headers").has("authorization")).as("no bearer token next to api-key").isFalse();
        JsonNode body = stats.path("last_body");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(50);
        assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("system");
    }

    @Override
    protected void assertToolsSentInWireFormat(JsonNode body) {
        assertThat(body.path("tools").get(0).path("function").path("name").asText()).isEqualTo("search");
        assertThat(body.path("messages").get(2).path("role").asText()).isEqualTo("tool");
    }
}
