package dev.llmgateway.gateway.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.SseUpstreamStream;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.UpstreamStream;
import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * OpenAI and any OpenAI-compatible server (vLLM, SGLang, Ollama, TGI, Together, Groq, DeepSeek...): a pass-through that
 * only swaps the model name and asks for usage in streams, so that every token can be metered.
 */
public final class OpenAiBackend implements ModelBackend {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Provider provider;
    private final UpstreamHttp http;
    private final ApiKeys keys;
    private final Endpoint endpoint;

    /**
     * Where an OpenAI-format operation ({@code chat/completions}, {@code embeddings}) is sent and how a key is
     * presented: OpenAI's way ({@code {base_url}/{operation}}, bearer key), or another host's (Azure OpenAI).
     */
    public interface Endpoint {
        String url(String operation, Deployment deployment);

        void authenticate(MultiMap headers, String key);
    }

    public OpenAiBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this(provider, http, keys, bearer(provider));
    }

    public OpenAiBackend(Provider provider, UpstreamHttp http, ApiKeys keys, Endpoint endpoint) {
        this.provider = provider;
        this.http = http;
        this.keys = keys;
        this.endpoint = endpoint;
    }

    private static Endpoint bearer(Provider provider) {
        String base = provider.baseUrl().orElseThrow().toString();
        String baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return new Endpoint() {
            @Override
            public String url(String operation, Deployment deployment) { return baseUrl + "/" + operation; }

            @Override
            public void authenticate(MultiMap headers, String key) { headers.set("authorization", "Bearer " + key); }
        };
    }

    private Future<UpstreamHttp.Exchange> post(ProviderCall call, String operation, Buffer body) {
        String url = endpoint.url(operation, call.deployment());
        return keys.send(key -> http.post(call.deployment().name(), url, headers(key), body, call.deployment().resilience(), call.cancel()));
    }

    @Override
    public Future<Completion> complete(ProviderCall call) {
        String dep = call.deployment().name();
        return post(call, "chat/completions", body(call, false))
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> {
                    OpenAiBytes.Answer answer = scan(dep, buf);
                    if (answer != null) return new Completion(buf, answer.usage(), answer.finishReason());
                    // No usage reported: estimated from the answer's text.
                    JsonNode json = parse(dep, buf);
                    JsonNode choice = json.path("choices").path(0);
                    Usage usage = usage(json.get("usage")).orElseGet(() -> estimate(call.chat(),
                            ChatRequest.textOf(choice.path("message").get("content")).length()));
                    return new Completion(buf, usage, choice.path("finish_reason").asText("stop"));
                });
    }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) {
        return post(call, "chat/completions", body(call, true)).map(x -> new Stream(call, x));
    }

    /** Legacy completions: the client's body as it came (model swapped) to the upstream's own {@code completions}. */
    @Override
    public Future<Completion> completeText(ProviderCall call) {
        String dep = call.deployment().name();
        return post(call, "completions", body(call.body(), call, false, false))
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> {
                    JsonNode json = parse(dep, buf);
                    JsonNode choice = json.path("choices").path(0);
                    Usage usage = usage(json.get("usage")).orElseGet(() -> estimate(call.chat(), choice.path("text").asText("").length()));
                    return new Completion(buf, usage, choice.path("finish_reason").asText("stop"));
                });
    }

    @Override
    public Future<UpstreamStream> streamText(ProviderCall call) {
        return post(call, "completions", body(call.body(), call, true, false)).map(x -> new Stream(call, x));
    }

    @Override
    public Future<Completion> embed(ProviderCall call) {
        String dep = call.deployment().name();
        ObjectNode body = call.body().deepCopy();
        body.put("model", call.deployment().model());
        return post(call, "embeddings", Buffer.buffer(write(body)))
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> {
                    JsonNode u = parse(dep, buf).path("usage");
                    int prompt = u.path("prompt_tokens").asInt(0);
                    return new Completion(buf, new Usage(prompt, 0, 0, u.isMissingNode()), "stop");
                });
    }

    private static final class Stream extends SseUpstreamStream {
        private int chars;
        private Usage usage;
        private String finish = "stop";

        Stream(ProviderCall call, UpstreamHttp.Exchange x) { super(call, x); }

        @Override
        protected void onEvent(String event, String data, ChunkSink sink) {
            // Read with the streaming parser (no tree per chunk); the chunk's own bytes are what the client gets.
            OpenAiBytes.Chunk chunk;
            try {
                chunk = OpenAiBytes.scanChunk(data);
            } catch (IOException e) {
                throw malformedEvent();
            }
            if (chunk.error()) throw midStreamError(chunk.errorMessage());
            if (chunk.usage() != null) usage = chunk.usage();
            // Streamed tool calls are completion tokens too (counted when the usage chunk never comes).
            chars += chunk.chars();
            if (chunk.finishReason() != null) finish = chunk.finishReason();
            // Azure opens with a choice-less chunk of content-filter results: not part of the answer.
            if (chunk.choices() == 0 && chunk.promptFilterResults() && !chunk.usagePresent()) return;
            boolean usageOnly = chunk.choices() == 0 && chunk.usagePresent();
            if (usageOnly && !call.chat().clientWantsUsage()) return;
            sink.chunk(Buffer.buffer(data));
        }

        @Override
        protected End onEnd(ChunkSink sink) { return new End(usageSoFar(), finish); }

        @Override
        public Usage usageSoFar() { return usage != null ? usage : estimate(call.chat(), chars); }
    }

    private Buffer body(ProviderCall call, boolean stream) { return body(call.chat().raw(), call, stream, true); }

    /**
     * {@code forwardable}: the tree is unchanged since it was parsed from the client's bytes (a chat request; a legacy
     * completions request is not, its validation fills in {@code max_tokens}).
     */
    private Buffer body(ObjectNode raw, ProviderCall call, boolean stream, boolean forwardable) {
        // The client's bytes, when this tree is exactly what they say: only model (and stream_options) patched in place.
        if (forwardable && call.bytes() != null && raw == call.body()) {
            byte[] patched = OpenAiBytes.patch(call.bytes().getBytes(), call.deployment().model(), stream);
            if (patched != null) return Buffer.buffer(patched);
        }
        ObjectNode body = raw.objectNode();
        body.setAll(raw);
        body.put("model", call.deployment().model());
        if (stream) {
            ObjectNode so = body.objectNode();
            so.put("include_usage", true);
            body.set("stream_options", so);
        }
        return Buffer.buffer(write(body));
    }

    private MultiMap headers(ApiKeys.Key key) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("content-type", "application/json");
        h.set("accept", "application/json, text/event-stream");
        key.secret().ifPresent(k -> endpoint.authenticate(h, k));
        provider.headers().forEach(h::set);
        return h;
    }

    private static java.util.Optional<Usage> usage(JsonNode u) {
        if (u == null || !u.isObject()) return java.util.Optional.empty();
        return java.util.Optional.of(new Usage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0),
                u.path("prompt_tokens_details").path("cached_tokens").asInt(0), false));
    }

    /** Counts for a stream the provider never reported usage for: tools and images included, flagged as estimated. */
    static Usage estimate(ChatRequest chat, int completionChars) {
        return new Usage(chat.estimatedPromptTokens(), Usage.estimateTokens(completionChars), 0, true);
    }

    private static OpenAiBytes.Answer scan(String dep, Buffer buf) {
        try {
            return OpenAiBytes.scan(buf.getBytes());
        } catch (IOException e) {
            throw malformed(dep);
        }
    }

    private static JsonNode parse(String dep, Buffer buf) {
        try {
            return JSON.readTree(buf.getBytes());
        } catch (IOException e) {
            throw malformed(dep);
        }
    }

    private static GatewayError.Failure malformed(String dep) {
        return new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep, "upstream '" + dep + "' sent malformed JSON"));
    }

    private static byte[] write(ObjectNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
