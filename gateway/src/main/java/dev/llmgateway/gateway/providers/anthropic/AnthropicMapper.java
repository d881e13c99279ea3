package dev.llmgateway.gateway.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Usage;
import java.io.IOException;

/** Translates OpenAI chat requests to Anthropic's Messages API and Anthropic's answers back. */
final class AnthropicMapper {
    static final int DEFAULT_MAX_TOKENS = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AnthropicMapper() {}

    static ObjectNode request(ChatRequest chat, String upstreamModel, boolean stream) {
        ObjectNode raw = chat.raw();
        ObjectNode out = F.objectNode();
        out.put("model", upstreamModel);
        out.put("max_tokens", chat.maxTokens().orElse(DEFAULT_MAX_TOKENS));
        StringBuilder system = new StringBuilder();
        ArrayNode messages = out.putArray("messages");
        for (JsonNode m : chat.messages()) {
            String role = m.path("role").asText();
            switch (role) {
                case "system", "developer" -> {
                    if (!system.isEmpty()) system.append("\n\n");
                    system.append(ChatRequest.textOf(m.get("content")));
                }
                case "user" -> append(messages, "user", userBlocks(m.get("content")));
                case "assistant" -> append(messages, "assistant", assistantBlocks(m));
                case "tool", "function" -> {
                    ObjectNode result = F.objectNode();
                    result.put("type", "tool_result");
                    result.put("tool_use_id", m.path("tool_call_id").asText(m.path("name").asText()));
                    result.put("content", ChatRequest.textOf(m.get("content")));
                    ArrayNode blocks = F.arrayNode();
                    blocks.add(result);
                    append(messages, "user", blocks);
                }
                default -> throw new IllegalStateException("validated role " + role);
            }
        }
        if (chat.wantsJson()) {
            if (!system.isEmpty()) system.append("\n\n");
            system.append("Respond with a single valid JSON object and nothing else.");
        }
        if (!system.isEmpty()) out.put("system", system.toString());
        java.util.List<String> stops = ChatRequest.stops(raw);
        if (!stops.isEmpty()) {
            ArrayNode s = out.putArray("stop_sequences");
            stops.forEach(s::add);
        }
        if (raw.hasNonNull("temperature")) out.put("temperature", Math.min(1.0, raw.get("temperature").asDouble()));
        if (raw.hasNonNull("top_p")) out.put("top_p", raw.get("top_p").asDouble());
        if (chat.usesTools()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode t : raw.get("tools")) {
                JsonNode fn = t.get("function");
                ObjectNode tool = tools.addObject();
                tool.put("name", fn.path("name").asText());
                if (fn.hasNonNull("description")) tool.put("description", fn.get("description").asText());
                JsonNode params = fn.get("parameters");
                if (params != null && params.isObject()) tool.set("input_schema", params);
                else tool.putObject("input_schema").put("type", "object");
            }
            JsonNode choice = raw.get("tool_choice");
            if (choice != null && !choice.isNull()) {
                ObjectNode tc = F.objectNode();
                if (choice.isTextual()) {
                    switch (choice.asText()) {
                        case "required" -> tc.put("type", "any");
                        case "none" -> tc.put("type", "none");
                        default -> tc.put("type", "auto");
                    }
                } else {
                    tc.put("type", "tool");
                    tc.put("name", choice.path("function").path("name").asText());
                }
                out.set("tool_choice", tc);
            }
        }
        if (!chat.user().isEmpty()) out.putObject("metadata").put("user_id", chat.user());
        if (stream) out.put("stream", true);
        return out;
    }

    /** Anthropic requires alternating roles: consecutive messages of one role are merged into one. */
    private static void append(ArrayNode messages, String role, ArrayNode blocks) {
        if (!messages.isEmpty()) {
            ObjectNode last = (ObjectNode) messages.get(messages.size() - 1);
            if (last.path("role").asText().equals(role)) {
                ((ArrayNode) last.get("content")).addAll(blocks);
                return;
            }
        }
        ObjectNode m = messages.addObject();
        m.put("role", role);
        m.set("content", blocks);
    }

    private static ArrayNode userBlocks(JsonNode content) {
        ArrayNode blocks = F.arrayNode();
        if (content.isTextual()) {
            blocks.addObject().put("type", "text").put("text", content.asText());
            return blocks;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asText());
                case "image_url" -> {
                    String url = part.path("image_url").path("url").asText();
                    ObjectNode img = blocks.addObject();
                    img.put("type", "image");
                    ObjectNode src = img.putObject("source");
                    if (url.startsWith("data:") && url.contains(";base64,")) {
                        src.put("type", "base64");
                        src.put("media_type", url.substring(5, url.indexOf(';')));
                        src.put("data", url.substring(url.indexOf(";base64,") + 8));
                    } else {
                        src.put("type", "url");
                        src.put("url", url);
                    }
                }
                default -> throw new GatewayError.Failure(new GatewayError.BadRequest(
                        "content part type '" + part.path("type").asText() + "' is not supported by this deployment", "messages"));
            }
        }
        return blocks;
    }

    private static ArrayNode assistantBlocks(JsonNode m) {
        ArrayNode blocks = F.arrayNode();
        String text = ChatRequest.textOf(m.get("content"));
        if (!text.isEmpty()) blocks.addObject().put("type", "text").put("text", text);
        for (JsonNode call : m.path("tool_calls")) {
            ObjectNode use = blocks.addObject();
            use.put("type", "tool_use");
            use.put("id", call.path("id").asText());
            use.put("name", call.path("function").path("name").asText());
            use.set("input", parseArguments(call.path("function").path("arguments").asText("{}")));
        }
        if (blocks.isEmpty()) blocks.addObject().put("type", "text").put("text", "");
        return blocks;
    }

    private static JsonNode parseArguments(String args) {
        try {
            JsonNode n = JSON.readTree(args.isBlank() ? "{}" : args);
            return n.isObject() ? n : F.objectNode();
        } catch (IOException e) {
            throw new GatewayError.Failure(new GatewayError.BadRequest("tool call arguments must be a JSON object", "messages"));
        }
    }

    /** An Anthropic Messages response as an OpenAI chat.completion. */
    static ObjectNode response(JsonNode msg, long created) {
        ObjectNode out = F.objectNode();
        out.put("id", "chatcmpl-" + msg.path("id").asText());
        out.put("object", "chat.completion");
        out.put("created", created);
        out.put("model", msg.path("model").asText());
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        StringBuilder text = new StringBuilder();
        ArrayNode calls = F.arrayNode();
        for (JsonNode block : msg.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "tool_use" -> {
                    ObjectNode c = calls.addObject();
                    c.put("id", block.path("id").asText());
                    c.put("type", "function");
                    ObjectNode fn = c.putObject("function");
                    fn.put("name", block.path("name").asText());
                    fn.put("arguments", block.path("input").toString());
                }
                default -> { }
            }
        }
        if (text.isEmpty() && !calls.isEmpty()) message.putNull("content");
        else message.put("content", text.toString());
        if (!calls.isEmpty()) message.set("tool_calls", calls);
        message.putNull("refusal");
        choice.put("finish_reason", finishReason(msg.path("stop_reason").asText("end_turn")));
        out.set("usage", usageJson(usage(msg.path("usage"))));
        return out;
    }

    static String finishReason(String stopReason) {
        return switch (stopReason) {
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    /** Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens includes them. */
    static Usage usage(JsonNode u) {
        int cacheRead = u.path("cache_read_input_tokens").asInt(0);
        int prompt = u.path("input_tokens").asInt(0) + cacheRead + u.path("cache_creation_input_tokens").asInt(0);
        return new Usage(prompt, u.path("output_tokens").asInt(0), cacheRead, false);
    }

    static ObjectNode usageJson(Usage u) {
        ObjectNode n = F.objectNode();
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.completionTokens());
        n.put("total_tokens", u.promptTokens() + u.completionTokens());
        n.putObject("prompt_tokens_details").put("cached_tokens", u.cachedTokens());
        return n;
    }
}
