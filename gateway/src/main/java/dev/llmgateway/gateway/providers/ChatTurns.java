package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.errors.GatewayError;
import java.io.IOException;
import java.util.Optional;

/**
 * How the adapters of APIs with a separate system prompt and strictly alternating turns (Anthropic, Gemini) read an
 * OpenAI chat: system and developer messages gathered into one prompt, the other messages visited in order, consecutive
 * turns of one role merged, tool-call arguments and image URLs taken apart the same way.
 */
public final class ChatTurns {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ChatTurns() {}

    /** What an adapter does with each kind of (already validated) message. */
    public interface Visitor {
        void user(JsonNode content);

        void assistant(JsonNode message);

        /** A {@code tool} (or legacy {@code function}) result. */
        void tool(JsonNode message);
    }

    /** Visits the chat's messages in order; returns the system and developer messages joined by blank lines. */
    public static StringBuilder walk(ChatRequest chat, Visitor visitor) {
        StringBuilder system = new StringBuilder();
        for (JsonNode m : chat.messages()) {
            String role = m.path("role").asText();
            switch (role) {
                case "system", "developer" -> {
                    if (!system.isEmpty()) system.append("\n\n");
                    system.append(ChatRequest.textOf(m.get("content")));
                }
                case "user" -> visitor.user(m.get("content"));
                case "assistant" -> visitor.assistant(m);
                case "tool", "function" -> visitor.tool(m);
                default -> throw new IllegalStateException("validated role " + role);
            }
        }
        return system;
    }

    /** Appends a turn of {@code role}, merged into the last turn when that has the same role (both APIs want alternation). */
    public static void append(ArrayNode turns, String role, String partsField, ArrayNode parts) {
        if (!turns.isEmpty()) {
            ObjectNode last = (ObjectNode) turns.get(turns.size() - 1);
            if (last.path("role").asText().equals(role)) {
                ((ArrayNode) last.get(partsField)).addAll(parts);
                return;
            }
        }
        ObjectNode turn = turns.addObject();
        turn.put("role", role);
        turn.set(partsField, parts);
    }

    /** A tool call's {@code arguments} as a JSON object (blank: empty; not an object: empty); invalid JSON is the client's error. */
    public static JsonNode arguments(String args) {
        try {
            JsonNode n = JSON.readTree(args.isBlank() ? "{}" : args);
            return n.isObject() ? n : F.objectNode();
        } catch (IOException e) {
            throw new GatewayError.Failure(new GatewayError.BadRequest("tool call arguments must be a JSON object", "messages"));
        }
    }

    /** An image given inline as a base64 {@code data:} URL. */
    public record InlineImage(String mediaType, String base64) {}

    /** The inline image of a {@code data:...;base64,} URL; empty for a URL to fetch. */
    public static Optional<InlineImage> inline(String url) {
        if (!url.startsWith("data:") || !url.contains(";base64,")) return Optional.empty();
        return Optional.of(new InlineImage(url.substring(5, url.indexOf(';')), url.substring(url.indexOf(";base64,") + 8)));
    }

    /** A content part this provider cannot carry: the client's error. */
    public static GatewayError.Failure unsupportedPart(JsonNode part) {
        return new GatewayError.Failure(new GatewayError.BadRequest(
                "content part type '" + part.path("type").asText() + "' is not supported by this deployment", "messages"));
    }
}
