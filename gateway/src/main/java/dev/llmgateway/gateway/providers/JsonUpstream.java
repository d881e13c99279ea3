package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The calls of an adapter that translates OpenAI's format to a provider's own JSON API (Anthropic, Gemini): a body
 * built for the call is posted with the next usable key (in the provider's key header, with the adapter's fixed
 * headers and the provider's configured ones), and a whole answer is read back as JSON.
 */
public final class JsonUpstream {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Provider provider;
    private final UpstreamHttp http;
    private final ApiKeys keys;
    private final Map<String, String> fixedHeaders;
    private final String keyHeader;
    private final String baseUrl;

    /** {@code keyHeader} carries the key as is ({@code x-api-key}); {@code fixedHeaders} go with every request. */
    public JsonUpstream(Provider provider, UpstreamHttp http, ApiKeys keys, Map<String, String> fixedHeaders, String keyHeader) {
        this.provider = provider;
        this.http = http;
        this.keys = keys;
        this.fixedHeaders = Map.copyOf(fixedHeaders);
        this.keyHeader = keyHeader;
        String base = provider.baseUrl().orElseThrow().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /** The provider's {@code base_url} without a trailing slash. */
    public String baseUrl() { return baseUrl; }

    /**
     * Posts the body {@code request} builds to {@code url}; a request the provider's format cannot carry (the builder's
     * {@link GatewayError.Failure}) fails the future before anything is sent.
     */
    public Future<UpstreamHttp.Exchange> post(ProviderCall call, String url, Supplier<JsonNode> request) {
        Buffer body;
        try {
            body = OpenAiJson.buffer(request.get());
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        String dep = call.deployment().name();
        return keys.send(key -> http.post(dep, url, headers(key), body, call.deployment().resilience(), call.cancel()));
    }

    /** Posts, then reads the whole answer as JSON (an answer that is not JSON is an unavailable upstream). */
    public Future<JsonNode> postForJson(ProviderCall call, String url, Supplier<JsonNode> request) {
        String dep = call.deployment().name();
        return post(call, url, request).compose(x -> UpstreamHttp.body(dep, x)).map(buf -> parse(dep, buf));
    }

    private MultiMap headers(ApiKeys.Key key) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("content-type", "application/json");
        fixedHeaders.forEach(h::set);
        key.secret().ifPresent(k -> h.set(keyHeader, k));
        provider.headers().forEach(h::set);
        return h;
    }

    private static JsonNode parse(String dep, Buffer buf) {
        try {
            return JSON.readTree(buf.getBytes());
        } catch (IOException e) {
            throw new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep, "upstream '" + dep + "' sent malformed JSON"));
        }
    }
}
