package dev.llmgateway.gateway.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.SseUpstreamStream;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.Usage;

/** Gemini's SSE stream of partial GenerateContentResponses translated into OpenAI chunks as they arrive. */
final class GeminiStream extends SseUpstreamStream {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final long created = System.currentTimeMillis() / 1000;
    private String id;
    private String model;
    private Usage reported;
    private int streamedChars;
    private int toolCalls;
    private String finish;

    GeminiStream(ProviderCall call, UpstreamHttp.Exchange x) {
        super(call, x);
        this.model = call.deployment().model();
    }

    @Override
    protected void onEvent(String event, String data, ChunkSink sink) {
        JsonNode resp = json(data);
        if (resp.has("error")) throw midStreamError(resp.path("error").path("message").asText(""));
        if (id == null) {
            id = "chatcmpl-" + resp.path("responseId").asText("gemini");
            model = resp.path("modelVersion").asText(model);
            ObjectNode delta = F.objectNode();
            delta.put("role", "assistant");
            delta.put("content", "");
            sink.chunk(OpenAiJson.chunk(id, created, model, delta, null));
        }
        if (resp.has("usageMetadata")) reported = GeminiMapper.usage(resp.get("usageMetadata"));
        JsonNode candidate = resp.path("candidates").path(0);
        for (JsonNode part : candidate.path("content").path("parts")) {
            if (part.path("thought").asBoolean(false)) continue;
            if (part.has("text") && !part.path("text").asText().isEmpty()) {
                String text = part.path("text").asText();
                streamedChars += text.length();
                ObjectNode delta = F.objectNode();
                delta.put("content", text);
                sink.chunk(OpenAiJson.chunk(id, created, model, delta, null));
            }
            if (part.has("functionCall")) {
                // Gemini sends each call whole: one delta carries its id, name and complete arguments.
                ObjectNode tc = GeminiMapper.toolCall(part, toolCalls);
                tc.put("index", toolCalls++);
                streamedChars += tc.path("function").path("arguments").asText().length();
                ObjectNode delta = F.objectNode();
                delta.putArray("tool_calls").add(tc);
                sink.chunk(OpenAiJson.chunk(id, created, model, delta, null));
            }
        }
        boolean blocked = candidate.isMissingNode() && resp.path("promptFeedback").hasNonNull("blockReason");
        if (finish == null && (candidate.hasNonNull("finishReason") || blocked)) {
            finish = GeminiMapper.finishReason(resp, toolCalls > 0);
            sink.chunk(OpenAiJson.chunk(id, created, model, F.objectNode(), finish));
        }
    }

    @Override
    protected End onEnd(ChunkSink sink) {
        if (finish == null) throw endedEarly("a finishReason");
        Usage usage = usageSoFar();
        if (call.chat().clientWantsUsage()) {
            ObjectNode c = OpenAiJson.chunkBase(id, created, model);
            c.putArray("choices");
            c.set("usage", GeminiMapper.usageJson(usage));
            sink.chunk(OpenAiJson.buffer(c));
        }
        return new End(usage, finish);
    }

    @Override
    public Usage usageSoFar() {
        // Gemini repeats usageMetadata with running counts; before the first, estimate from the text streamed.
        if (reported != null && finish != null) return reported;
        Usage est = GeminiBackend.estimate(call.chat(), streamedChars);
        if (reported == null) return est;
        return new Usage(reported.promptTokens(), Math.max(reported.completionTokens(), est.completionTokens()), reported.cachedTokens(), true);
    }
}
