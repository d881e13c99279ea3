package dev.llmgateway.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** Small pieces of OpenAI's response format shared by the adapters that build it and the stages that read it. */
public final class OpenAiJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private OpenAiJson() {}

    public static Buffer buffer(JsonNode n) {
        try {
            return Buffer.buffer(JSON.writeValueAsBytes(n));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code chat.completion.chunk} with one choice: {@code delta}, and {@code finish_reason} (null while streaming). */
    public static Buffer chunk(String id, long created, String model, ObjectNode delta, String finishReason) {
        ObjectNode c = chunkBase(id, created, model);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason);
        return buffer(c);
    }

    /** The envelope of a chunk, without choices (a usage-only chunk adds an empty choices array and usage). */
    public static ObjectNode chunkBase(String id, long created, String model) {
        ObjectNode c = F.objectNode();
        c.put("id", id);
        c.put("object", "chat.completion.chunk");
        c.put("created", created);
        c.put("model", model);
        return c;
    }

    /** The text of {@code choices[0].<field>.content} ({@code field} is "message" or "delta"); empty when absent. */
    public static String choiceText(Buffer body, String field) {
        try {
            return ChatRequest.textOf(JSON.readTree(body.getBytes()).path("choices").path(0).path(field).get("content"));
        } catch (IOException e) {
            return "";
        }
    }
}
