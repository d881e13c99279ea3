package dev.llmgateway.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded engine (llama.cpp, the real test model from testdata/models) behind /v1/chat/completions, exactly like
 * a remote provider. The test deployment has one slot and no queue, context 256.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class EmbeddedEngineThroughGatewayTest {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> models;
    private String key;
    private OpenAIClient client;

    @BeforeEach
    void setUp() {
        key = Http.newKey("open-team");
        client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
    }

    private ChatCompletionCreateParams greedy(long maxTokens) {
        return ChatCompletionCreateParams.builder().model("tiny-test").addUserMessage("Once upon a time")
                .temperature(0.0).maxCompletionTokens(maxTokens).build();
    }

    @Test
    void greedyCompletionIsDeterministicAndStreamedEqualsNonStreamed() {
        ChatCompletion a = client.chat().completions().create(greedy(12));
        ChatCompletion b = client.chat().completions().create(greedy(12));
        String text = a.choices().get(0).message().content().orElseThrow();
        assertThat(text).isNotEmpty().isEqualTo(b.choices().get(0).message().content().orElseThrow());
        assertThat(a.usage().orElseThrow().completionTokens()).isEqualTo(12);
        assertThat(a.choices().get(0).finishReason().asString()).isEqualTo("length");

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(greedy(12))) {
            s.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Test
    void usageIsTheEnginesExactTokenCountAndIsMetered() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"tiny-test\",\"temperature\":0,\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("tiny");
        JsonNode usage = Http.json(r.body()).path("usage");
        var engine = ((dev.llmgateway.gateway.providers.embedded.EmbeddedModels.State.Ready) models.orElseThrow().state("tiny")).engine();
        int expectedPrompt = engine.generate("tiny", dev.llmgateway.engine.GenerationRequest.greedy(
                java.util.List.of(new dev.llmgateway.engine.EngineMessage("user", "Once upon a time")), 1)).promptTokens();
        assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(expectedPrompt);
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(8);

        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        var e = new UsageQueries(database.dataSource()).byRequestId(r.headers().firstValue("x-gateway-request-id").orElseThrow()).orElseThrow();
        assertThat(e.promptTokens()).isEqualTo(expectedPrompt);
        assertThat(e.completionTokens()).isEqualTo(8);
        assertThat(e.deploymentClass().wire()).isEqualTo("open");
        assertThat(e.licenseId()).isEqualTo("test-license");
    }

    @Test
    void promptLongerThanTheContextIsA400ContextLengthExceeded() {
        String longText = "word ".repeat(600);
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"tiny-test\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r.body()).path("error").path("code").asText()).isEqualTo("context_length_exceeded");
    }

    @Test
    void secondRequestWhileTheOnlySlotIsBusyIsA429WithRetryAfterAndCancellingFreesTheSlot() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest longStream = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny-test\",\"stream\":true,\"temperature\":0,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}")).build();
        for (int round = 0; round < 2; round++) {
            HttpResponse<java.io.InputStream> a = http.send(longStream, HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader reader = new BufferedReader(new InputStreamReader(a.body(), StandardCharsets.UTF_8));
            String line;
            do {
                line = reader.readLine();
            } while (line != null && !line.startsWith("data: {"));
            assertThat(line).as("the first request streams").isNotNull();

            HttpResponse<String> b = Http.post(Http.gateway() + "/v1/chat/completions", key,
                    "{\"model\":\"tiny-test\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            if (b.statusCode() == 200) {
                // The first generation (until the 256-token context is full) already finished: try once more.
                a.body().close();
                continue;
            }
            assertThat(b.statusCode()).isEqualTo(429);
            assertThat(Http.json(b.body()).path("error").path("code").asText()).isEqualTo("overloaded");
            assertThat(b.headers().firstValue("retry-after")).isPresent();

            a.body().close();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            int status;
            do {
                Thread.sleep(50);
                status = Http.post(Http.gateway() + "/v1/chat/completions", key,
                        "{\"model\":\"tiny-test\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode();
            } while (status != 200 && System.nanoTime() < deadline);
            assertThat(status).as("the slot is free again after the client went away").isEqualTo(200);
            return;
        }
        throw new AssertionError("could not observe the busy slot: generations finished too fast");
    }
    @Test
    void aStreamCutByTheClientIsBilledWithTheEnginesExactCounts() throws Exception {
        String body = "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]";
        HttpResponse<String> whole = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"tiny-test\",\"max_tokens\":1," + body + "}");
        assertThat(whole.statusCode()).isEqualTo(200);
        long promptTokens = Http.json(whole.body()).path("usage").path("prompt_tokens").asLong();

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest stream = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny-test\",\"stream\":true,\"temperature\":0," + body + "}")).build();
        HttpResponse<java.io.InputStream> cut = http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
        String requestId = cut.headers().firstValue("x-gateway-request-id").orElseThrow();
        BufferedReader reader = new BufferedReader(new InputStreamReader(cut.body(), StandardCharsets.UTF_8));
        String line;
        do {
            line = reader.readLine();
        } while (line != null && !line.startsWith("data: {"));
        cut.body().close();

        JsonNode record = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = Http.get(Http.gateway() + "/admin/usage/" + requestId, GatewayTestResource.ADMIN_KEY);
            if (r.statusCode() == 200) {
                record = Http.json(r.body());
                break;
            }
            Thread.sleep(100);
        }
        assertThat(record).as("the cut stream has a usage record").isNotNull();
        // Counted by the engine itself (prompt included), not estimated from characters.
        assertThat(record.path("token_source").asText()).isEqualTo("engine");
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(promptTokens);
        assertThat(record.path("completion_tokens").asLong()).isPositive();
    }
}
