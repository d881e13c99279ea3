package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.llmgateway.engine.EngineMessage;
import dev.llmgateway.engine.GenerationRequest;
import dev.llmgateway.gateway.providers.embedded.EmbeddedModels;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/completions} end to end: forwarded to an OpenAI-compatible upstream's own completions endpoint (the real
 * FakeUpstream), through chat for Anthropic, and as a raw prompt on the embedded engine (the real test model); the
 * OpenAI Java SDK as the client; usage metered like chat.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class CompletionsApiTest {
    @Inject java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> models;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.db.Database database;
    private String key;
    private OpenAIClient client;

    @BeforeEach
    void setUp() {
        Http.post(Http.upstream() + "/_control/reset", null, "{}");
        key = Http.newKey("completions-team");
        client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
    }

    private static HttpResponse<String> post(String key, String body) {
        return Http.post(Http.gateway() + "/v1/completions", key, body);
    }

    private UsageEvent metered(HttpResponse<String> r) {
        try {
            return meteredOrThrow(r);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private UsageEvent meteredOrThrow(HttpResponse<String> r) throws InterruptedException {
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource())
                .byRequestId(r.headers().firstValue("x-gateway-request-id").orElseThrow()).orElseThrow();
    }

    /** The data events of an SSE body, without [DONE]; asserts it ended with [DONE]. */
    private static List<JsonNode> events(String sse) {
        List<JsonNode> out = new ArrayList<>();
        boolean done = false;
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (data.equals("[DONE]")) done = true;
            else out.add(Http.json(data));
        }
        assertThat(done).as("stream ends with [DONE]").isTrue();
        return out;
    }

    @Test
    void forwardedToTheUpstreamsCompletionsEndpointWithItsDefaultMaxTokensAndMetered() {
        HttpResponse<String> r = post(key, "{\"model\":\"cheap-test\",\"prompt\":\"one two three\",\"logit_bias\":{\"50256\":-100}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Http.json(r.body());
        assertThat(body.path("object").asText()).isEqualTo("text_completion");
        assertThat(body.path("choices").path(0).path("text").asText()).isEqualTo("Hello from cheap-open you said 3 words");
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(3);
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(7);
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("cheap-open");

        JsonNode stats = Http.upstreamStats("cheap-open");
        assertThat(stats.path("last_uri").asText()).isEqualTo("/v1/completions");
        JsonNode sent = stats.path("last_body");
        assertThat(sent.path("model").asText()).isEqualTo("cheap-open");
        assertThat(sent.path("prompt").asText()).isEqualTo("one two three");
        assertThat(sent.path("max_tokens").asInt()).as("OpenAI's default, sent explicitly").isEqualTo(16);
        assertThat(sent.path("logit_bias").path("50256").asInt()).as("other fields pass through").isEqualTo(-100);
        assertThat(sent.has("messages")).isFalse();

        UsageEvent e = metered(r);
        assertThat(e.promptTokens()).isEqualTo(3);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(e.deployment()).isEqualTo("cheap-open");
        assertThat(e.teamChargeMicros().signum()).isPositive();
    }

    @Test
    void streamedThroughTextCompletionChunksWithUsageOnlyWhenAskedAndAlwaysMetered() {
        HttpResponse<String> r = post(key, "{\"model\":\"cheap-test\",\"prompt\":\"one two three\",\"stream\":true}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> chunks = events(r.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("text_completion");
            assertThat(c.path("usage").isObject()).as("no usage chunk unless asked").isFalse();
            c.path("choices").forEach(ch -> text.append(ch.path("text").asText()));
        }
        assertThat(text.toString()).isEqualTo("Hello from cheap-open you said 3 words");
        assertThat(chunks.getLast().path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(Http.upstreamStats("cheap-open").path("last_body").path("stream_options").path("include_usage").asBoolean())
                .as("usage is always asked of the upstream, to meter the stream").isTrue();
        UsageEvent e = metered(r);
        assertThat(e.promptTokens()).isEqualTo(3);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(e.streamed()).isTrue();

        HttpResponse<String> withUsage = post(key, "{\"model\":\"cheap-test\",\"prompt\":\"one two three\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");
        JsonNode last = events(withUsage.body()).getLast();
        assertThat(last.path("usage").path("completion_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void batchOfPromptsWithSeveralChoicesIsForwardedAsIs() {
        HttpResponse<String> r = post(key, "{\"model\":\"cheap-test\",\"prompt\":[\"a b\",\"c\"],\"n\":2,\"max_tokens\":3}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode choices = Http.json(r.body()).path("choices");
        assertThat(choices.size()).isEqualTo(4);
        assertThat(choices.path(3).path("index").asInt()).isEqualTo(3);
        assertThat(choices.path(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(Http.upstreamStats("cheap-open").path("last_body").path("prompt").size()).isEqualTo(2);
    }

    @Test
    void theOpenAiSdkCreatesCompletionsWholeAndStreamed() {
        CompletionCreateParams params = CompletionCreateParams.builder().model("cheap-test").prompt("one two three").maxTokens(32).build();
        Completion c = client.completions().create(params);
        assertThat(c.choices().get(0).text()).isEqualTo("Hello from cheap-open you said 3 words");
        assertThat(c.choices().get(0).finishReason().asString()).isEqualTo("stop");
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(7);

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo("Hello from cheap-open you said 3 words");
    }

    @Test
    void azureIsForwardedToItsDeploymentsCompletionsUrl() {
        HttpResponse<String> r = post(key, "{\"model\":\"azure-test\",\"prompt\":\"one two\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Http.json(r.body()).path("choices").path(0).path("text").asText()).isEqualTo("Hello from azure-dep you said 2 words");
        assertThat(Http.upstreamStats("azure-dep").path("last_uri").asText()).startsWith("/openai/deployments/azure-dep/completions?api-version=");
    }

    @Test
    void anthropicServesTheOnePromptAsAUserMessageThroughChat() {
        HttpResponse<String> r = post(key, "{\"model\":\"claude-test\",\"prompt\":\"one two three\",\"max_tokens\":20}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Http.json(r.body());
        assertThat(body.path("object").asText()).isEqualTo("text_completion");
        assertThat(body.path("id").asText()).startsWith("cmpl-");
        assertThat(body.path("choices").path(0).path("text").asText()).isEqualTo("Hello from claude-test you said 3 words");
        assertThat(body.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode sent = Http.upstreamStats("claude-test").path("last_body");
        assertThat(sent.path("messages").size()).isEqualTo(1);
        assertThat(sent.path("messages").path(0).path("role").asText()).isEqualTo("user");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(20);
        UsageEvent e = metered(r);
        assertThat(e.promptTokens()).isEqualTo(body.path("usage").path("prompt_tokens").asLong()).isPositive();
        assertThat(e.completionTokens()).isEqualTo(body.path("usage").path("completion_tokens").asLong()).isPositive();
        assertThat(e.deployment()).isEqualTo("claude");

        HttpResponse<String> s = post(key, "{\"model\":\"claude-test\",\"prompt\":\"one two three\",\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (JsonNode c : events(s.body())) {
            assertThat(c.path("object").asText()).isEqualTo("text_completion");
            c.path("choices").forEach(ch -> text.append(ch.path("text").asText()));
        }
        assertThat(text.toString()).isEqualTo("Hello from claude-test you said 3 words");

        HttpResponse<String> batch = post(key, "{\"model\":\"claude-test\",\"prompt\":[\"a\",\"b\"]}");
        assertThat(batch.statusCode()).isEqualTo(400);
        assertThat(Http.json(batch.body()).path("error").path("param").asText()).isEqualTo("prompt");
    }

    @Test
    void theEmbeddedEngineCompletesTheRawPromptWithoutATemplate() {
        var engine = ((EmbeddedModels.State.Ready) models.orElseThrow().state("tiny")).engine();
        var expected = engine.complete("tiny", "Once upon a time", GenerationRequest.greedy(List.<EngineMessage>of(), 8), null, null);

        HttpResponse<String> r = post(key, "{\"model\":\"tiny-test\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":8}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Http.json(r.body());
        assertThat(body.path("choices").path(0).path("text").asText()).isEqualTo(expected.text()).isNotEmpty();
        assertThat(body.path("choices").path(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(body.path("usage").path("prompt_tokens").asInt()).as("4 tokens + BOS, no template").isEqualTo(5);
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(8);
        UsageEvent e = metered(r);
        assertThat(e.promptTokens()).isEqualTo(5);
        assertThat(e.completionTokens()).isEqualTo(8);

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("tiny-test").prompt("Once upon a time").temperature(0.0).maxTokens(8).build())) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(expected.text());

        HttpResponse<String> n2 = post(key, "{\"model\":\"tiny-test\",\"prompt\":\"hi\",\"n\":2,\"max_tokens\":2}");
        assertThat(n2.statusCode()).isEqualTo(400);
        assertThat(Http.json(n2.body()).path("error").path("param").asText()).isEqualTo("n");
    }

    @Test
    void unsupportedParametersAndBadPromptsAre400sThatReachNoUpstream() {
        String[][] cases = {
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"echo\":true}", "echo"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"suffix\":\"y\"}", "suffix"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"logprobs\":2}", "logprobs"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"best_of\":3}", "best_of"},
                {"{\"model\":\"cheap-test\",\"prompt\":[1,2,3]}", "prompt"},
                {"{\"model\":\"cheap-test\",\"prompt\":[\"a\",7]}", "prompt"},
                {"{\"model\":\"cheap-test\"}", "prompt"},
                {"{\"model\":\"cheap-test\",\"prompt\":[]}", "prompt"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"bad \\u0000 nul\"}", "prompt"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"temperature\":3}", "temperature"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"max_tokens\":0}", "max_tokens"},
                {"{\"model\":\"cheap-test\",\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"},
                {"{\"prompt\":\"x\"}", "model"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post(key, c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            JsonNode err = Http.json(r.body()).path("error");
            assertThat(err.path("param").asText()).as(c[0]).isEqualTo(c[1]);
            assertThat(err.path("message").asText()).as(c[0]).isNotBlank();
        }
        assertThat(Http.upstreamStats("cheap-open").path("requests").asInt()).isZero();
        assertThat(post(key, "{\"model\":\"cheap-test\",\"prompt\":\"x\",\"echo\":false,\"best_of\":1,\"logprobs\":null}").statusCode())
                .as("the defaults of the refused parameters are accepted").isEqualTo(200);
        assertThat(post("sk-not-a-key", "{\"model\":\"cheap-test\",\"prompt\":\"x\"}").statusCode()).isEqualTo(401);
    }
}
