package dev.llmgateway.gateway.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Optional;

/** Anthropic's Messages API behind the OpenAI chat-completions surface, streaming events translated to chunks. */
public final class AnthropicBackend implements ModelBackend {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Provider provider;
    private final UpstreamHttp http;
    private final ApiKeys keys;
    private final String url;

    public AnthropicBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this.provider = provider;
        this.http = http;
        this.keys = keys;
        String base = provider.baseUrl().orElseThrow().toString();
        this.url = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/messages";
    }

    @Override
    public Future<Completion> complete(ProviderCall call) {
        String dep = call.deployment().name();
        ObjectNode req = AnthropicMapper.request(call.chat(), call.deployment().model(), false);
        return keys.send(key -> http.post(dep, url, headers(key), Buffer.buffer(write(req)), call.deployment().resilience(), call.cancel()))
                .compose(x -> UpstreamHttp.body(dep, x))
                .map(buf -> {
                    JsonNode msg;
                    try {
                        msg = JSON.readTree(buf.getBytes());
                    } catch (IOException e) {
                        throw new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep, "upstream '" + dep + "' sent malformed JSON"));
                    }
                    ObjectNode out = AnthropicMapper.response(msg, System.currentTimeMillis() / 1000);
                    return new Completion(Buffer.buffer(write(out)), AnthropicMapper.usage(msg.path("usage")),
                            out.path("choices").path(0).path("finish_reason").asText());
                });
    }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) {
        String dep = call.deployment().name();
        ObjectNode req = AnthropicMapper.request(call.chat(), call.deployment().model(), true);
        return keys.send(key -> http.post(dep, url, headers(key), Buffer.buffer(write(req)), call.deployment().resilience(), call.cancel()))
                .map(x -> new Stream(call, x));
    }

    /** Translates Anthropic's event stream into OpenAI chunks as events arrive. */
    private static final class Stream implements UpstreamStream {
        private final ProviderCall call;
        private final UpstreamHttp.Exchange x;
        private String id = "chatcmpl-anthropic";
        private String model = "";
        private final long created = System.currentTimeMillis() / 1000;
        private int inputTokens;
        private int cacheRead;
        private int outputTokens;
        private String finish = "stop";
        private int toolIndex = -1;
        private boolean stopped;

        Stream(ProviderCall call, UpstreamHttp.Exchange x) {
            this.call = call;
            this.x = x;
        }

        @Override
        public Future<End> start(ChunkSink sink) {
            String dep = call.deployment().name();
            Promise<End> done = Promise.promise();
            SseParser parser = new SseParser((event, data) -> {
                if (done.future().isComplete()) return;
                JsonNode e;
                try {
                    e = JSON.readTree(data);
                } catch (IOException ex) {
                    done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep,
                            "upstream '" + dep + "' sent a malformed stream event")));
                    x.cancel();
                    return;
                }
                String type = e.path("type").asText(event);
                switch (type) {
                    case "message_start" -> {
                        JsonNode m = e.path("message");
                        id = "chatcmpl-" + m.path("id").asText();
                        model = m.path("model").asText();
                        JsonNode u = m.path("usage");
                        cacheRead = u.path("cache_read_input_tokens").asInt(0);
                        inputTokens = u.path("input_tokens").asInt(0) + cacheRead + u.path("cache_creation_input_tokens").asInt(0);
                        outputTokens = u.path("output_tokens").asInt(0);
                        ObjectNode delta = F.objectNode();
                        delta.put("role", "assistant");
                        delta.put("content", "");
                        sink.chunk(chunk(delta, null));
                    }
                    case "content_block_start" -> {
                        JsonNode b = e.path("content_block");
                        if (b.path("type").asText().equals("tool_use")) {
                            toolIndex++;
                            ObjectNode call = F.objectNode();
                            call.put("index", toolIndex);
                            call.put("id", b.path("id").asText());
                            call.put("type", "function");
                            call.putObject("function").put("name", b.path("name").asText()).put("arguments", "");
                            sink.chunk(chunk(toolDelta(call), null));
                        }
                    }
                    case "content_block_delta" -> {
                        JsonNode d = e.path("delta");
                        switch (d.path("type").asText()) {
                            case "text_delta" -> {
                                streamedChars += d.path("text").asText().length();
                                ObjectNode delta = F.objectNode();
                                delta.put("content", d.path("text").asText());
                                sink.chunk(chunk(delta, null));
                            }
                            case "input_json_delta" -> {
                                streamedChars += d.path("partial_json").asText().length();
                                ObjectNode call = F.objectNode();
                                call.put("index", toolIndex);
                                call.putObject("function").put("arguments", d.path("partial_json").asText());
                                sink.chunk(chunk(toolDelta(call), null));
                            }
                            default -> { }
                        }
                    }
                    case "message_delta" -> {
                        finish = AnthropicMapper.finishReason(e.path("delta").path("stop_reason").asText("end_turn"));
                        if (e.path("usage").has("output_tokens")) outputTokens = e.path("usage").path("output_tokens").asInt();
                        sink.chunk(chunk(F.objectNode(), finish));
                    }
                    case "message_stop" -> {
                        stopped = true;
                        if (call.chat().clientWantsUsage()) {
                            ObjectNode c = base();
                            c.putArray("choices");
                            c.set("usage", AnthropicMapper.usageJson(usage()));
                            sink.chunk(Buffer.buffer(write(c)));
                        }
                    }
                    case "error" -> {
                        done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamFailed(dep, 502,
                                "upstream '" + dep + "' failed mid-stream: " + dev.llmgateway.gateway.providers.UpstreamErrors.scrub(e.path("error").path("message").asText("")),
                                Optional.empty())));
                        x.cancel();
                    }
                    default -> { }
                }
            });
            x.pump(dep, parser, done, () -> {
                if (!stopped) {
                    done.tryFail(new GatewayError.Failure(new GatewayError.UpstreamUnavailable(dep,
                            "upstream '" + dep + "' ended the stream before message_stop")));
                }
                done.tryComplete(new End(usage(), finish));
            }, sink, call.deployment().resilience().idleTimeout());
            return done.future();
        }

        private int streamedChars;

        private Usage usage() { return new Usage(inputTokens, outputTokens, cacheRead, false); }

        @Override
        public Usage usageSoFar() {
            // message_delta carries the final output count; before it, estimate from the text streamed so far.
            int out = Math.max(outputTokens, Usage.estimateTokens(streamedChars));
            return new Usage(inputTokens, out, cacheRead, true);
        }

        private ObjectNode base() { return OpenAiJson.chunkBase(id, created, model); }

        private static ObjectNode toolDelta(ObjectNode call) {
            ObjectNode delta = F.objectNode();
            ArrayNode calls = delta.putArray("tool_calls");
            calls.add(call);
            return delta;
        }

        private Buffer chunk(ObjectNode delta, String finishReason) {
            return OpenAiJson.chunk(id, created, model, delta, finishReason);
        }

        @Override
        public void cancel() { x.cancel(); }
    }

    private MultiMap headers(ApiKeys.Key key) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("content-type", "application/json");
        h.set("anthropic-version", provider.options(AnthropicOptions.class).version());
        key.secret().ifPresent(k -> h.set("x-api-key", k));
        provider.headers().forEach(h::set);
        return h;
    }

    private static byte[] write(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
