package dev.llmgateway.gateway.providers.embedded;

import dev.llmgateway.gateway.config.ConfigNode;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderFactory;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * {@code embedded}: models run in the gateway's own engine. Registered like the others for its name and rules (no URL,
 * deployments need an engine block, text only); its backend is built by the runtime, which owns the engine and its
 * models (loaded once, kept across configuration reloads), so {@link #create} is not used.
 */
public final class EmbeddedFactory implements ProviderFactory {
    @Override
    public List<String> types() { return List.of("embedded"); }

    @Override
    public Optional<URI> baseUrl(String type, ConfigNode baseUrl) {
        if (!baseUrl.isMissing()) throw baseUrl.error("an embedded provider has no URL");
        return Optional.empty();
    }

    /** The embedded engine reads text only. */
    @Override
    public int defaultMaxImageTokens() { return 0; }

    @Override
    public boolean embeddedEngine() { return true; }

    @Override
    public ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys) {
        throw new IllegalStateException("the runtime builds the backend of embedded provider '" + provider.name() + "'");
    }
}
