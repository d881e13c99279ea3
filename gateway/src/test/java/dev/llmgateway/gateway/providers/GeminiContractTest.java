package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Google Gemini: native generateContent / streamGenerateContent translated both ways, the key in x-goog-api-key. */
class GeminiContractTest extends ProviderContractTest {

    @Override
    protected String providerYaml(int port, List<String> keys) {
        return """
                type: gemini
                base_url: http://127.0.0.1:%d/v1beta
                api_keys: [%s]
                """.formatted(port, String.join(", ", keys));
    }

    @Test
    void embeddingsGoThroughBatchEmbedContentsWithEstimatedUsage() {
        ObjectNode json = (ObjectNode) parse("{\"model\":\"r\",\"input\":[\"one two three\",\"four\"],\"dimensions\":2}");
        ProviderCall call = new ProviderCall("req-e", call(plain(false)).deployment(), json, null, new CancelToken());
        Completion c = await(backend().embed(call));
        JsonNode out = parse(c.body());
        assertThat(out.path("object").asText()).isEqualTo("list");
        assertThat(out.path("data").size()).isEqualTo(2);
        assertThat(out.path("data").get(1).path("index").asInt()).isEqualTo(1);
        assertThat(out.path("data").get(0).path("embedding").size()).isEqualTo(2);
        assertThat(c.usage().estimated()).as("Gemini reports no token counts for embeddings").isTrue();
        assertThat(c.usage().promptTokens()).isEqualTo(Usage.estimateTokens("one two three".length() + "four".length()));
        assertThat(out.path("usage").path("prompt_tokens").asInt()).isEqualTo(c.usage().promptTokens());
        JsonNode stats = stats();
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1beta/models/" + MODEL + ":batchEmbedContents");
        JsonNode req = stats.path("last_body").path("requests");
        assertThat(req.get(0).path("model").asText()).isEqualTo("models/" + MODEL);
        assertThat(req.get(1).path("content").path("parts").get(0).path("text").asText()).isEqualTo("four");
        assertThat(req.get(0).path("outputDimensionality").asInt()).isEqualTo(2);
    }

    @Test
    void tokenArraysCannotBeEmbeddedAndAreRefusedBeforeAnythingIsSent() {
        ObjectNode json = (ObjectNode) parse("{\"model\":\"r\",\"input\":[[1,2,3]]}");
        ProviderCall call = new ProviderCall("req-e", call(plain(false)).deployment(), json, null, new CancelToken());
        try {
            await(backend().embed(call));
            org.assertj.core.api.Assertions.fail("expected a bad request");
        } catch (AssertionError e) {
            assertThat(e.getCause()).isInstanceOfSatisfying(dev.llmgateway.gateway.errors.GatewayError.Failure.class,
                    f -> assertThat(f.error()).isInstanceOf(dev.llmgateway.gateway.errors.GatewayError.BadRequest.class));
        }
        assertThat(stats().path("requests").asInt()).isZero();
    }

    @Override
    protected String credentialHeader() { return "x-goog-api-key"; }

    @Override
    protected void assertPlainRequestInWireFormat(JsonNode stats) {
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1beta/models/" + MODEL + ":generateContent");
        JsonNode body = stats.path("last_body");
        assertThat(body.path("systemInstruction").path("parts").get(0).path("text").asText()).isEqualTo("be brief");
        assertThat(body.path("contents").size()).isEqualTo(1);
        assertThat(body.path("contents").get(0).path("role").asText()).isEqualTo("user");
        assertThat(body.path("contents").get(0).path("parts").get(0).path("text").asText()).isEqualTo("one two");
        JsonNode gen = body.path("generationConfig");
        assertThat(gen.path("maxOutputTokens").asInt()).isEqualTo(50);
        assertThat(gen.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(gen.path("stopSequences").get(0).asText()).isEqualTo("END");
        assertThat(body.has("messages")).isFalse();
    }

    @Override
    protected void assertToolsSentInWireFormat(JsonNode body) {
        JsonNode decl = body.path("tools").get(0).path("functionDeclarations").get(0);
        assertThat(decl.path("name").asText()).isEqualTo("search");
        assertThat(decl.path("description").asText()).isEqualTo("web search");
        assertThat(decl.path("parameters").path("properties").path("q").path("type").asText()).isEqualTo("string");
        JsonNode contents = body.path("contents");
        assertThat(contents.size()).as("user, model (function call), user (function response + question)").isEqualTo(3);
        JsonNode call = contents.get(1).path("parts").get(0).path("functionCall");
        assertThat(contents.get(1).path("role").asText()).isEqualTo("model");
        assertThat(call.path("name").asText()).isEqualTo("search");
        assertThat(call.path("args").path("q").asText()).isEqualTo("cats");
        JsonNode response = contents.get(2).path("parts").get(0).path("functionResponse");
        assertThat(response.path("name").asText()).as("named after the call it answers").isEqualTo("search");
        assertThat(response.path("response").path("output").asText()).isEqualTo("cats are mammals");
        assertThat(contents.get(2).path("parts").get(1).path("text").asText()).isEqualTo("and dogs?");
    }
}
