package dev.llmgateway.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.gateway.providers.embedded.EmbeddedModels;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /v1/embeddings from the embedded engine: the real test model loaded with {@code engine.mode: embedding} (deployment
 * tiny-embed, route tiny-embed-test). Its weights are random, so the vectors mean nothing, but their size, determinism
 * and token counts are exact.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class EmbeddedEmbeddingsThroughGatewayTest {
    @Inject java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> models;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.db.Database database;
    private String key;

    @BeforeEach
    void setUp() { key = Http.newKey("embed-team"); }

    private LocalEngine engine() {
        return ((EmbeddedModels.State.Ready) models.orElseThrow().state("tiny-embed")).engine();
    }

    private static HttpResponse<String> embed(String key, String body) {
        return Http.post(Http.gateway() + "/v1/embeddings", key, body);
    }

    @Test
    void vectorsHaveTheModelsSizeAreDeterministicAndUsageIsTheTokenizersCountAndMetered() throws Exception {
        HttpResponse<String> r = embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"Once upon a time\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Http.json(r.body());
        assertThat(body.path("object").asText()).isEqualTo("list");
        JsonNode vector = body.path("data").path(0).path("embedding");
        int size = engine().embeddingLength("tiny-embed");
        assertThat(size).as("the test model's n_embd").isEqualTo(8);
        assertThat(vector.size()).isEqualTo(size);
        assertThat(body.path("data").path(0).path("object").asText()).isEqualTo("embedding");
        int tokens = engine().countTokens("tiny-embed", "Once upon a time") + 1; // + BOS, as llama.cpp evaluates it
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(tokens).isEqualTo(5);
        assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(tokens);

        JsonNode again = Http.json(embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"Once upon a time\"}").body());
        assertThat(again.path("data").path(0).path("embedding")).isEqualTo(vector);
        JsonNode other = Http.json(embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"The cat sat\"}").body());
        assertThat(other.path("data").path(0).path("embedding")).isNotEqualTo(vector);

        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        UsageEvent e = new UsageQueries(database.dataSource())
                .byRequestId(r.headers().firstValue("x-gateway-request-id").orElseThrow()).orElseThrow();
        assertThat(e.promptTokens()).isEqualTo(5);
        assertThat(e.completionTokens()).isZero();
        assertThat(e.deployment()).isEqualTo("tiny-embed");
        assertThat(e.teamChargeMicros().signum()).as("input priced at 20 USD / M tokens").isPositive();
    }

    @Test
    void anArrayOfInputsGivesOneVectorEachInOrderAndBase64IsTheSameFloats() {
        JsonNode both = Http.json(embed(key, "{\"model\":\"tiny-embed-test\",\"input\":[\"Once upon a time\",\"The cat sat\"]}").body());
        assertThat(both.path("data").size()).isEqualTo(2);
        assertThat(both.path("data").path(1).path("index").asInt()).isEqualTo(1);
        JsonNode first = Http.json(embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"Once upon a time\"}").body());
        assertThat(both.path("data").path(0).path("embedding")).isEqualTo(first.path("data").path(0).path("embedding"));
        int expected = engine().countTokens("tiny-embed", "Once upon a time") + engine().countTokens("tiny-embed", "The cat sat") + 2;
        assertThat(both.path("usage").path("prompt_tokens").asInt()).isEqualTo(expected);

        HttpResponse<String> b64 = embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"Once upon a time\",\"encoding_format\":\"base64\"}");
        assertThat(b64.statusCode()).isEqualTo(200);
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(Http.json(b64.body()).path("data").path(0).path("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        JsonNode floats = first.path("data").path(0).path("embedding");
        assertThat(bytes.remaining()).isEqualTo(floats.size() * 4);
        for (JsonNode f : floats) assertThat(bytes.getFloat()).isEqualTo((float) f.asDouble());
    }

    @Test
    void theOpenAiSdkGetsEmbeddings() {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("tiny-embed-test").input("Once upon a time").build());
        assertThat(r.data().get(0).embedding()).hasSize(8);
        assertThat(r.usage().promptTokens()).isEqualTo(5);
    }

    @Test
    void whatTheEngineCannotDoIsA400() {
        String[][] cases = {
                {"{\"model\":\"tiny-embed-test\",\"input\":\"x\",\"dimensions\":4}", "dimensions"},
                {"{\"model\":\"tiny-embed-test\",\"input\":\"x\",\"encoding_format\":\"int8\"}", "encoding_format"},
                {"{\"model\":\"tiny-embed-test\",\"input\":\"\"}", "input"},
                {"{\"model\":\"tiny-embed-test\",\"input\":[[1,2,3]]}", "input"},
                {"{\"model\":\"tiny-test\",\"input\":\"x\"}", "model"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = embed(key, c[0]);
            assertThat(r.statusCode()).as(c[0] + " -> " + r.body()).isEqualTo(400);
            assertThat(Http.json(r.body()).path("error").path("param").asText()).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"x\",\"dimensions\":8}").statusCode())
                .as("the model's own size is accepted").isEqualTo(200);
        HttpResponse<String> chat = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"tiny-embed-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(400);
        assertThat(Http.json(chat.body()).path("error").path("message").asText()).contains("embeddings");
        HttpResponse<String> tooLong = embed(key, "{\"model\":\"tiny-embed-test\",\"input\":\"" + "word ".repeat(200) + "\"}");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(Http.json(tooLong.body()).path("error").path("code").asText()).isEqualTo("context_length_exceeded");
    }
}
