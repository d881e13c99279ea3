package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.ConfigNode;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.config.GatewayConfig.ProviderOptions;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One provider type, everything outside its package needs to know of it: its {@code type:} name(s) in gateway.yaml,
 * its own keys of a {@code providers.<name>} block and how they are parsed, its defaults, and how its backend is built.
 * Each adapter package has one implementation, registered by one line in {@link ProviderFactories}.
 *
 * <p>The configuration loader reads the keys every provider has ({@code type}, {@code api_key(s)}, {@code headers},
 * pool limits, {@code http2}); the factory reads {@code base_url} (its default, or that it is required) and its
 * {@link #optionKeys()}, failing with the node's {@code file: path: reason} errors.
 */
public interface ProviderFactory {

    /** The {@code type:} names this factory answers to, e.g. {@code anthropic}. */
    List<String> types();

    /** The keys of a provider block that belong to this type only (besides the common ones); parsed by {@link #options}. */
    default Set<String> optionKeys() { return Set.of(); }

    /**
     * Where a provider of {@code type} lives, from its {@code base_url} node (possibly missing): a default, or an error
     * naming the node if the type needs one; empty for a provider without a URL.
     */
    Optional<URI> baseUrl(String type, ConfigNode baseUrl);

    /** This type's own options from the provider block {@code provider} (only its {@link #optionKeys()} are read). */
    default ProviderOptions options(String type, ConfigNode provider) { return ProviderOptions.NONE; }

    /** What one image part may cost in prompt tokens at this provider, unless a deployment sets {@code max_image_tokens}. */
    int defaultMaxImageTokens();

    /**
     * Whether this type runs models in the gateway's own engine: its deployments then need an {@code engine} block, and
     * the runtime builds its backend (it owns the engine), so {@link #create} is never called for it.
     */
    default boolean embeddedEngine() { return false; }

    /** Builds the backend of one configured provider of this type from its HTTP client and keys (both given, never created). */
    ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys);

    /** {@code base_url} as given, else {@code defaultUrl}. */
    static Optional<URI> orDefault(ConfigNode baseUrl, String defaultUrl) {
        return Optional.of(baseUrl.isMissing() ? URI.create(defaultUrl) : baseUrl.uri());
    }

    /** {@code base_url}, which a provider of {@code type} cannot do without ({@code example} says what to give). */
    static Optional<URI> required(ConfigNode baseUrl, String type, String example) {
        if (baseUrl.isMissing()) throw baseUrl.error("is required for type " + type + example);
        return Optional.of(baseUrl.uri());
    }
}
