package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OpenAI requests reach Anthropic's Messages API translated, and answers come back in OpenAI's shape. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class AnthropicTranslationTest {
    private static final String TOOLS = """
            "tools":[{"type":"function","function":{"name":"search","description":"web search","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]""";
    private String key;

    @BeforeEach
    void setUp() { key = Http.newKey("anthropic-team"); }

    @Test
    void systemPromptRolesToolsAndStopAreTranslatedToMessagesApi() {
        String body = """
                {"model":"claude-test","max_tokens":77,"stop":["END"],"temperature":1.5,"user":"u-42",
                 "messages":[{"role":"system","content":"be brief"},
                             {"role":"user","content":"find cats"},
                             {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_0","type":"function","function":{"name":"search","arguments":"{\\"q\\":\\"cats\\"}"}}]},
                             {"role":"tool","tool_call_id":"toolu_0","content":"cats are mammals"},
                             {"role":"user","content":"thanks"}],
                 %s}
                """.formatted(TOOLS);
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, body);
        assertThat(r.statusCode()).isEqualTo(200);

        JsonNode sent = Http.upstreamStats("claude-test").path("last_body");
        JsonNode headers = Http.upstreamStats("claude-test").path("last_headers");
        assertThat(headers.path("x-api-key").asText()).isEqualTo("ant-upstream-secret-do-not-leak");
        assertThat(headers.path("anthropic-version").asText()).isEqualTo("2023-06-01");
        assertThat(sent.path("system").asText()).isEqualTo("be brief");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(77);
        assertThat(sent.path("temperature").asDouble()).isEqualTo(1.0);
        assertThat(sent.path("stop_sequences").get(0).asText()).isEqualTo("END");
        assertThat(sent.path("metadata").path("user_id").asText()).isEqualTo("u-42");
        assertThat(sent.path("tools").get(0).path("input_schema").path("type").asText()).isEqualTo("object");
        JsonNode msgs = sent.path("messages");
        assertThat(msgs.size()).isEqualTo(3);
        assertThat(msgs.get(1).path("content").get(0).path("type").asText()).isEqualTo("tool_use");
        assertThat(msgs.get(1).path("content").get(0).path("input").path("q").asText()).isEqualTo("cats");
        assertThat(msgs.get(2).path("role").asText()).isEqualTo("user");
        assertThat(msgs.get(2).path("content").get(0).path("type").asText()).isEqualTo("tool_result");
        assertThat(msgs.get(2).path("content").get(1).path("text").asText()).isEqualTo("thanks");

        JsonNode out = Http.json(r.body());
        assertThat(out.path("object").asText()).isEqualTo("chat.completion");
        JsonNode call = out.path("choices").get(0).path("message").path("tool_calls").get(0);
        assertThat(call.path("function").path("name").asText()).isEqualTo("search");
        assertThat(Http.json(call.path("function").path("arguments").asText()).path("q").asText()).isEqualTo("x");
        assertThat(out.path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(out.path("usage").path("prompt_tokens").asInt()).as("8 words of input + 2 cache reads").isEqualTo(10);
        assertThat(out.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void plainAnswerMapsStopReasonAndUsage() {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"claude-test\",\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}");
        JsonNode out = Http.json(r.body());
        assertThat(out.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello from claude-test you said 3 words");
        assertThat(out.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(out.path("usage").path("prompt_tokens").asInt()).isEqualTo(3 + 2);
        assertThat(out.path("usage").path("completion_tokens").asInt()).isEqualTo(7);
        assertThat(Http.upstreamStats("claude-test").path("last_body").path("max_tokens").asInt()).isEqualTo(4096);
    }

    @Test
    void streamingEventsBecomeOpenAiChunks() {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"claude-test\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"a b\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) chunks.add(Http.json(line.substring(6)));
        }
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            for (JsonNode ch : c.path("choices")) {
                text.append(ch.path("delta").path("content").asText(""));
                if (ch.path("finish_reason").isTextual()) finish = ch.path("finish_reason").asText();
            }
            if (c.hasNonNull("usage")) usage = c.get("usage");
        }
        assertThat(text.toString()).isEqualTo("Hello from claude-test you said 2 words");
        assertThat(finish).isEqualTo("stop");
        assertThat(usage).isNotNull();
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(7);
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void streamedToolCallArgumentsArriveAsOpenAiToolCallDeltas() {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"claude-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"find\"}]," + TOOLS + "}");
        StringBuilder args = new StringBuilder();
        String name = null;
        String finish = null;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            for (JsonNode ch : Http.json(line.substring(6)).path("choices")) {
                for (JsonNode call : ch.path("delta").path("tool_calls")) {
                    if (call.path("function").has("name")) name = call.path("function").path("name").asText();
                    args.append(call.path("function").path("arguments").asText(""));
                }
                if (ch.path("finish_reason").isTextual()) finish = ch.path("finish_reason").asText();
            }
        }
        assertThat(name).isEqualTo("search");
        assertThat(Http.json(args.toString()).path("q").asText()).isEqualTo("x");
        assertThat(finish).isEqualTo("tool_calls");
    }
}
