package dev.llmgateway.gateway.providers.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.JsonUpstream;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.UpstreamStream;
import io.vertx.core.Future;
import java.util.Map;

/**
 * Anthropic's Messages API behind the OpenAI chat-completions surface: {@link AnthropicMapper} translates requests and
 * whole answers, {@link AnthropicStream} the event stream; the key goes in {@code x-api-key}.
 */
public final class AnthropicBackend implements ModelBackend {
    private final JsonUpstream upstream;
    private final String url;

    public AnthropicBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this.upstream = new JsonUpstream(provider, http, keys,
                Map.of("anthropic-version", provider.options(AnthropicOptions.class).version()), "x-api-key");
        this.url = upstream.baseUrl() + "/v1/messages";
    }

    @Override
    public Future<Completion> complete(ProviderCall call) {
        return upstream.postForJson(call, url, () -> AnthropicMapper.request(call.chat(), call.deployment().model(), false))
                .map(msg -> {
                    ObjectNode out = AnthropicMapper.response(msg, System.currentTimeMillis() / 1000);
                    return new Completion(OpenAiJson.buffer(out), AnthropicMapper.usage(msg.path("usage")),
                            out.path("choices").path(0).path("finish_reason").asText());
                });
    }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) {
        return upstream.post(call, url, () -> AnthropicMapper.request(call.chat(), call.deployment().model(), true))
                .map(x -> new AnthropicStream(call, x));
    }
}
