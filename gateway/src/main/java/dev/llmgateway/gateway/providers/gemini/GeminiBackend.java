package dev.llmgateway.gateway.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.JsonUpstream;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.UpstreamStream;
import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.Future;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Google Gemini's native API ({@code models/{model}:generateContent} and {@code :streamGenerateContent?alt=sse}) behind
 * the OpenAI chat-completions surface: {@link GeminiMapper} translates requests and whole answers, {@link GeminiStream}
 * the stream; the key goes in {@code x-goog-api-key}.
 */
public final class GeminiBackend implements ModelBackend {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final JsonUpstream upstream;

    public GeminiBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this.upstream = new JsonUpstream(provider, http, keys, Map.of("accept", "application/json, text/event-stream"), "x-goog-api-key");
    }

    private static String model(ProviderCall call) {
        String model = call.deployment().model();
        return model.startsWith("models/") ? model.substring("models/".length()) : model;
    }

    private String url(ProviderCall call, String method) {
        return upstream.baseUrl() + "/models/" + URLEncoder.encode(model(call), StandardCharsets.UTF_8) + ":" + method;
    }

    /** {@code /v1/embeddings} through {@code batchEmbedContents}; Gemini reports no token counts for it, so they are estimated. */
    @Override
    public Future<Completion> embed(ProviderCall call) {
        int chars = 0;
        JsonNode input = call.body().get("input");
        for (JsonNode t : input.isArray() ? input : F.arrayNode().add(input)) chars += t.asText().length();
        Usage usage = new Usage(Usage.estimateTokens(chars), 0, 0, true);
        return upstream.postForJson(call, url(call, "batchEmbedContents"), () -> GeminiMapper.embedRequest(call.body(), "models/" + model(call)))
                .map(resp -> new Completion(OpenAiJson.buffer(GeminiMapper.embedResponse(resp, call.deployment().model(), usage)), usage, "stop"));
    }

    @Override
    public Future<Completion> complete(ProviderCall call) {
        return upstream.postForJson(call, url(call, "generateContent"), () -> GeminiMapper.request(call.chat()))
                .map(resp -> {
                    ObjectNode out = GeminiMapper.response(resp, call.deployment().model(), System.currentTimeMillis() / 1000);
                    JsonNode message = out.path("choices").path(0).path("message");
                    Usage usage = resp.has("usageMetadata") ? GeminiMapper.usage(resp.get("usageMetadata"))
                            : estimate(call.chat(), ChatRequest.textOf(message.get("content")).length());
                    if (!resp.has("usageMetadata")) out.set("usage", GeminiMapper.usageJson(usage));
                    return new Completion(OpenAiJson.buffer(out), usage, out.path("choices").path(0).path("finish_reason").asText());
                });
    }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) {
        return upstream.post(call, url(call, "streamGenerateContent?alt=sse"), () -> GeminiMapper.request(call.chat()))
                .map(x -> new GeminiStream(call, x));
    }

    /** Counts for an answer Gemini reported no usageMetadata for: the gateway's estimate, flagged as such. */
    static Usage estimate(ChatRequest chat, int completionChars) {
        return new Usage(chat.estimatedPromptTokens(), Usage.estimateTokens(completionChars), 0, true);
    }
}
