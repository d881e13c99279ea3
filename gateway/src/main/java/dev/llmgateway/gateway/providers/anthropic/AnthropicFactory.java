package dev.llmgateway.gateway.providers.anthropic;

import dev.llmgateway.gateway.config.ConfigNode;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.config.GatewayConfig.ProviderOptions;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderFactory;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code anthropic}: the Messages API, with its {@code anthropic_version} option. */
public final class AnthropicFactory implements ProviderFactory {
    @Override
    public List<String> types() { return List.of("anthropic"); }

    @Override
    public Set<String> optionKeys() { return Set.of("anthropic_version"); }

    @Override
    public Optional<URI> baseUrl(String type, ConfigNode baseUrl) { return ProviderFactory.orDefault(baseUrl, "https://api.anthropic.com"); }

    @Override
    public ProviderOptions options(String type, ConfigNode provider) {
        return new AnthropicOptions(provider.get("anthropic_version").string(AnthropicOptions.DEFAULT_VERSION));
    }

    /** Anthropic scales images to at most about 1.15 megapixels: about 1600 tokens. */
    @Override
    public int defaultMaxImageTokens() { return 1600; }

    @Override
    public ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys) { return new AnthropicBackend(provider, http, keys); }
}
