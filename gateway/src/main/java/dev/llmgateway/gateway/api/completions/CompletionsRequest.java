package dev.llmgateway.gateway.api.completions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.ClientText;
import dev.llmgateway.gateway.errors.GatewayError;
import java.util.List;

/**
 * OpenAI's legacy {@code /v1/completions} request, validated at the edge. Its chat equivalent (one user message per
 * prompt, the same sampling fields) is what routing, admission and metering see, so a completion is budgeted and metered
 * exactly like a chat request; the original body is what an OpenAI-compatible upstream is sent (docs/api-completions.md).
 */
public final class CompletionsRequest {
    /** OpenAI's documented default of {@code max_tokens} for completions; sent explicitly so every upstream agrees. */
    public static final int DEFAULT_MAX_TOKENS = 16;
    /** Most prompts in one request (OpenAI's own batch limit). */
    public static final int MAX_PROMPTS = 2048;
    /** The chat fields a completions request shares with chat completions, copied into its chat equivalent. */
    private static final List<String> SHARED = List.of("model", "stream", "stream_options", "max_tokens", "temperature", "top_p",
            "n", "stop", "presence_penalty", "frequency_penalty", "seed", "user", "logit_bias");

    private CompletionsRequest() {}

    /**
     * Validates {@code body} (filling in {@code max_tokens} when absent) and returns its chat equivalent. Every problem
     * is a 400 naming the parameter; parameters the gateway does not serve ({@code echo}, {@code suffix},
     * {@code logprobs}, {@code best_of}) are refused rather than silently ignored.
     */
    public static ChatRequest parse(ObjectNode body) {
        ClientText.checkTree(body, "");
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) throw bad("'prompt' is required: a string or an array of strings", "prompt");
        List<String> prompts = new java.util.ArrayList<>();
        if (prompt.isTextual()) {
            prompts.add(prompt.asText());
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            if (prompt.size() > MAX_PROMPTS) throw bad("'prompt' has more than " + MAX_PROMPTS + " entries", "prompt");
            for (int i = 0; i < prompt.size(); i++) {
                JsonNode p = prompt.get(i);
                if (p.isNumber() || p.isArray()) {
                    throw bad("'prompt' as token ids is not supported by this gateway; send the prompt as text", "prompt");
                }
                if (!p.isTextual()) throw bad("'prompt[" + i + "]' must be a string", "prompt[" + i + "]");
                prompts.add(p.asText());
            }
        } else {
            throw bad("'prompt' must be a string or a non-empty array of strings", "prompt");
        }
        refuse(body, "echo", v -> v.isBoolean() && !v.asBoolean(), "'echo' is not supported by this gateway (only false)");
        refuse(body, "suffix", v -> false, "'suffix' (insertion) is not supported by this gateway");
        refuse(body, "logprobs", v -> false, "'logprobs' is not supported by this gateway");
        JsonNode n = body.get("n");
        int choices = n != null && n.canConvertToInt() && n.isIntegralNumber() ? n.asInt() : 1;
        refuse(body, "best_of", v -> v.isIntegralNumber() && v.canConvertToInt() && v.asInt() == choices,
                "'best_of' is not supported by this gateway (only equal to 'n')");
        if (!body.hasNonNull("max_tokens")) body.put("max_tokens", DEFAULT_MAX_TOKENS);

        ObjectNode chat = body.objectNode();
        for (String field : SHARED) {
            JsonNode v = body.get(field);
            if (v != null) chat.set(field, v);
        }
        ArrayNode messages = chat.putArray("messages");
        for (String p : prompts) messages.addObject().put("role", "user").put("content", p);
        ChatRequest parsed = ChatRequest.parse(chat);
        // Admission reserves for every choice of every prompt (OpenAI answers n choices per prompt).
        return new ChatRequest(parsed.raw(), parsed.model(), parsed.messages(), parsed.stream(), parsed.clientWantsUsage(),
                parsed.maxTokens(), parsed.user(), false, false, parsed.choices() * prompts.size());
    }

    /** How many prompts the chat equivalent carries (one user message each). */
    public static int promptCount(ChatRequest chat) { return chat.messages().size(); }

    private static void refuse(ObjectNode body, String field, java.util.function.Predicate<JsonNode> allowed, String message) {
        JsonNode v = body.get(field);
        if (v != null && !v.isNull() && !allowed.test(v)) throw bad(message, field);
    }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param));
    }
}
