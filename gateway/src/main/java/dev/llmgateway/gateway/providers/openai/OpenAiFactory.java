package dev.llmgateway.gateway.providers.openai;

import dev.llmgateway.gateway.config.ConfigNode;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderFactory;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** {@code openai} (OpenAI's own API by default) and {@code openai-compatible} (any server speaking it: a base_url is required). */
public final class OpenAiFactory implements ProviderFactory {
    @Override
    public List<String> types() { return List.of("openai", "openai-compatible"); }

    @Override
    public Optional<URI> baseUrl(String type, ConfigNode baseUrl) {
        return type.equals("openai") ? ProviderFactory.orDefault(baseUrl, "https://api.openai.com/v1")
                : ProviderFactory.required(baseUrl, type, "");
    }

    /** OpenAI's high-detail worst case for the GPT-4o / GPT-4.1 family (768 x 2048: 85 + 8 tiles x 170 = 1445 tokens). */
    @Override
    public int defaultMaxImageTokens() { return 1445; }

    @Override
    public ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys) { return new OpenAiBackend(provider, http, keys); }
}
