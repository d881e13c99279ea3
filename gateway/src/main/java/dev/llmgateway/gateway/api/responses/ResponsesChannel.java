package dev.llmgateway.gateway.api.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.http.SseResponse;
import dev.llmgateway.gateway.http.TranslatingChannel;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the pipeline's OpenAI chat-format answer as a Responses API {@code response} object, or as its event stream
 * ({@code response.created}, {@code response.output_text.delta}, ..., {@code response.completed}). Event-loop confined.
 */
public final class ResponsesChannel extends TranslatingChannel {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String id;
    private final ResponsesRequest.Echo echo;
    private final long createdAt = System.currentTimeMillis() / 1000;

    // Stream state.
    private long sequence;
    private boolean started;
    private final List<ObjectNode> output = new ArrayList<>();
    private ObjectNode openMessage;
    private StringBuilder openText;
    private ObjectNode openCall;
    private int openCallIndex = -1;
    private StringBuilder openArgs;
    private String finishReason;
    private long inputTokens;
    private long outputTokens;

    public ResponsesChannel(SseResponse out, String requestId, ResponsesRequest.Echo echo) {
        super(out);
        this.id = "resp_" + requestId.replace("req_", "");
        this.echo = echo;
    }

    @Override
    public void sendJson(int status, Map<String, String> headers, Buffer body) {
        JsonNode completion = parse(body);
        JsonNode choice = completion.path("choices").path(0);
        JsonNode msg = choice.path("message");
        List<ObjectNode> items = new ArrayList<>();
        String text = msg.path("content").isTextual() ? msg.get("content").asText() : "";
        if (!text.isEmpty() || !msg.has("tool_calls")) items.add(messageItem(text, "completed"));
        int i = 0;
        for (JsonNode call : msg.path("tool_calls")) {
            items.add(callItem(i++, call.path("id").asText(), call.path("function").path("name").asText(),
                    call.path("function").path("arguments").asText("{}"), "completed"));
        }
        JsonNode u = completion.path("usage");
        ObjectNode response = response(status(choice.path("finish_reason").asText(null)), items,
                u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0));
        out.json(status, headers, Buffer.buffer(response.toString()));
    }

    @Override
    public void startStream(Map<String, String> headers) { out.start(headers); }

    @Override
    public void writeEvent(Buffer chunkJson) {
        JsonNode chunk = parse(chunkJson);
        if (!started) {
            started = true;
            ObjectNode created = response("in_progress", List.of(), -1, -1);
            emit("response.created", F.objectNode().set("response", created));
            emit("response.in_progress", F.objectNode().set("response", created));
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
            if (openMessage == null) {
                closeCall();
                openMessage = messageItem("", "in_progress");
                openMessage.putArray("content");
                openText = new StringBuilder();
                emit("response.output_item.added", F.objectNode().put("output_index", output.size()).set("item", openMessage));
                emit("response.content_part.added", itemEvent(openMessage).put("content_index", 0).set("part", textPart("")));
            }
            openText.append(content.asText());
            emit("response.output_text.delta", itemEvent(openMessage).put("content_index", 0).put("delta", content.asText())
                    .set("logprobs", F.arrayNode()));
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(0);
            if (openCall == null || index != openCallIndex) {
                closeMessage();
                closeCall();
                openCall = callItem(index, call.path("id").asText("call_" + index), call.path("function").path("name").asText(""), "", "in_progress");
                openCallIndex = index;
                openArgs = new StringBuilder();
                emit("response.output_item.added", F.objectNode().put("output_index", output.size()).set("item", openCall));
            }
            String args = call.path("function").path("arguments").asText("");
            if (!args.isEmpty()) {
                openArgs.append(args);
                emit("response.function_call_arguments.delta", itemEvent(openCall).put("delta", args));
            }
        }
        String finish = choice.path("finish_reason").asText(null);
        if (finish != null) finishReason = finish;
    }

    @Override
    public void endStream() {
        if (!started) writeEvent(Buffer.buffer("{}"));
        closeMessage();
        closeCall();
        String status = status(finishReason);
        ObjectNode done = response(status, output, inputTokens, outputTokens);
        emit(status.equals("incomplete") ? "response.incomplete" : "response.completed", F.objectNode().set("response", done));
        out.end();
    }

    @Override
    public void abortStream(Buffer errorJson) {
        JsonNode err = parse(errorJson).path("error");
        ObjectNode e = F.objectNode();
        e.put("code", err.path("code").asText("api_error")).put("message", err.path("message").asText("the stream failed"));
        e.putNull("param");
        emit("error", e);
        out.end();
    }

    private void closeMessage() {
        if (openMessage == null) return;
        String text = openText.toString();
        emit("response.output_text.done", itemEvent(openMessage).put("content_index", 0).put("text", text).set("logprobs", F.arrayNode()));
        emit("response.content_part.done", itemEvent(openMessage).put("content_index", 0).set("part", textPart(text)));
        ObjectNode done = messageItem(text, "completed");
        emit("response.output_item.done", F.objectNode().put("output_index", output.size()).set("item", done));
        output.add(done);
        openMessage = null;
    }

    private void closeCall() {
        if (openCall == null) return;
        String args = openArgs.toString();
        emit("response.function_call_arguments.done", itemEvent(openCall).put("arguments", args));
        ObjectNode done = callItem(openCallIndex, openCall.path("call_id").asText(), openCall.path("name").asText(), args, "completed");
        emit("response.output_item.done", F.objectNode().put("output_index", output.size()).set("item", done));
        output.add(done);
        openCall = null;
        openCallIndex = -1;
    }

    private ObjectNode itemEvent(ObjectNode item) {
        return F.objectNode().put("item_id", item.path("id").asText()).put("output_index", output.size());
    }

    private void emit(String type, ObjectNode event) {
        ObjectNode e = F.objectNode().put("type", type);
        e.setAll(event);
        e.put("sequence_number", sequence++);
        out.event(type, e.toString());
    }

    private ObjectNode messageItem(String text, String status) {
        ObjectNode m = F.objectNode().put("type", "message").put("id", "msg_" + id.substring(5)).put("status", status).put("role", "assistant");
        if (status.equals("completed")) m.putArray("content").add(textPart(text));
        return m;
    }

    private ObjectNode callItem(int index, String callId, String name, String arguments, String status) {
        return F.objectNode().put("type", "function_call").put("id", "fc_" + id.substring(5) + "_" + index).put("call_id", callId)
                .put("name", name).put("arguments", arguments).put("status", status);
    }

    private static ObjectNode textPart(String text) {
        ObjectNode p = F.objectNode().put("type", "output_text").put("text", text);
        p.putArray("annotations");
        return p;
    }

    /** The response object; usage is left out while it is not known ({@code input < 0}). */
    private ObjectNode response(String status, List<ObjectNode> items, long input, long output) {
        ObjectNode r = F.objectNode();
        r.put("id", id).put("object", "response").put("created_at", createdAt).put("status", status);
        r.putNull("error");
        if (status.equals("incomplete")) r.putObject("incomplete_details").put("reason", "max_output_tokens");
        else r.putNull("incomplete_details");
        r.set("instructions", echo.instructions());
        r.set("max_output_tokens", echo.maxOutputTokens());
        r.set("metadata", echo.metadata());
        r.put("model", echo.model());
        ArrayNode o = r.putArray("output");
        items.forEach(o::add);
        r.put("parallel_tool_calls", echo.parallelToolCalls());
        r.set("temperature", echo.temperature());
        r.set("tool_choice", echo.toolChoice());
        r.set("tools", echo.tools());
        r.set("top_p", echo.topP());
        if (echo.text() != null && echo.text().isObject()) r.set("text", echo.text());
        else r.putObject("text").putObject("format").put("type", "text");
        r.put("truncation", "disabled").put("store", false);
        if (input >= 0) {
            ObjectNode u = r.putObject("usage");
            u.put("input_tokens", input);
            u.putObject("input_tokens_details").put("cached_tokens", 0);
            u.put("output_tokens", output);
            u.putObject("output_tokens_details").put("reasoning_tokens", 0);
            u.put("total_tokens", input + output);
        } else {
            r.putNull("usage");
        }
        return r;
    }

    private static String status(String finishReason) { return "length".equals(finishReason) ? "incomplete" : "completed"; }

}
