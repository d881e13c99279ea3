package dev.llmgateway.gateway.api.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.http.SseResponse;
import dev.llmgateway.gateway.http.TranslatingChannel;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Map;

/**
 * Writes the pipeline's OpenAI-format answer in the Anthropic Messages format: one {@code message} object, or the
 * {@code message_start ... message_stop} event stream. Confined to the request's event loop.
 */
public final class MessagesChannel extends TranslatingChannel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String id;
    private final String model;
    // Stream state: the index of the open content block (-1: none), what it is, and what the message ended with.
    private int blockIndex = -1;
    private String openBlock;
    private int openToolIndex = -1;
    private boolean started;
    private String stopReason;
    private long inputTokens;
    private long outputTokens;

    public MessagesChannel(SseResponse out, String requestId, String model) {
        super(out);
        this.id = "msg_" + requestId.replace("req_", "");
        this.model = model;
    }

    @Override
    public void sendJson(int status, Map<String, String> headers, Buffer body) {
        out.json(status, headers, Buffer.buffer(message(parse(body)).toString()));
    }

    /** An OpenAI chat completion as an Anthropic message. */
    ObjectNode message(JsonNode completion) {
        JsonNode choice = completion.path("choices").path(0);
        JsonNode msg = choice.path("message");
        ObjectNode m = F.objectNode();
        m.put("id", id).put("type", "message").put("role", "assistant");
        ArrayNode content = m.putArray("content");
        String text = msg.path("content").isTextual() ? msg.get("content").asText() : "";
        if (!text.isEmpty()) content.addObject().put("type", "text").put("text", text);
        for (JsonNode call : msg.path("tool_calls")) {
            content.addObject().put("type", "tool_use").put("id", call.path("id").asText())
                    .put("name", call.path("function").path("name").asText())
                    .set("input", arguments(call.path("function").path("arguments").asText("{}")));
        }
        m.put("model", model);
        m.put("stop_reason", stopReason(choice.path("finish_reason").asText(null)));
        m.putNull("stop_sequence");
        JsonNode u = completion.path("usage");
        m.set("usage", usage(u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0)));
        return m;
    }

    @Override
    public void startStream(Map<String, String> headers) { out.start(headers); }

    @Override
    public void writeEvent(Buffer chunkJson) {
        JsonNode chunk = parse(chunkJson);
        if (!started) {
            started = true;
            ObjectNode start = F.objectNode().put("type", "message_start");
            ObjectNode m = start.putObject("message");
            m.put("id", id).put("type", "message").put("role", "assistant").putArray("content");
            m.put("model", model).putNull("stop_reason");
            m.putNull("stop_sequence");
            // OpenAI-format upstreams report usage only at the end: the real counts come in message_delta.
            m.set("usage", usage(0, 0));
            out.event("message_start", start.toString());
        }
        JsonNode u = chunk.get("usage");
        if (u != null && u.isObject()) {
            inputTokens = u.path("prompt_tokens").asLong(inputTokens);
            outputTokens = u.path("completion_tokens").asLong(outputTokens);
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.isMissingNode()) return;
        JsonNode delta = choice.path("delta");
        JsonNode content = delta.get("content");
        if (content != null && content.isTextual() && !content.asText().isEmpty()) {
            if (!"text".equals(openBlock)) {
                openBlock(F.objectNode().put("type", "text").put("text", ""));
                openBlock = "text";
            }
            ObjectNode d = blockEvent("content_block_delta");
            d.putObject("delta").put("type", "text_delta").put("text", content.asText());
            out.event("content_block_delta", d.toString());
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(0);
            if (!"tool".equals(openBlock) || index != openToolIndex) {
                ObjectNode block = F.objectNode().put("type", "tool_use").put("id", call.path("id").asText("toolu_" + id + "_" + index))
                        .put("name", call.path("function").path("name").asText(""));
                block.putObject("input");
                openBlock(block);
                openBlock = "tool";
                openToolIndex = index;
            }
            String args = call.path("function").path("arguments").asText("");
            if (!args.isEmpty()) {
                ObjectNode d = blockEvent("content_block_delta");
                d.putObject("delta").put("type", "input_json_delta").put("partial_json", args);
                out.event("content_block_delta", d.toString());
            }
        }
        String finish = choice.path("finish_reason").asText(null);
        if (finish != null) stopReason = stopReason(finish);
    }

    @Override
    public void endStream() {
        if (!started) writeEvent(Buffer.buffer("{}"));
        closeBlock();
        ObjectNode delta = F.objectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason == null ? "end_turn" : stopReason).putNull("stop_sequence");
        delta.set("usage", usage(inputTokens, outputTokens));
        out.event("message_delta", delta.toString());
        out.event("message_stop", "{\"type\":\"message_stop\"}");
        out.end();
    }

    @Override
    public void abortStream(Buffer errorJson) {
        JsonNode openAi = parse(errorJson).path("error");
        ObjectNode e = F.objectNode().put("type", "error");
        e.putObject("error").put("type", "api_error").put("message", openAi.path("message").asText("the stream failed"));
        out.event("error", e.toString());
        out.end();
    }

    /** An error before anything was written, in the Anthropic format: {@code {"type":"error","error":{"type","message"}}}. */
    public static String errorBody(GatewayError error) {
        ErrorResponses.Shape shape = ErrorResponses.shape(error);
        String type = switch (shape.status()) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> "api_error";
        };
        ObjectNode root = F.objectNode().put("type", "error");
        root.putObject("error").put("type", type).put("message", error.message());
        return root.toString();
    }

    private void openBlock(ObjectNode block) {
        closeBlock();
        blockIndex++;
        ObjectNode start = blockEvent("content_block_start");
        start.set("content_block", block);
        out.event("content_block_start", start.toString());
    }

    private void closeBlock() {
        if (openBlock == null) return;
        out.event("content_block_stop", blockEvent("content_block_stop").toString());
        openBlock = null;
        openToolIndex = -1;
    }

    private ObjectNode blockEvent(String type) { return F.objectNode().put("type", type).put("index", blockIndex); }

    private static ObjectNode usage(long input, long output) {
        ObjectNode u = F.objectNode();
        u.put("input_tokens", input).put("output_tokens", output);
        u.put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", 0);
        return u;
    }

    static String stopReason(String finishReason) {
        if (finishReason == null) return null;
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    private static JsonNode arguments(String args) {
        try {
            JsonNode n = JSON.readTree(args);
            return n != null && n.isObject() ? n : F.objectNode();
        } catch (IOException e) {
            return F.objectNode();
        }
    }

}
