package dev.llmgateway.gateway.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.SseParser;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.UpstreamStream;
import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Google Gemini's native API ({@code models/{model}:generateContent} and {@code :streamGenerateContent?alt=sse}) behind
 * the OpenAI chat-completions surface; the key goes in {@code x-goog-api-key}.
 */
public final class GeminiBackend implements ModelBackend {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Provider provider;
    private final UpstreamHttp http;
    private final ApiKeys keys;
    private final String baseUrl;

    public GeminiBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this.provider = provider;
        this.http = http;
        this.keys = keys;
        String base = provider.baseUrl().orElseThrow().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    private static String model(ProviderCall call) {
        String model = call.deployment().model();
        return model.startsWith("models/") ? model.substring("models/".length()) : model;
    }

    private String url(ProviderCall call, String method) {
        return baseUrl + "/models/" + URLEncoder.encode(model(call), StandardCharsets.UTF_8) + ":" + method;
    }

    private Future<UpstreamHttp.Exchange> post(ProviderCall call, String method) {
        Buffer body;
        try {
            body = Buffer.buffer(write(GeminiMapper.request(call.chat())));
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        return post(call, method, body);
    }

    private Future<UpstreamHttp.Exchange> post(ProviderCall call, String method, Buffer body) {
        String dep = call.deployment().name();
        String url = url(call, method);
        return keys.send(key -> http.post(dep, url, headers(key), body, call.deployment().resilience(), call.cancel()));
    }

    /** {@code /v1/embeddings} through {@code batchEmbedContents}; Gemini reports no token counts for it, so they are estimated. */
    @Override
    public Future<Completion> embed(ProviderCall call) {
        String dep = call.deployment().name();
        Buffer body;
        try {
            body = Buffer.buffer(write(GeminiMapper.embedRequest(call.body(), "models/" + model(call))));
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        int chars = 0;
        JsonNode input = call.body().get("input");
        for (JsonNode t : input.isArray() ? input : F.arrayNode().add(input)) chars += t.asText().length();
        Usage usage = new Usage(Usage.estimateTokens(chars), 0, 0, true);
        return post(call, "batchEmbedContents", body)
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> new Completion(OpenAiJson.buffer(GeminiMapper.embedResponse(parse(dep, buf), call.deployment().model(), usage)), usage, "stop"));
    }

    @Override
    public Future<Completion> complete(ProviderCall call) {
        String dep = call.deployment().name();
        return post(call, "generateContent")
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> {
                    JsonNode resp = parse(dep, buf);
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
        return post(call, "streamGenerateContent?alt=sse").map(x -> new Stream(call, x));
    }

    /** Translates Gemini's SSE stream of partial GenerateContentResponses into OpenAI chunks as they arrive. */
    private static final class Stream implements UpstreamStream {
        private final ProviderCall call;
        private final UpstreamHttp.Exchange x;
        private final long created = System.currentTimeMillis() / 1000;
        private String id;
        private String model;
        private Usage reported;
        private int streamedChars;
        private int toolCalls;
        private String finish;

        Stream(ProviderCall call, UpstreamHttp.Exchange x) {
            this.call = call;
            this.x = x;
            this.model = call.deployment().model();
        }

        @Override
        public Future<End> start(ChunkSink sink) {
            String dep = call.deployment().name();
            Promise<End> done = Promise.promise();
            SseParser parser = new SseParser((event, data) -> {
                if (done.future().isComplete()) return;
                JsonNode resp;
                try {
                    resp = JSON.readTree(data);
                } catch (IOException e) {
                    done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep,
                            "upstream '" + dep + "' sent a malformed stream chunk")));
                    x.cancel();
                    return;
                }
                if (resp.has("error")) {
                    done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamFailed(dep, 502,
                            "upstream '" + dep + "' failed mid-stream: " + resp.path("error").path("message").asText(""), Optional.empty())));
                    x.cancel();
                    return;
                }
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
            });
            x.pump(dep, parser, done, () -> {
                if (finish == null) {
                    done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep,
                            "upstream '" + dep + "' ended the stream before a finishReason")));
                    return;
                }
                Usage usage = usageSoFar();
                if (call.chat().clientWantsUsage()) {
                    ObjectNode c = OpenAiJson.chunkBase(id, created, model);
                    c.putArray("choices");
                    c.set("usage", GeminiMapper.usageJson(usage));
                    sink.chunk(OpenAiJson.buffer(c));
                }
                done.tryComplete(new End(usage, finish));
            }, sink, call.deployment().resilience().idleTimeout());
            return done.future();
        }

        @Override
        public Usage usageSoFar() {
            // Gemini repeats usageMetadata with running counts; before the first, estimate from the text streamed.
            if (reported != null && finish != null) return reported;
            Usage est = estimate(call.chat(), streamedChars);
            if (reported == null) return est;
            return new Usage(reported.promptTokens(), Math.max(reported.completionTokens(), est.completionTokens()), reported.cachedTokens(), true);
        }

        @Override
        public void cancel() { x.cancel(); }
    }

    private MultiMap headers(ApiKeys.Key key) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("content-type", "application/json");
        h.set("accept", "application/json, text/event-stream");
        key.secret().ifPresent(k -> h.set("x-goog-api-key", k));
        provider.headers().forEach(h::set);
        return h;
    }

    /** Counts for an answer Gemini reported no usageMetadata for: the gateway's estimate, flagged as such. */
    private static Usage estimate(ChatRequest chat, int completionChars) {
        return new Usage(chat.estimatedPromptTokens(), Usage.estimateTokens(completionChars), 0, true);
    }

    private static JsonNode parse(String dep, Buffer buf) {
        try {
            return JSON.readTree(buf.getBytes());
        } catch (IOException e) {
            throw new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep, "upstream '" + dep + "' sent malformed JSON"));
        }
    }

    private static byte[] write(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
