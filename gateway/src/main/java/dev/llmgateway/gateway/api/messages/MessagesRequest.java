package dev.llmgateway.gateway.api.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.GatewayError;

/**
 * Translates an Anthropic Messages API request ({@code POST /v1/messages}) into the OpenAI chat-completions request the
 * pipeline runs, so routing, admission, metering and every provider work the same for both APIs.
 */
public final class MessagesRequest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /**
     * The Messages API version whose wire format this translation speaks. Later dated versions (SDKs send their own)
     * only add optional fields to it, so any dated version from 2023-01-01 on is accepted; anything else is a 400.
     */
    public static final String BASE_VERSION = "2023-06-01";
    private static final java.util.regex.Pattern DATED = java.util.regex.Pattern.compile("20\\d\\d-[01]\\d-[0-3]\\d");

    /** Whether an {@code anthropic-version} header names a version this translation can answer. */
    public static boolean isSupportedVersion(String version) {
        return DATED.matcher(version).matches() && version.compareTo("2023-01-01") >= 0;
    }

    private MessagesRequest() {}

    /** Parses and translates; every problem is a 400 naming the Anthropic parameter. */
    public static ObjectNode toChat(byte[] body) {
        JsonNode root = dev.llmgateway.gateway.api.ClientText.readObject(body);
        // Checked in the client's own terms, so that param names the field the client sent (see ClientText).
        dev.llmgateway.gateway.api.ClientText.checkTree(root, "");
        ObjectNode chat = F.objectNode();
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) throw bad("model: Field required", "model");
        if (!model.isTextual() || model.asText().isBlank()) throw bad("model: must be a non-empty string (a route name)", "model");
        chat.put("model", model.asText());
        JsonNode maxTokens = root.get("max_tokens");
        if (maxTokens == null || maxTokens.isNull()) throw bad("max_tokens: Field required", "max_tokens");
        if (!maxTokens.isIntegralNumber() || !maxTokens.canConvertToInt() || maxTokens.asInt() < 1) {
            throw bad("max_tokens: must be a positive integer", "max_tokens");
        }
        chat.put("max_tokens", maxTokens.asInt());

        ArrayNode messages = chat.putArray("messages");
        system(root.get("system"), messages);
        JsonNode msgs = root.get("messages");
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) throw bad("messages: must be a non-empty array", "messages");
        for (int i = 0; i < msgs.size(); i++) message(msgs.get(i), "messages." + i, messages);

        copyNumber(root, chat, "temperature", 0, 1);
        copyNumber(root, chat, "top_p", 0, 1);
        JsonNode stops = root.get("stop_sequences");
        if (stops != null && !stops.isNull()) {
            if (!stops.isArray()) throw bad("stop_sequences: must be an array of strings", "stop_sequences");
            for (JsonNode s : stops) if (!s.isTextual()) throw bad("stop_sequences: must be an array of strings", "stop_sequences");
            if (!stops.isEmpty()) chat.set("stop", stops);
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject()) throw bad("metadata: must be an object", "metadata");
            JsonNode user = metadata.get("user_id");
            if (user != null && !user.isNull()) {
                if (!user.isTextual()) throw bad("metadata.user_id: must be a string", "metadata.user_id");
                dev.llmgateway.gateway.api.ClientText.checkLength(user.asText(), dev.llmgateway.gateway.api.ClientText.USER_MAX_CHARS, "metadata.user_id");
                chat.put("user", user.asText());
            }
        }
        tools(root, chat);
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) throw bad("stream: must be a boolean", "stream");
            if (stream.asBoolean()) {
                chat.put("stream", true);
                // The translated stream ends with message_delta carrying usage: always ask for it.
                chat.putObject("stream_options").put("include_usage", true);
            }
        }
        return chat;
    }

    private static void system(JsonNode system, ArrayNode out) {
        if (system == null || system.isNull()) return;
        if (system.isTextual()) {
            if (!system.asText().isEmpty()) out.addObject().put("role", "system").put("content", system.asText());
            return;
        }
        if (!system.isArray()) throw bad("system: must be a string or an array of text blocks", "system");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < system.size(); i++) {
            JsonNode b = system.get(i);
            if (!"text".equals(b.path("type").asText()) || !b.path("text").isTextual()) {
                throw bad("system." + i + ": only text blocks are supported", "system." + i);
            }
            if (!text.isEmpty()) text.append("\n\n");
            text.append(b.get("text").asText());
        }
        out.addObject().put("role", "system").put("content", text.toString());
    }

    private static void message(JsonNode m, String path, ArrayNode out) {
        if (!m.isObject()) throw bad(path + ": must be an object", path);
        String role = m.path("role").asText();
        if (!role.equals("user") && !role.equals("assistant")) throw bad(path + ".role: must be 'user' or 'assistant'", path + ".role");
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) throw bad(path + ".content: Field required", path + ".content");
        if (content.isTextual()) {
            out.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (!content.isArray()) throw bad(path + ".content: must be a string or an array of content blocks", path + ".content");
        if (role.equals("assistant")) assistant(content, path, out);
        else user(content, path, out);
    }

    private static void user(JsonNode blocks, String path, ArrayNode out) {
        ArrayNode parts = F.arrayNode();
        for (int i = 0; i < blocks.size(); i++) {
            JsonNode b = blocks.get(i);
            String p = path + ".content." + i;
            switch (b.path("type").asText()) {
                case "text" -> parts.addObject().put("type", "text").put("text", text(b, p));
                case "image" -> parts.addObject().put("type", "image_url").putObject("image_url").put("url", imageUrl(b.path("source"), p));
                case "tool_result" -> {
                    // OpenAI wants tool answers as their own messages, right after the assistant's tool calls.
                    ObjectNode tool = out.addObject().put("role", "tool");
                    if (!b.path("tool_use_id").isTextual()) throw bad(p + ".tool_use_id: Field required", p + ".tool_use_id");
                    tool.put("tool_call_id", b.get("tool_use_id").asText());
                    String result = toolResultText(b.get("content"), p);
                    tool.put("content", b.path("is_error").asBoolean(false) ? "Error: " + result : result);
                }
                default -> throw bad(p + ".type: unsupported content block '" + b.path("type").asText() + "'", p + ".type");
            }
        }
        if (parts.isEmpty()) return;
        ObjectNode msg = out.addObject().put("role", "user");
        if (parts.size() == 1 && "text".equals(parts.get(0).path("type").asText())) msg.put("content", parts.get(0).path("text").asText());
        else msg.set("content", parts);
    }

    private static void assistant(JsonNode blocks, String path, ArrayNode out) {
        StringBuilder text = new StringBuilder();
        ArrayNode calls = F.arrayNode();
        for (int i = 0; i < blocks.size(); i++) {
            JsonNode b = blocks.get(i);
            String p = path + ".content." + i;
            switch (b.path("type").asText()) {
                case "text" -> text.append(text(b, p));
                case "tool_use" -> {
                    if (!b.path("id").isTextual() || !b.path("name").isTextual()) throw bad(p + ": tool_use needs 'id' and 'name'", p);
                    ObjectNode call = calls.addObject().put("id", b.get("id").asText()).put("type", "function");
                    JsonNode input = b.get("input");
                    call.putObject("function").put("name", b.get("name").asText())
                            .put("arguments", input == null || input.isNull() ? "{}" : input.toString());
                }
                case "thinking", "redacted_thinking" -> { }
                default -> throw bad(p + ".type: unsupported content block '" + b.path("type").asText() + "'", p + ".type");
            }
        }
        ObjectNode msg = out.addObject().put("role", "assistant");
        if (!text.isEmpty() || calls.isEmpty()) msg.put("content", text.toString());
        else msg.putNull("content");
        if (!calls.isEmpty()) msg.set("tool_calls", calls);
    }

    private static String text(JsonNode block, String path) {
        if (!block.path("text").isTextual()) throw bad(path + ".text: Field required", path + ".text");
        return block.get("text").asText();
    }

    private static String toolResultText(JsonNode content, String path) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (!content.isArray()) throw bad(path + ".content: must be a string or an array of blocks", path + ".content");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode b = content.get(i);
            if (!"text".equals(b.path("type").asText())) {
                throw bad(path + ".content." + i + ": only text blocks are supported in tool results", path + ".content." + i);
            }
            sb.append(text(b, path + ".content." + i));
        }
        return sb.toString();
    }

    private static String imageUrl(JsonNode source, String path) {
        String type = source.path("type").asText();
        if (type.equals("base64") && source.path("media_type").isTextual() && source.path("data").isTextual()) {
            return "data:" + source.get("media_type").asText() + ";base64," + source.get("data").asText();
        }
        if (type.equals("url") && source.path("url").isTextual()) return source.get("url").asText();
        throw bad(path + ".source: an image needs a base64 source (media_type, data) or a url source", path + ".source");
    }

    private static void tools(JsonNode root, ObjectNode chat) {
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) throw bad("tools: must be an array", "tools");
            ArrayNode out = chat.putArray("tools");
            for (int i = 0; i < tools.size(); i++) {
                JsonNode t = tools.get(i);
                String type = t.path("type").asText("custom");
                if (!type.equals("custom") || !t.path("name").isTextual()) {
                    throw bad("tools." + i + ": only custom tools with a 'name' and an 'input_schema' are supported", "tools." + i);
                }
                ObjectNode fn = out.addObject().put("type", "function").putObject("function").put("name", t.get("name").asText());
                if (t.path("description").isTextual()) fn.put("description", t.get("description").asText());
                JsonNode schema = t.get("input_schema");
                if (schema == null || !schema.isObject()) throw bad("tools." + i + ".input_schema: Field required", "tools." + i + ".input_schema");
                fn.set("parameters", schema);
            }
            if (out.isEmpty()) chat.remove("tools");
        }
        JsonNode choice = root.get("tool_choice");
        if (choice == null || choice.isNull()) return;
        if (!choice.isObject()) throw bad("tool_choice: must be an object", "tool_choice");
        switch (choice.path("type").asText()) {
            case "auto" -> chat.put("tool_choice", "auto");
            case "any" -> chat.put("tool_choice", "required");
            case "none" -> chat.put("tool_choice", "none");
            case "tool" -> {
                if (!choice.path("name").isTextual()) throw bad("tool_choice.name: Field required", "tool_choice.name");
                chat.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.get("name").asText());
            }
            default -> throw bad("tool_choice.type: must be auto, any, tool or none", "tool_choice.type");
        }
        if (choice.path("disable_parallel_tool_use").asBoolean(false) && chat.has("tools")) chat.put("parallel_tool_calls", false);
    }

    private static void copyNumber(JsonNode root, ObjectNode chat, String field, double min, double max) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return;
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw bad(field + ": must be a number between " + (long) min + " and " + (long) max, field);
        }
        chat.set(field, v);
    }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param));
    }
}
