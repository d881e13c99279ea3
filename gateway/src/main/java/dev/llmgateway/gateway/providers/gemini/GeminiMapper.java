package dev.llmgateway.gateway.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.providers.ChatTurns;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Usage;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates OpenAI chat requests to Gemini's {@code generateContent} body (contents/parts, systemInstruction,
 * generationConfig, functionDeclarations) and Gemini's answers back to OpenAI's shape.
 */
final class GeminiMapper {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private GeminiMapper() {}

    static ObjectNode request(ChatRequest chat) {
        ObjectNode raw = chat.raw();
        ObjectNode out = F.objectNode();
        ArrayNode contents = out.putArray("contents");
        // Gemini's functionResponse names the function; OpenAI's tool message names only the call id.
        Map<String, String> functionOfCall = new HashMap<>();
        StringBuilder system = ChatTurns.walk(chat, new ChatTurns.Visitor() {
            @Override
            public void user(JsonNode content) { ChatTurns.append(contents, "user", "parts", userParts(content)); }

            @Override
            public void assistant(JsonNode m) {
                ArrayNode parts = F.arrayNode();
                String text = ChatRequest.textOf(m.get("content"));
                if (!text.isEmpty()) parts.addObject().put("text", text);
                for (JsonNode call : m.path("tool_calls")) {
                    String name = call.path("function").path("name").asText();
                    String id = call.path("id").asText();
                    functionOfCall.put(id, name);
                    ObjectNode part = parts.addObject();
                    ObjectNode fc = part.putObject("functionCall");
                    fc.put("name", name);
                    fc.set("args", ChatTurns.arguments(call.path("function").path("arguments").asText("{}")));
                    int mark = id.indexOf(SIGNATURE_MARK);
                    if (mark >= 0) part.put("thoughtSignature", id.substring(mark + SIGNATURE_MARK.length()));
                }
                if (parts.isEmpty()) parts.addObject().put("text", "");
                ChatTurns.append(contents, "model", "parts", parts);
            }

            @Override
            public void tool(JsonNode m) {
                String name = m.hasNonNull("name") ? m.get("name").asText()
                        : functionOfCall.getOrDefault(m.path("tool_call_id").asText(), m.path("tool_call_id").asText());
                ObjectNode fr = F.objectNode();
                ObjectNode resp = fr.putObject("functionResponse");
                resp.put("name", name);
                resp.set("response", toolResult(ChatRequest.textOf(m.get("content"))));
                ArrayNode parts = F.arrayNode();
                parts.add(fr);
                ChatTurns.append(contents, "user", "parts", parts);
            }
        });
        if (!system.isEmpty()) out.putObject("systemInstruction").putArray("parts").addObject().put("text", system.toString());

        ObjectNode gen = F.objectNode();
        chat.maxTokens().ifPresent(t -> gen.put("maxOutputTokens", t));
        if (raw.hasNonNull("temperature")) gen.put("temperature", raw.get("temperature").asDouble());
        if (raw.hasNonNull("top_p")) gen.put("topP", raw.get("top_p").asDouble());
        List<String> stops = ChatRequest.stops(raw);
        if (!stops.isEmpty()) {
            ArrayNode s = gen.putArray("stopSequences");
            stops.forEach(s::add);
        }
        if (raw.hasNonNull("seed")) gen.put("seed", raw.get("seed").asLong());
        if (raw.hasNonNull("presence_penalty")) gen.put("presencePenalty", raw.get("presence_penalty").asDouble());
        if (raw.hasNonNull("frequency_penalty")) gen.put("frequencyPenalty", raw.get("frequency_penalty").asDouble());
        if (chat.wantsJson()) {
            gen.put("responseMimeType", "application/json");
            JsonNode schema = raw.path("response_format").path("json_schema").get("schema");
            if (schema != null && schema.isObject()) gen.set("responseSchema", schema);
        }
        if (!gen.isEmpty()) out.set("generationConfig", gen);

        if (chat.usesTools()) {
            ArrayNode decls = out.putArray("tools").addObject().putArray("functionDeclarations");
            for (JsonNode t : raw.get("tools")) {
                JsonNode fn = t.get("function");
                ObjectNode d = decls.addObject();
                d.put("name", fn.path("name").asText());
                if (fn.hasNonNull("description")) d.put("description", fn.get("description").asText());
                JsonNode params = fn.get("parameters");
                if (params != null && params.isObject() && !params.isEmpty()) d.set("parameters", params);
            }
            JsonNode choice = raw.get("tool_choice");
            if (choice != null && !choice.isNull()) {
                ObjectNode cfg = out.putObject("toolConfig").putObject("functionCallingConfig");
                if (choice.isTextual()) {
                    cfg.put("mode", switch (choice.asText()) {
                        case "required" -> "ANY";
                        case "none" -> "NONE";
                        default -> "AUTO";
                    });
                } else {
                    cfg.put("mode", "ANY");
                    cfg.putArray("allowedFunctionNames").add(choice.path("function").path("name").asText());
                }
            }
        }
        return out;
    }

