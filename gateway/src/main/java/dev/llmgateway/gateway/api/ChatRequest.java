package dev.llmgateway.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.errors.GatewayError.BadRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated OpenAI chat-completions request: the raw JSON (passed through to OpenAI-compatible upstreams with
 * minimal copying) plus the fields the gateway itself needs.
 */
public record ChatRequest(ObjectNode raw, String model, ArrayNode messages, boolean stream, boolean clientWantsUsage,
                          OptionalInt maxTokens, String user, boolean usesTools, boolean wantsJson, int choices) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final int MAX_STOP = 4;
    private static final java.util.regex.Pattern TOOL_NAME =
            java.util.regex.Pattern.compile("[a-zA-Z0-9_-]{1," + ClientText.TOOL_NAME_MAX_CHARS + "}");

    /** Validates a parsed body; every problem is a 400 naming the parameter. */
    public static ChatRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) throw bad("the request body must be a JSON object", null);
        ObjectNode raw = (ObjectNode) body;
        ClientText.checkTree(raw, "");
        String model = requiredString(raw, "model");
        ClientText.checkLength(model, ClientText.MODEL_MAX_CHARS, "model");
        JsonNode msgs = raw.get("messages");
        if (msgs == null || !msgs.isArray()) throw bad("'messages' is required and must be an array", "messages");
        if (msgs.isEmpty()) throw bad("'messages' must contain at least one message", "messages");
        for (int i = 0; i < msgs.size(); i++) validateMessage(msgs.get(i), "messages[" + i + "]");

        boolean stream = optBoolean(raw, "stream");
        boolean includeUsage = false;
        JsonNode so = raw.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw bad("'stream_options' must be an object", "stream_options");
            if (!stream) throw bad("'stream_options' is only allowed when 'stream' is true", "stream_options");
            includeUsage = optBoolean((ObjectNode) so, "include_usage", "stream_options.include_usage");
        }
        OptionalInt maxTokens = optPositiveInt(raw, "max_completion_tokens");
        OptionalInt legacyMax = optPositiveInt(raw, "max_tokens");
        // Upstreams differ in which one they honour when both are sent: the larger bounds either.
        if (maxTokens.isEmpty() || (legacyMax.isPresent() && legacyMax.getAsInt() > maxTokens.getAsInt())) maxTokens = legacyMax;
        optNumber(raw, "temperature", 0, 2);
        optNumber(raw, "top_p", 0, 1);
        optNumber(raw, "presence_penalty", -2, 2);
        optNumber(raw, "frequency_penalty", -2, 2);
        JsonNode n = raw.get("n");
        if (n != null && !n.isNull() && (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1 || n.asInt() > 128)) {
            throw bad("'n' must be an integer between 1 and 128", "n");
        }
        int choices = n == null || n.isNull() ? 1 : n.asInt();
        JsonNode seed = raw.get("seed");
        if (seed != null && !seed.isNull() && !seed.isIntegralNumber()) throw bad("'seed' must be an integer", "seed");
        stops(raw);
        String user = "";
        JsonNode u = raw.get("user");
        if (u != null && !u.isNull()) {
            if (!u.isTextual()) throw bad("'user' must be a string", "user");
            user = u.asText();
            ClientText.checkLength(user, ClientText.USER_MAX_CHARS, "user");
        }
        metadata(raw);
        boolean usesTools = validateTools(raw);
        boolean wantsJson = false;
        JsonNode rf = raw.get("response_format");
        if (rf != null && !rf.isNull()) {
            if (!rf.isObject() || !rf.path("type").isTextual()) throw bad("'response_format' must be an object with a 'type'", "response_format");
            String t = rf.get("type").asText();
            if (!Set.of("text", "json_object", "json_schema").contains(t)) {
                throw bad("'response_format.type' must be one of text, json_object, json_schema", "response_format.type");
            }
            wantsJson = !t.equals("text");
        }
        return new ChatRequest(raw, model, (ArrayNode) msgs, stream, includeUsage, maxTokens, user, usesTools, wantsJson, choices);
    }

    /** {@code metadata}: an object of at most 16 string pairs with OpenAI's key and value lengths. */
    private static void metadata(ObjectNode raw) {
        JsonNode md = raw.get("metadata");
        if (md == null || md.isNull()) return;
        if (!md.isObject()) throw bad("'metadata' must be an object of string values", "metadata");
        if (md.size() > ClientText.METADATA_MAX_PAIRS) {
            throw bad("'metadata' has more than " + ClientText.METADATA_MAX_PAIRS + " keys", "metadata");
        }
        for (var it = md.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getKey().length() > ClientText.METADATA_KEY_MAX_CHARS) {
                throw bad("'metadata' keys must be at most " + ClientText.METADATA_KEY_MAX_CHARS + " characters", "metadata");
            }
            String p = "metadata." + f.getKey();
            if (!f.getValue().isTextual()) throw bad("'" + p + "' must be a string", p);
            ClientText.checkLength(f.getValue().asText(), ClientText.METADATA_VALUE_MAX_CHARS, p);
        }
    }

    /** Stop sequences, validated: a string or up to four strings. */
    public static List<String> stops(ObjectNode raw) {
        JsonNode stop = raw.get("stop");
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) return out;
        if (stop.isTextual()) {
            ClientText.checkLength(stop.asText(), ClientText.STOP_MAX_CHARS, "stop");
            out.add(stop.asText());
        } else if (stop.isArray() && stop.size() <= MAX_STOP) {
            for (int i = 0; i < stop.size(); i++) {
                JsonNode s = stop.get(i);
                if (!s.isTextual()) throw bad("'stop' must be a string or an array of strings", "stop");
                ClientText.checkLength(s.asText(), ClientText.STOP_MAX_CHARS, "stop[" + i + "]");
                out.add(s.asText());
            }
        } else {
            throw bad("'stop' must be a string or an array of at most " + MAX_STOP + " strings", "stop");
        }
        return out;
    }

    /** The concatenated text of every message, for feature extraction and token estimates. */
    public List<String> messageTexts() {
        List<String> out = new ArrayList<>(messages.size());
        for (JsonNode m : messages) out.add(textOf(m.get("content")));
        return out;
    }

    /** Tokens an image part is estimated at: OpenAI's price of a 1024x1024 image in high detail (85 + 4 tiles x 170). */
    public static final int IMAGE_TOKENS_ESTIMATE = 765;
    /** Tokens an image part with {@code detail: low} is estimated at (OpenAI's flat rate). */
    public static final int IMAGE_LOW_DETAIL_TOKENS_ESTIMATE = 85;
    /** Per-message tokens for role and separators, as OpenAI documents for its chat format. */
    public static final int MESSAGE_OVERHEAD_TOKENS_ESTIMATE = 3;

    /**
     * An estimate of the prompt's tokens for when the provider reports none (a stream cut before its usage chunk):
     * about four characters a token over message text, tool calls and their results, and the tool definitions, plus a
     * fixed amount per image and per message. Rough, and recorded as {@code estimated}.
     */
    public int estimatedPromptTokens() {
        long chars = 0;
        long fixed = 0;
        for (JsonNode m : messages) {
            fixed += MESSAGE_OVERHEAD_TOKENS_ESTIMATE;
            JsonNode content = m.get("content");
            chars += textOf(content).length();
            if (content != null && content.isArray()) {
                for (JsonNode part : content) {
                    if ("image_url".equals(part.path("type").asText())) {
                        fixed += "low".equals(part.path("image_url").path("detail").asText()) ? IMAGE_LOW_DETAIL_TOKENS_ESTIMATE
                                : IMAGE_TOKENS_ESTIMATE;
                    }
                }
            }
            JsonNode calls = m.get("tool_calls");
            if (calls != null && calls.isArray()) chars += calls.toString().length();
            if (m.has("function_call")) chars += m.get("function_call").toString().length();
        }
        JsonNode tools = raw.get("tools");
        if (tools != null && tools.isArray()) chars += tools.toString().length();
        JsonNode functions = raw.get("functions");
        if (functions != null && functions.isArray()) chars += functions.toString().length();
        long tokens = fixed + (chars == 0 ? 0 : Math.max(1, (chars + 3) / 4));
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }

    /** Text of a message content that is a string or an array of parts (text parts only). */
    public static String textOf(JsonNode content) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) sb.append(part.path("text").asText());
        }
        return sb.toString();
    }

    private static void validateMessage(JsonNode m, String path) {
        if (!m.isObject()) throw bad("each message must be an object", path);
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) throw bad("'" + path + ".role' is required", path + ".role");
        if (!ROLES.contains(role.asText())) {
            throw bad("'" + path + ".role' must be one of system, developer, user, assistant, tool", path + ".role");
        }
        JsonNode name = m.get("name");
        if (name != null && !name.isNull()) {
            if (!name.isTextual()) throw bad("'" + path + ".name' must be a string", path + ".name");
            ClientText.checkLength(name.asText(), ClientText.NAME_MAX_CHARS, path + ".name");
        }
        JsonNode content = m.get("content");
        boolean hasToolCalls = m.has("tool_calls") && m.get("tool_calls").isArray() && !m.get("tool_calls").isEmpty();
        if (content == null || content.isNull()) {
            if (!(role.asText().equals("assistant") && (hasToolCalls || m.has("function_call")))) {
                throw bad("'" + path + ".content' is required", path + ".content");
            }
        } else if (content.isArray()) {
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                if (!part.isObject() || !part.path("type").isTextual()) {
                    throw bad("'" + path + ".content[" + i + "]' must be an object with a 'type'", path + ".content[" + i + "]");
                }
            }
        } else if (!content.isTextual()) {
            throw bad("'" + path + ".content' must be a string or an array of content parts", path + ".content");
        }
        if (role.asText().equals("tool") && !m.path("tool_call_id").isTextual()) {
            throw bad("'" + path + ".tool_call_id' is required for tool messages", path + ".tool_call_id");
        }
        if (hasToolCalls) {
            JsonNode calls = m.get("tool_calls");
            for (int i = 0; i < calls.size(); i++) {
                JsonNode c = calls.get(i);
                String p = path + ".tool_calls[" + i + "]";
                if (!c.path("id").isTextual() || !c.path("function").path("name").isTextual()) {
                    throw bad("'" + p + "' needs an 'id' and a 'function.name'", p);
                }
            }
        }
    }

    private static boolean validateTools(ObjectNode raw) {
        JsonNode tools = raw.get("tools");
        if (tools == null || tools.isNull()) return false;
        if (!tools.isArray()) throw bad("'tools' must be an array", "tools");
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            if (!t.isObject() || !"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual()) {
                throw bad("'tools[" + i + "]' must be {\"type\":\"function\",\"function\":{\"name\":...}}", "tools[" + i + "]");
            }
            if (!TOOL_NAME.matcher(t.path("function").path("name").asText()).matches()) {
                throw bad("'tools[" + i + "].function.name' must be 1 to " + ClientText.TOOL_NAME_MAX_CHARS
                        + " characters of a-z, A-Z, 0-9, '_' and '-'", "tools[" + i + "].function.name");
            }
            JsonNode params = t.path("function").get("parameters");
            if (params != null && !params.isNull() && !params.isObject()) {
                throw bad("'tools[" + i + "].function.parameters' must be a JSON Schema object", "tools[" + i + "].function.parameters");
            }
        }
        JsonNode choice = raw.get("tool_choice");
        if (choice != null && !choice.isNull() && !choice.isTextual() && !choice.isObject()) {
            throw bad("'tool_choice' must be a string or an object", "tool_choice");
        }
        return !tools.isEmpty();
    }

    private static String requiredString(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) throw bad("'" + field + "' is required", field);
        if (!v.isTextual() || v.asText().isBlank()) throw bad("'" + field + "' must be a non-empty string", field);
        return v.asText();
    }

    private static boolean optBoolean(ObjectNode o, String field) { return optBoolean(o, field, field); }

    private static boolean optBoolean(ObjectNode o, String field, String path) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw bad("'" + path + "' must be a boolean", path);
        return v.asBoolean();
    }

    private static OptionalInt optPositiveInt(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return OptionalInt.empty();
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw bad("'" + field + "' must be a positive integer", field);
        }
        return OptionalInt.of(v.asInt());
    }

    private static void optNumber(ObjectNode o, String field, double min, double max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return;
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw bad("'" + field + "' must be a number between " + fmt(min) + " and " + fmt(max), field);
        }
    }

    private static String fmt(double d) { return d == (long) d ? Long.toString((long) d) : Double.toString(d); }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new BadRequest(message, param));
    }
}
