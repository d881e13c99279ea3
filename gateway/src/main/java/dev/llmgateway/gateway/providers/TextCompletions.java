package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Legacy completions ({@code /v1/completions}) served through a chat backend: the prompt is the one user message of the
 * call's chat equivalent, and the chat answer (whole or streamed) is rewritten as {@code text_completion} objects. Used
 * by every provider without a completions endpoint of its own (Anthropic, Gemini); see docs/api-completions.md.
 */
public final class TextCompletions {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private TextCompletions() {}

    /** {@code completeText} over {@code backend.complete}. */
    public static Future<Completion> viaChat(ModelBackend backend, ProviderCall call) {
        try {
            requireSinglePrompt(call, "it has no completions endpoint of its own");
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return backend.complete(call).map(TextCompletions::fromChat);
    }

    /** {@code streamText} over {@code backend.stream}. */
    public static Future<UpstreamStream> streamViaChat(ModelBackend backend, ProviderCall call) {
        try {
            requireSinglePrompt(call, "it has no completions endpoint of its own");
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return backend.stream(call).map(TextCompletions::fromChatStream);
    }

    /** A chat-translated completion carries exactly one prompt: a batch of prompts is a 400 naming the deployment. */
    public static void requireSinglePrompt(ProviderCall call, String why) {
        if (call.chat().messages().size() != 1) {
            throw new GatewayError.Failure(new GatewayError.BadRequest("deployment '" + call.deployment().name()
                    + "' serves one prompt per completions request (" + why + "); send the prompts one at a time", "prompt"));
        }
    }

    /** The prompt of a single-prompt call. */
    public static String prompt(ProviderCall call) {
        return ChatRequest.textOf(call.chat().messages().get(0).get("content"));
    }

    /** A {@code chat.completion} as a {@code text_completion}. */
    public static Completion fromChat(Completion c) {
        JsonNode chat = parse(c.body());
        ObjectNode out = envelope(chat);
        ArrayNode choices = out.putArray("choices");
        for (JsonNode ch : chat.path("choices")) {
            choice(choices, ch.path("index").asInt(0), ChatRequest.textOf(ch.path("message").get("content")),
                    ch.path("finish_reason").asText(null));
        }
        JsonNode usage = chat.get("usage");
        if (usage != null && usage.isObject()) out.set("usage", usage);
        return new Completion(OpenAiJson.buffer(out), c.usage(), finish(c.finishReason()));
    }

    /** A chat chunk stream as {@code text_completion} chunks (the opening role-only chunk is dropped). */
    public static UpstreamStream fromChatStream(UpstreamStream chat) {
        return new UpstreamStream() {
            @Override
            public Future<End> start(ChunkSink sink) {
                return chat.start(new ChunkSink() {
                    @Override
                    public void chunk(Buffer chunk) {
                        Buffer text = fromChatChunk(chunk);
                        if (text != null) sink.chunk(text);
                    }

                    @Override
                    public boolean full() { return sink.full(); }

                    @Override
                    public void onDrain(Runnable action) { sink.onDrain(action); }
                }).map(end -> new End(end.usage(), finish(end.finishReason())));
            }

            @Override
            public Usage usageSoFar() { return chat.usageSoFar(); }

            @Override
            public void cancel() { chat.cancel(); }
        };
    }

    /** One chat chunk as a {@code text_completion} chunk, or null when it carries nothing a completions client sees. */
    static Buffer fromChatChunk(Buffer chunk) {
        JsonNode chat = parse(chunk);
        ObjectNode out = envelope(chat);
        ArrayNode choices = out.putArray("choices");
        for (JsonNode ch : chat.path("choices")) {
            JsonNode content = ch.path("delta").get("content");
            String text = content != null && content.isTextual() ? content.asText() : "";
            String finish = ch.path("finish_reason").asText(null);
            if (text.isEmpty() && finish == null) continue;
            choice(choices, ch.path("index").asInt(0), text, finish);
        }
        JsonNode usage = chat.get("usage");
        if (choices.isEmpty() && (usage == null || !usage.isObject())) return null;
        if (usage != null) out.set("usage", usage);
        return OpenAiJson.buffer(out);
    }

    private static ObjectNode envelope(JsonNode chat) {
        ObjectNode out = F.objectNode();
        String id = chat.path("id").asText("");
        out.put("id", id.startsWith("chatcmpl-") ? "cmpl-" + id.substring(9) : id.startsWith("cmpl-") ? id : "cmpl-" + id);
        out.put("object", "text_completion");
        out.put("created", chat.path("created").asLong(System.currentTimeMillis() / 1000));
        out.put("model", chat.path("model").asText(""));
        return out;
    }

    private static void choice(ArrayNode choices, int index, String text, String finish) {
        ObjectNode c = choices.addObject();
        c.put("text", text).put("index", index).putNull("logprobs");
        if (finish == null) c.putNull("finish_reason");
        else c.put("finish_reason", finish(finish));
    }

    /** Completions know {@code stop}, {@code length} and {@code content_filter}; a chat-only reason becomes {@code stop}. */
    static String finish(String chatReason) {
        if (chatReason == null) return null;
        return switch (chatReason) {
            case "length", "content_filter", "stop" -> chatReason;
            case "cancelled", "error" -> chatReason;
            default -> "stop";
        };
    }

    private static JsonNode parse(Buffer b) {
        try {
            JsonNode n = JSON.readTree(b.getBytes());
            return n == null ? F.objectNode() : n;
        } catch (IOException e) {
            return F.objectNode();
        }
    }
}
