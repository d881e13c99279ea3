package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.TokenSource;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Azure OpenAI and Gemini deployments behind the gateway's OpenAI surface: answers, streams and tool calls come back in
 * OpenAI's shape, and each request is metered with exactly the tokens the fake upstream billed.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class AzureAndGeminiThroughGatewayTest {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    private String key;

    @BeforeEach
    void setUp() {
        key = Http.newKey("cloud-team");
        Http.post(Http.upstream() + "/_control/reset", null, "{}");
    }

    private UsageEvent stored(HttpResponse<?> r) throws InterruptedException {
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource()).byRequestId(id).orElseThrow(() -> new AssertionError("no usage for " + id));
    }

    private static String chat(String route, boolean stream, String text) {
        return "{\"model\":\"" + route + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    private static String streamedText(String body) {
        StringBuilder text = new StringBuilder();
        for (String line : body.split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            for (JsonNode ch : Http.json(line.substring(6)).path("choices")) text.append(ch.path("delta").path("content").asText(""));
        }
        return text.toString();
    }

    @Test
    void azureAnswerIsMeteredWithTheTokensAzureBilled() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("azure-test", false, "one two three"));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode out = Http.json(r.body());
        assertThat(out.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello from azure-dep you said 5 words");
        JsonNode stats = Http.upstreamStats("azure-dep");
        assertThat(stats.path("last_uri").asText()).isEqualTo("/openai/deployments/azure-dep/chat/completions?api-version=2024-10-21");
        assertThat(stats.path("last_headers").path("api-key").asText()).startsWith("azure-secret-key-");
        UsageEvent e = stored(r);
        assertThat(e.deployment()).isEqualTo("azure-gpt");
        assertThat(e.promptTokens()).isEqualTo(5);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(e.streamed()).isFalse();
        assertThat(r.body()).doesNotContain("azure-secret-key");
    }

    @Test
    void azureStreamIsMeteredAndItsContentFilterPreambleIsNotForwarded() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("azure-test", true, "a b"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(streamedText(r.body())).isEqualTo("Hello from azure-dep you said 4 words");
        assertThat(r.body()).doesNotContain("prompt_filter_results");
        UsageEvent e = stored(r);
        assertThat(e.streamed()).isTrue();
        assertThat(e.promptTokens()).isEqualTo(4);
        assertThat(e.completionTokens()).isEqualTo(7);
    }

    @Test
    void azureKeyRefusedWith429IsRestedAndTheOtherKeyAnswers() throws Exception {
        Http.script("azure-dep", "429:30");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("azure-test", false, "hi"));
        assertThat(r.statusCode()).as("the deployment allows one attempt: the second key answered within it").isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(Http.post(Http.gateway() + "/v1/chat/completions", key, chat("azure-test", false, "hi")).statusCode()).isEqualTo(200);
        }
        JsonNode creds = Http.upstreamStats("azure-dep").path("credentials");
        int one = creds.path("azure-secret-key-one").asInt();
        int two = creds.path("azure-secret-key-two").asInt();
        assertThat(one + two).isEqualTo(5);
        assertThat(Math.min(one, two)).as("the refused key rests for its Retry-After").isEqualTo(1);
        assertThat(stored(r).completionTokens()).isEqualTo(7);
        assertThat(Http.get(Http.gateway() + "/admin/config", GatewayTestResource.ADMIN_KEY).body()).doesNotContain("azure-secret-key");
    }

    @Test
    void geminiAnswerIsTranslatedAndMeteredWithItsUsageMetadata() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("gemini-test", false, "one two three"));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode out = Http.json(r.body());
        assertThat(out.path("object").asText()).isEqualTo("chat.completion");
        assertThat(out.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello from gemini-test you said 5 words");
        assertThat(out.path("usage").path("prompt_tokens").asInt()).isEqualTo(5);
        assertThat(out.path("usage").path("completion_tokens").asInt()).isEqualTo(7);
        JsonNode stats = Http.upstreamStats("gemini-test");
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1beta/models/gemini-test:generateContent");
        assertThat(stats.path("last_headers").path("x-goog-api-key").asText()).isEqualTo("gemini-secret-key-do-not-leak");
        assertThat(stats.path("last_body").path("systemInstruction").path("parts").get(0).path("text").asText()).isEqualTo("be brief");
        UsageEvent e = stored(r);
        assertThat(e.deployment()).isEqualTo("gemini-flash");
        assertThat(e.tokenSource()).as("usageMetadata is what Google bills").isEqualTo(TokenSource.PROVIDER);
        assertThat(e.promptTokens()).isEqualTo(5);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(r.body()).doesNotContain("gemini-secret-key");
    }

    @Test
    void geminiStreamIsMeteredEvenWhenTheClientDidNotAskForUsage() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("gemini-test", true, "a b c d"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(streamedText(r.body())).isEqualTo("Hello from gemini-test you said 6 words");
        assertThat(r.body()).doesNotContain("\"usage\":{").endsWith("data: [DONE]\n\n");
        assertThat(Http.upstreamStats("gemini-test").path("last_uri").asText()).isEqualTo("/v1beta/models/gemini-test:streamGenerateContent?alt=sse");
        UsageEvent e = stored(r);
        assertThat(e.streamed()).isTrue();
        assertThat(e.promptTokens()).isEqualTo(6);
        assertThat(e.completionTokens()).isEqualTo(7);
    }

    @Test
    void geminiFinishReasonsMapToOpenAiOnes() {
        Http.script("gemini-test", "finish:MAX_TOKENS", "finish:SAFETY");
        JsonNode length = Http.json(Http.post(Http.gateway() + "/v1/chat/completions", key, chat("gemini-test", false, "x")).body());
        assertThat(length.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        String filtered = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("gemini-test", true, "x")).body();
        assertThat(filtered).contains("\"finish_reason\":\"content_filter\"");
    }

    @Test
    void embeddingsFromAzureAndGeminiAreMetered() throws Exception {
        HttpResponse<String> azure = Http.post(Http.gateway() + "/v1/embeddings", key, "{\"model\":\"azure-test\",\"input\":\"one two three\"}");
        assertThat(azure.statusCode()).isEqualTo(200);
        assertThat(Http.json(azure.body()).path("data").get(0).path("embedding").size()).isEqualTo(3);
        assertThat(stored(azure).promptTokens()).isEqualTo(3);
        assertThat(stored(azure).tokenSource()).isEqualTo(TokenSource.PROVIDER);
        HttpResponse<String> gemini = Http.post(Http.gateway() + "/v1/embeddings", key, "{\"model\":\"gemini-test\",\"input\":[\"abcdefgh\"]}");
        assertThat(gemini.statusCode()).isEqualTo(200);
        assertThat(Http.json(gemini.body()).path("data").get(0).path("embedding").size()).isEqualTo(3);
        assertThat(stored(gemini).promptTokens()).as("estimated: 8 characters").isEqualTo(2);
        assertThat(stored(gemini).tokenSource()).as("Gemini reports no counts for embeddings").isEqualTo(TokenSource.ESTIMATED);
    }

    @Test
    void theOfficialOpenAiSdkStreamsFromAzureAndGeminiWithUsage() {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
        for (String[] route : new String[][] {{"azure-test", "azure-dep"}, {"gemini-test", "gemini-test"}}) {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(route[0]).addUserMessage("two words")
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
            StringBuilder text = new StringBuilder();
            long[] usage = {-1, -1};
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
                s.stream().forEach(chunk -> {
                    chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                    chunk.usage().ifPresent(u -> {
                        usage[0] = u.promptTokens();
                        usage[1] = u.completionTokens();
                    });
                });
            }
            assertThat(text.toString()).as(route[0]).isEqualTo("Hello from " + route[1] + " you said 2 words");
            assertThat(usage).as(route[0]).containsExactly(2, 7);
            ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(route[0])
                    .addUserMessage("three little words").build());
            assertThat(c.choices().get(0).message().content()).as(route[0]).contains("Hello from " + route[1] + " you said 3 words");
            assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(7);
        }
    }

    @Test
    void geminiUpstreamErrorsReachTheClientAsOpenAiErrors() {
        Http.script("gemini-test", "429:3");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, chat("gemini-test", false, "x"));
        assertThat(r.statusCode()).isEqualTo(429);
        JsonNode err = Http.json(r.body()).path("error");
        assertThat(err.path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(err.path("message").asText()).contains("injected 429").doesNotContain("gemini-secret-key");
    }
}
