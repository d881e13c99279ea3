package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ContentBlockParam;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic Messages API ({@code /v1/messages}) and the OpenAI Responses API ({@code /v1/responses}) inbound,
 * driven by the official Anthropic and OpenAI Java SDKs over routes to an OpenAI-compatible provider, an Anthropic
 * provider and the embedded engine; metered exactly like chat completions.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class InboundApisTest {
    private String key;
    private AnthropicClient anthropic;
    private OpenAIClient openai;

    @BeforeEach
    void setUp() {
        key = Http.newKey("inbound-team");
        anthropic = AnthropicOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway()).maxRetries(0).build();
        openai = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
    }

    @Test
    void anthropicSdkGetsAMessageWithUsageFromAnOpenAiCompatibleRoute() {
        Message m = anthropic.messages().create(MessageCreateParams.builder().model("gpt-test").maxTokens(50)
                .system("be brief").addUserMessage("three little words").build());

        assertThat(m.content()).hasSize(1);
        assertThat(m.content().get(0).asText().text()).isEqualTo("Hello from model-a you said 5 words");
        assertThat(m.usage().inputTokens()).isEqualTo(5);
        assertThat(m.usage().outputTokens()).isEqualTo(7);
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(m.model().asString()).isEqualTo("gpt-test");
        JsonNode sent = Http.upstreamStats("model-a").path("last_body");
        assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(50);
    }

    @Test
    void anthropicSdkStreamsMessageStartDeltasAndUsageInMessageDelta() {
        MessageCreateParams params = MessageCreateParams.builder().model("gpt-test").maxTokens(50).addUserMessage("two words").build();
        StringBuilder text = new StringBuilder();
        List<String> types = new ArrayList<>();
        long[] usage = {-1, -1};
        try (StreamResponse<RawMessageStreamEvent> s = anthropic.messages().createStreaming(params)) {
            s.stream().forEach(e -> {
                if (e.isMessageStart()) types.add("message_start");
                if (e.isContentBlockStart()) types.add("content_block_start");
                if (e.isContentBlockStop()) types.add("content_block_stop");
                if (e.isMessageStop()) types.add("message_stop");
                e.contentBlockDelta().ifPresent(d -> d.delta().text().ifPresent(t -> text.append(t.text())));
                e.messageDelta().ifPresent(d -> {
                    types.add("message_delta");
                    usage[0] = d.usage().inputTokens().orElse(-1L);
                    usage[1] = d.usage().outputTokens();
                    assertThat(d.delta().stopReason()).contains(StopReason.END_TURN);
                });
            });
        }
        assertThat(text.toString()).isEqualTo("Hello from model-a you said 2 words");
        assertThat(types).containsSubsequence("message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop");
        assertThat(usage[0]).isEqualTo(2);
        assertThat(usage[1]).isEqualTo(7);
    }

    @Test
    void anthropicToolUseAndToolResultRoundTripThroughAChatCompletionsProvider() {
        Tool tool = Tool.builder().name("lookup").description("looks things up")
                .inputSchema(Tool.InputSchema.builder().properties(JsonValue.from(Map.of("q", Map.of("type", "string")))).build()).build();
        Message m = anthropic.messages().create(MessageCreateParams.builder().model("gpt-test").maxTokens(50)
                .addUserMessage("find it").addTool(tool).build());

        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
        ContentBlock use = m.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertThat(use.asToolUse().name()).isEqualTo("lookup");
        assertThat(use.asToolUse()._input().toString()).contains("q").contains("x");
        JsonNode sent = Http.upstreamStats("model-a").path("last_body");
        assertThat(sent.path("tools").get(0).path("function").path("name").asText()).isEqualTo("lookup");
        assertThat(sent.path("tools").get(0).path("function").path("parameters").path("properties").has("q")).isTrue();

        // The client answers the tool call: the provider gets an assistant tool call and a tool message.
        anthropic.messages().create(MessageCreateParams.builder().model("gpt-test").maxTokens(50)
                .addUserMessage("find it").addMessage(m)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                        .toolUseId(use.asToolUse().id()).content("forty two").build())))
                .build());
        JsonNode second = Http.upstreamStats("model-a").path("last_body").path("messages");
        assertThat(second.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo(use.asToolUse().id());
        assertThat(second.get(2).path("role").asText()).isEqualTo("tool");
        assertThat(second.get(2).path("content").asText()).isEqualTo("forty two");
    }

    @Test
    void anthropicSdkWorksOverAnAnthropicProviderAndTheEmbeddedEngine() {
        Message viaClaude = anthropic.messages().create(MessageCreateParams.builder().model("claude-test").maxTokens(30)
                .addUserMessage("hi there").build());
        assertThat(viaClaude.content().get(0).asText().text()).contains("claude-test");
        assertThat(viaClaude.usage().outputTokens()).isPositive();

        Message viaEngine = anthropic.messages().create(MessageCreateParams.builder().model("tiny-test").maxTokens(8)
                .addUserMessage("Once upon a time").build());
        assertThat(viaEngine.usage().inputTokens()).isPositive();
        assertThat(viaEngine.usage().outputTokens()).isBetween(1L, 8L);
        assertThat(viaEngine.stopReason()).isPresent();
    }

    @Test
    void messagesAreMeteredLikeChatCompletionsWithBothKeyHeaders() throws Exception {
        HttpResponse<String> viaApiKey = Http.send(HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/messages"))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"gpt-test\",\"max_tokens\":20,\"metadata\":{\"user_id\":\"u-7\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}"))
                .build());
        assertThat(viaApiKey.statusCode()).isEqualTo(200);
        assertThat(viaApiKey.headers().firstValue("x-gateway-route")).contains("gpt-test");
        String id = viaApiKey.headers().firstValue("x-gateway-request-id").orElseThrow();
        JsonNode usage = awaitUsage(id);
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(2);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(7);
        assertThat(usage.path("team").asText()).isEqualTo("inbound-team");
        assertThat(usage.path("end_user").asText("u-7")).isEqualTo("u-7");

        HttpResponse<String> viaBearer = Http.post(Http.gateway() + "/v1/messages", key,
                "{\"model\":\"gpt-test\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(viaBearer.statusCode()).isEqualTo(200);
        assertThat(Http.json(viaBearer.body()).path("type").asText()).isEqualTo("message");
    }

    @Test
    void messagesErrorsComeInTheAnthropicShapeTheSdkUnderstands() {
        AnthropicClient bad = AnthropicOkHttpClient.builder().apiKey("gw-wrong").baseUrl(Http.gateway()).maxRetries(0).build();
        assertThatThrownBy(() -> bad.messages().create(MessageCreateParams.builder().model("gpt-test").maxTokens(5)
                .addUserMessage("hi").build())).isInstanceOf(UnauthorizedException.class);
        assertThatThrownBy(() -> anthropic.messages().create(MessageCreateParams.builder().model("no-such-route").maxTokens(5)
                .addUserMessage("hi").build())).isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-route");

        HttpResponse<String> noMax = Http.post(Http.gateway() + "/v1/messages", key,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(noMax.statusCode()).isEqualTo(400);
        JsonNode err = Http.json(noMax.body());
        assertThat(err.path("type").asText()).isEqualTo("error");
        assertThat(err.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(err.path("error").path("message").asText()).contains("max_tokens");

        HttpResponse<String> oldVersion = Http.send(HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/messages"))
                .header("x-api-key", key).header("anthropic-version", "latest").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(oldVersion.statusCode()).isEqualTo(400);
        assertThat(Http.json(oldVersion.body()).path("error").path("message").asText()).contains("anthropic-version");
    }

    @Test
    void responsesApiAnswersWithOutputTextAndUsageThroughTheOpenAiSdk() {
        Response r = openai.responses().create(ResponseCreateParams.builder().model("gpt-test").input("three little words")
                .instructions("be brief").maxOutputTokens(40L).build());

        assertThat(outputText(r)).isEqualTo("Hello from model-a you said 5 words");
        assertThat(r.usage().orElseThrow().inputTokens()).isEqualTo(5);
        assertThat(r.usage().orElseThrow().outputTokens()).isEqualTo(7);
        assertThat(r.usage().orElseThrow().totalTokens()).isEqualTo(12);
        assertThat(r.status()).hasValueSatisfying(s -> assertThat(s.asString()).isEqualTo("completed"));
        JsonNode sent = Http.upstreamStats("model-a").path("last_body");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(40);
        assertThat(sent.path("messages").get(0).path("content").asText()).isEqualTo("be brief");
    }

    @Test
    void responsesApiStreamsCreatedDeltasAndCompletedWithUsage() {
        List<String> types = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        try (var s = openai.responses().createStreaming(ResponseCreateParams.builder().model("gpt-test").input("two words").build())) {
            s.stream().forEach((ResponseStreamEvent e) -> {
                e.created().ifPresent(c -> types.add("created"));
                e.outputTextDelta().ifPresent(d -> {
                    types.add("delta");
                    text.append(d.delta());
                });
                e.completed().ifPresent(c -> {
                    types.add("completed");
                    usage[0] = c.response().usage().orElseThrow().outputTokens();
                    assertThat(outputText(c.response())).isEqualTo("Hello from model-a you said 2 words");
                });
            });
        }
        assertThat(types.get(0)).isEqualTo("created");
        assertThat(types).contains("delta").last().isEqualTo("completed");
        assertThat(text.toString()).isEqualTo("Hello from model-a you said 2 words");
        assertThat(usage[0]).isEqualTo(7);
    }

    @Test
    void responsesApiFunctionToolsComeBackAsFunctionCallItems() {
        Response r = openai.responses().create(ResponseCreateParams.builder().model("gpt-test").input("find it")
                .addTool(FunctionTool.builder().name("lookup").parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", com.openai.core.JsonValue.from("object")).build()).strict(false).build())
                .build());
        var call = r.output().stream().filter(o -> o.isFunctionCall()).findFirst().orElseThrow().asFunctionCall();
        assertThat(call.name()).isEqualTo("lookup");
        assertThat(call.arguments()).isEqualTo("{\"q\":\"x\"}");
        assertThat(Http.upstreamStats("model-a").path("last_body").path("tools").get(0).path("function").path("name").asText())
                .isEqualTo("lookup");
    }

    @Test
    void responsesApiIsStatelessAndSaysSo() {
        assertThatThrownBy(() -> openai.responses().create(ResponseCreateParams.builder().model("gpt-test").input("again")
                .previousResponseId("resp_123").build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("statelessly");
    }

    @Test
    void oddAndHostileInputIsAClearErrorInEachApisOwnFormatAndStoresNothing() throws Exception {
        String team = "odd-input-team";
        String k = Http.newKey(team);
        String messages = Http.gateway() + "/v1/messages";
        String responses = Http.gateway() + "/v1/responses";
        String completions = Http.gateway() + "/v1/completions";
        String msg = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        String huge = "99999999999999999999";
        // {url, body, status, text the message must contain}
        String[][] cases = {
                {messages, "{not json", "400", "not valid JSON"},
                {messages, "[]", "400", "JSON object"},
                {messages, "{\"max_tokens\":5," + msg + "}", "400", "model: Field required"},
                {messages, "{\"model\":5,\"max_tokens\":5," + msg + "}", "400", "model: must be a non-empty string"},
                {messages, "{\"model\":\"gpt-test\",\"max_tokens\":\"5\"," + msg + "}", "400", "max_tokens"},
                {messages, "{\"model\":\"gpt-test\",\"max_tokens\":" + huge + "," + msg + "}", "400", "max_tokens"},
                {messages, "{\"model\":\"gpt-test\",\"max_tokens\":5,\"temperature\":1e400," + msg + "}", "400", "temperature"},
                {messages, "{\"model\":\"gpt-test\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", "400", "NUL"},
                {messages, "{\"model\":\"gpt-test\",\"max_tokens\":5,\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", "400", "role"},
                {messages, "{\"model\":\"no-such-route\",\"max_tokens\":5," + msg + "}", "404", "no-such-route"},
                {responses, "{not json", "400", "not valid JSON"},
                {responses, "{\"model\":5,\"input\":\"hi\"}", "400", "'model' must be a non-empty string"},
                {responses, "{\"model\":\"gpt-test\"}", "400", "'input' is required"},
                {responses, "{\"model\":\"gpt-test\",\"input\":5}", "400", "'input'"},
                {responses, "{\"model\":\"gpt-test\",\"input\":\"hi\",\"max_output_tokens\":" + huge + "}", "400", "max_output_tokens"},
                {responses, "{\"model\":\"gpt-test\",\"input\":\"a\\u0000b\"}", "400", "NUL"},
                {responses, "{\"model\":\"gpt-test\",\"input\":\"hi\",\"background\":true}", "400", "'background' is not supported"},
                {responses, "{\"model\":\"no-such-route\",\"input\":\"hi\"}", "404", "no-such-route"},
                {completions, "{not json", "400", "not valid JSON"},
                {completions, "{\"model\":\"gpt-test\"}", "400", "'prompt' is required"},
                {completions, "{\"model\":\"gpt-test\",\"prompt\":5}", "400", "'prompt'"},
                {completions, "{\"model\":\"gpt-test\",\"prompt\":\"hi\",\"max_tokens\":" + huge + "}", "400", "max_tokens"},
                {completions, "{\"model\":\"gpt-test\",\"prompt\":\"a\\u0000b\"}", "400", "NUL"},
                {completions, "{\"model\":\"no-such-route\",\"prompt\":\"hi\"}", "404", "no-such-route"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = Http.post(c[0], k, c[1]);
            String what = c[0].substring(c[0].indexOf("/v1/")) + " " + c[1];
            assertThat(r.statusCode()).as(what).isEqualTo(Integer.parseInt(c[2]));
            assertError(c[0].endsWith("/v1/messages"), r.body(), c[3], what);
        }
        // Streaming with a bad key: a plain error in the API's format, not an event stream.
        for (String url : List.of(messages, responses, completions)) {
            String body = url.endsWith("/v1/messages") ? "{\"model\":\"gpt-test\",\"max_tokens\":5,\"stream\":true," + msg + "}"
                    : url.endsWith("/v1/responses") ? "{\"model\":\"gpt-test\",\"input\":\"hi\",\"stream\":true}"
                    : "{\"model\":\"gpt-test\",\"prompt\":\"hi\",\"stream\":true}";
            HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(url)).header("x-api-key", "gw-wrong")
                    .header("authorization", "Bearer gw-wrong").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
            assertThat(r.statusCode()).as(url).isEqualTo(401);
            assertThat(r.headers().firstValue("content-type")).as(url).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            assertError(url.endsWith("/v1/messages"), r.body(), "Incorrect API key", url + " stream, bad key");
        }
        // Other methods and paths under /v1/messages answer in Anthropic's format too.
        HttpResponse<String> get = Http.get(messages, k);
        assertThat(get.statusCode()).isEqualTo(404);
        assertError(true, get.body(), "GET /v1/messages", "GET /v1/messages");
        HttpResponse<String> countTokens = Http.post(messages + "/count_tokens", k, "{\"model\":\"gpt-test\"," + msg + "}");
        assertThat(countTokens.statusCode()).isEqualTo(404);
        assertError(true, countTokens.body(), "/v1/messages/count_tokens", "count_tokens");

        // Nothing above was metered: after one good request (whose record proves the writer has caught up) the team
        // has exactly that one record.
        HttpResponse<String> ok = Http.post(messages, k, "{\"model\":\"gpt-test\",\"max_tokens\":5," + msg + "}");
        assertThat(ok.statusCode()).isEqualTo(200);
        awaitUsage(ok.headers().firstValue("x-gateway-request-id").orElseThrow());
        JsonNode log = Http.json(Http.get(Http.gateway() + "/admin/requests?team=" + team + "&limit=200", GatewayTestResource.ADMIN_KEY).body());
        assertThat(log.path("data")).hasSize(1);
        assertThat(log.path("data").get(0).path("status").asInt()).isEqualTo(200);
    }

    /** Anthropic's {"type":"error","error":{type,message}} or OpenAI's {"error":{message,type,code,param}}. */
    private static void assertError(boolean anthropic, String body, String contains, String what) {
        JsonNode err = Http.json(body);
        if (anthropic) {
            assertThat(err.path("type").asText()).as(what).isEqualTo("error");
            assertThat(err.path("error").path("type").asText()).as(what).isNotBlank();
        } else {
            assertThat(err.path("type").isMissingNode()).as(what).isTrue();
            assertThat(err.path("error").has("code")).as(what).isTrue();
            assertThat(err.path("error").path("type").asText()).as(what).isNotBlank();
        }
        assertThat(err.path("error").path("message").asText()).as(what).contains(contains);
    }

    private static String outputText(Response r) {
        StringBuilder sb = new StringBuilder();
        r.output().forEach(o -> o.message().ifPresent(m -> m.content().forEach(c -> c.outputText().ifPresent(t -> sb.append(t.text())))));
        return sb.toString();
    }

    private static JsonNode awaitUsage(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = Http.get(Http.gateway() + "/admin/usage/" + id, GatewayTestResource.ADMIN_KEY);
            if (r.statusCode() == 200) return Http.json(r.body());
            Thread.sleep(100);
        }
        throw new AssertionError("no usage record for " + id);
    }
}
