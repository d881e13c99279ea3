package dev.llmgateway.gateway.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.providers.ChatTurns;
import dev.llmgateway.gateway.providers.Usage;

/** Translates OpenAI chat requests to Anthropic's Messages API and Anthropic's answers back. */
final class AnthropicMapper {
    static final int DEFAULT_MAX_TOKENS = 4096;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AnthropicMapper() {}

    static ObjectNode request(ChatRequest chat, String upstreamModel, boolean stream) {
        ObjectNode raw = chat.raw();
        ObjectNode out = F.objectNode();
        out.put("model", upstreamModel);
        out.put("max_tokens", chat.maxTokens().orElse(DEFAULT_MAX_TOKENS));
        ArrayNode messages = out.putArray("messages");
        StringBuilder system = ChatTurns.walk(chat, new ChatTurns.Visitor() {
            @Override
            public void user(JsonNode content) { ChatTurns.append(messages, "user", "content", userBlocks(content)); }

            @Override
            public void assistant(JsonNode m) { ChatTurns.append(messages, "assistant", "content", assistantBlocks(m)); }

            @Override
            public void tool(JsonNode m) {
                ObjectNode result = F.objectNode();
                result.put("type", "tool_result");
                result.put("tool_use_id", m.path("tool_call_id").asText(m.path("name").asText()));
                result.put("content", ChatRequest.textOf(m.get("content")));
                ArrayNode blocks = F.arrayNode();
                blocks.add(result);
                ChatTurns.append(messages, "user", "content", blocks);
            }
        });
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
                    ChatTurns.inline(url).ifPresentOrElse(
                            i -> src.put("type", "base64").put("media_type", i.mediaType()).put("data", i.base64()),
                            () -> src.put("type", "url").put("url", url));
                }
                default -> throw ChatTurns.unsupportedPart(part);
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
            use.set("input", ChatTurns.arguments(call.path("function").path("arguments").asText("{}")));
        }
        if (blocks.isEmpty()) blocks.addObject().put("type", "text").put("text", "");
        return blocks;
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
