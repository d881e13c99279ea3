package dev.llmgateway.gateway.providers.gemini;

import dev.llmgateway.gateway.config.ConfigNode;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderFactory;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** {@code gemini}: Google's Generative Language API. */
public final class GeminiFactory implements ProviderFactory {
    @Override
    public List<String> types() { return List.of("gemini"); }

    @Override
    public Optional<URI> baseUrl(String type, ConfigNode baseUrl) {
        return ProviderFactory.orDefault(baseUrl, "https://generativelanguage.googleapis.com/v1beta");
    }

    /** Gemini bills 258 tokens per 768 x 768 tile; six tiles cover a 1536 x 2304 image. Larger: set max_image_tokens. */
    @Override
    public int defaultMaxImageTokens() { return 1548; }

    @Override
    public ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys) { return new GeminiBackend(provider, http, keys); }
}