    private static ArrayNode userParts(JsonNode content) {
        ArrayNode parts = F.arrayNode();
        if (content.isTextual()) {
            parts.addObject().put("text", content.asText());
            return parts;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> parts.addObject().put("text", part.path("text").asText());
                case "image_url" -> {
                    String url = part.path("image_url").path("url").asText();
                    ChatTurns.inline(url).ifPresentOrElse(
                            i -> parts.addObject().putObject("inlineData").put("mimeType", i.mediaType()).put("data", i.base64()),
                            () -> parts.addObject().putObject("fileData").put("fileUri", url));
                }
                default -> throw ChatTurns.unsupportedPart(part);
            }
        }
        return parts;
    }

    /** A tool's result: Gemini wants an object; a JSON object passes as is, anything else becomes {"output": text}. */
    private static JsonNode toolResult(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n != null && n.isObject()) return n;
        } catch (IOException e) {
            // plain text: wrapped below
        }
        return F.objectNode().put("output", text);
    }

    /** An OpenAI embeddings body as a {@code batchEmbedContents} body: one request per input text. */
    static ObjectNode embedRequest(JsonNode body, String modelPath) {
        JsonNode input = body.get("input");
        ArrayNode texts = input.isArray() ? (ArrayNode) input : F.arrayNode().add(input);
        if (body.hasNonNull("encoding_format") && !"float".equals(body.get("encoding_format").asText())) {
            throw new GatewayError.Failure(new GatewayError.BadRequest(
                    "'encoding_format' " + body.get("encoding_format") + " is not supported by this deployment (use float)", "encoding_format"));
        }
        ObjectNode out = F.objectNode();
        ArrayNode requests = out.putArray("requests");
        for (JsonNode t : texts) {
            if (!t.isTextual()) {
                throw new GatewayError.Failure(new GatewayError.BadRequest(
                        "this deployment embeds text only: 'input' must be a string or an array of strings", "input"));
            }
            ObjectNode r = requests.addObject();
            r.put("model", modelPath);
            r.putObject("content").putArray("parts").addObject().put("text", t.asText());
            if (body.hasNonNull("dimensions")) r.put("outputDimensionality", body.get("dimensions").asInt());
        }
        return out;
    }

    /** A {@code batchEmbedContents} answer as OpenAI's embeddings list. */
    static ObjectNode embedResponse(JsonNode resp, String model, Usage usage) {
        ObjectNode out = F.objectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        int i = 0;
        for (JsonNode e : resp.path("embeddings")) {
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i++);
            d.set("embedding", e.path("values"));
        }
        out.put("model", model);
        out.putObject("usage").put("prompt_tokens", usage.promptTokens()).put("total_tokens", usage.promptTokens());
        return out;
    }

    /** A whole generateContent response as an OpenAI chat.completion. */
    static ObjectNode response(JsonNode resp, String fallbackModel, long created) {
        ObjectNode out = F.objectNode();
        out.put("id", "chatcmpl-" + resp.path("responseId").asText("gemini"));
        out.put("object", "chat.completion");
        out.put("created", created);
        out.put("model", resp.path("modelVersion").asText(fallbackModel));
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        JsonNode candidate = resp.path("candidates").path(0);
        StringBuilder text = new StringBuilder();
        ArrayNode calls = F.arrayNode();
        for (JsonNode part : candidate.path("content").path("parts")) {
            if (part.path("thought").asBoolean(false)) continue;
            if (part.has("text")) text.append(part.path("text").asText());
            if (part.has("functionCall")) calls.add(toolCall(part, calls.size()));
        }
        if (text.isEmpty() && !calls.isEmpty()) message.putNull("content");
        else message.put("content", text.toString());
        if (!calls.isEmpty()) message.set("tool_calls", calls);
        message.putNull("refusal");
        choice.put("finish_reason", finishReason(resp, !calls.isEmpty()));
        out.set("usage", usageJson(usage(resp.path("usageMetadata"))));
        return out;
    }

    /**
     * Marks a Gemini thought signature carried inside an OpenAI tool-call id. Thinking models sign their function calls
     * and want the signature back with the call in the next turn; OpenAI's format has no field for it, but clients
     * echo tool-call ids verbatim, so the signature rides along in the id.
     */
    static final String SIGNATURE_MARK = "~ts~";

    /** A {@code functionCall} part (with its optional thoughtSignature) as an OpenAI tool call. */
    static ObjectNode toolCall(JsonNode part, int index) {
        JsonNode fc = part.path("functionCall");
        ObjectNode c = F.objectNode();
        String id = fc.hasNonNull("id") ? fc.get("id").asText() : "call_" + index;
        if (part.hasNonNull("thoughtSignature")) id += SIGNATURE_MARK + part.get("thoughtSignature").asText();
        c.put("id", id);
        c.put("type", "function");
        ObjectNode fn = c.putObject("function");
        fn.put("name", fc.path("name").asText());
        fn.put("arguments", fc.has("args") ? fc.get("args").toString() : "{}");
        return c;
    }

    /**
     * Gemini's finishReason (or a prompt blocked before any candidate) as OpenAI's finish_reason; a finished turn that
     * called functions is {@code tool_calls}, as OpenAI reports it.
     */
    static String finishReason(JsonNode resp, boolean calledTools) {
        JsonNode candidate = resp.path("candidates").path(0);
        if (candidate.isMissingNode() && resp.path("promptFeedback").hasNonNull("blockReason")) return "content_filter";
        return finishReason(candidate.path("finishReason").asText("STOP"), calledTools);
    }

    static String finishReason(String geminiReason, boolean calledTools) {
        return switch (geminiReason) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" -> "content_filter";
            default -> calledTools ? "tool_calls" : "stop";
        };
    }

    /** Thinking tokens are billed as output by Google, so they count as completion tokens here. */
    static Usage usage(JsonNode u) {
        return new Usage(u.path("promptTokenCount").asInt(0),
                u.path("candidatesTokenCount").asInt(0) + u.path("thoughtsTokenCount").asInt(0),
                u.path("cachedContentTokenCount").asInt(0), u.isMissingNode());
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
