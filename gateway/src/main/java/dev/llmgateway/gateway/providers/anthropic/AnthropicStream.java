package dev.llmgateway.gateway.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.SseUpstreamStream;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.buffer.Buffer;

/**
 * Anthropic's Messages event stream translated into OpenAI chunks as events arrive: {@code message_start} opens the
 * assistant turn, text and tool-input deltas become content and tool-call deltas, {@code message_delta} carries the
 * finish reason and output count, {@code message_stop} ends a complete answer (and brings the usage chunk).
 */
final class AnthropicStream extends SseUpstreamStream {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final long created = System.currentTimeMillis() / 1000;
    private String id = "chatcmpl-anthropic";
    private String model = "";
    private int inputTokens;
    private int cacheRead;
    private int outputTokens;
    private int streamedChars;
    private String finish = "stop";
    private int toolIndex = -1;
    private boolean stopped;

    AnthropicStream(ProviderCall call, UpstreamHttp.Exchange x) { super(call, x); }

    @Override
    protected void onEvent(String event, String data, ChunkSink sink) {
        JsonNode e = json(data);
        switch (e.path("type").asText(event)) {
            case "message_start" -> {
                JsonNode m = e.path("message");
                id = "chatcmpl-" + m.path("id").asText();
                model = m.path("model").asText();
                Usage u = AnthropicMapper.usage(m.path("usage"));
                cacheRead = u.cachedTokens();
                inputTokens = u.promptTokens();
                outputTokens = u.completionTokens();
                ObjectNode delta = F.objectNode();
                delta.put("role", "assistant");
                delta.put("content", "");
                sink.chunk(chunk(delta, null));
            }
            case "content_block_start" -> {
                JsonNode b = e.path("content_block");
                if (b.path("type").asText().equals("tool_use")) {
                    toolIndex++;
                    ObjectNode tc = F.objectNode();
                    tc.put("index", toolIndex);
                    tc.put("id", b.path("id").asText());
                    tc.put("type", "function");
                    tc.putObject("function").put("name", b.path("name").asText()).put("arguments", "");
                    sink.chunk(chunk(toolDelta(tc), null));
                }
            }
            case "content_block_delta" -> {
                JsonNode d = e.path("delta");
                switch (d.path("type").asText()) {
                    case "text_delta" -> {
                        streamedChars += d.path("text").asText().length();
                        ObjectNode delta = F.objectNode();
                        delta.put("content", d.path("text").asText());
                        sink.chunk(chunk(delta, null));
                    }
                    case "input_json_delta" -> {
                        streamedChars += d.path("partial_json").asText().length();
                        ObjectNode tc = F.objectNode();
                        tc.put("index", toolIndex);
                        tc.putObject("function").put("arguments", d.path("partial_json").asText());
                        sink.chunk(chunk(toolDelta(tc), null));
                    }
                    default -> { }
                }
            }
            case "message_delta" -> {
                finish = AnthropicMapper.finishReason(e.path("delta").path("stop_reason").asText("end_turn"));
                if (e.path("usage").has("output_tokens")) outputTokens = e.path("usage").path("output_tokens").asInt();
                sink.chunk(chunk(F.objectNode(), finish));
            }
            case "message_stop" -> {
                stopped = true;
                if (call.chat().clientWantsUsage()) {
                    ObjectNode c = OpenAiJson.chunkBase(id, created, model);
                    c.putArray("choices");
                    c.set("usage", AnthropicMapper.usageJson(usage()));
                    sink.chunk(OpenAiJson.buffer(c));
                }
            }
            case "error" -> throw midStreamError(e.path("error").path("message").asText(""));
            default -> { }
        }
    }

    @Override
    protected End onEnd(ChunkSink sink) {
        if (!stopped) throw endedEarly("message_stop");
        return new End(usage(), finish);
    }

    private Usage usage() { return new Usage(inputTokens, outputTokens, cacheRead, false); }

    @Override
    public Usage usageSoFar() {
        // message_delta carries the final output count; before it, estimate from the text streamed so far.
        int out = Math.max(outputTokens, Usage.estimateTokens(streamedChars));
        return new Usage(inputTokens, out, cacheRead, true);
    }

    private static ObjectNode toolDelta(ObjectNode toolCall) {
        ObjectNode delta = F.objectNode();
        delta.putArray("tool_calls").add(toolCall);
        return delta;
    }

    private Buffer chunk(ObjectNode delta, String finishReason) { return OpenAiJson.chunk(id, created, model, delta, finishReason); }
}
