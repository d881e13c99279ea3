package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.anthropic.AnthropicFactory;
import dev.llmgateway.gateway.providers.azure.AzureOpenAiFactory;
import dev.llmgateway.gateway.providers.embedded.EmbeddedFactory;
import dev.llmgateway.gateway.providers.gemini.GeminiFactory;
import dev.llmgateway.gateway.providers.openai.OpenAiFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registry of provider types, one line each: adding a provider is one package under {@code providers/} with its
 * {@link ProviderFactory}, and one line here. The configuration loader and {@link Backends} ask this registry only.
 */
public final class ProviderFactories {

    private static final List<ProviderFactory> ALL = List.of(
            new OpenAiFactory(),
            new AnthropicFactory(),
            new AzureOpenAiFactory(),
            new GeminiFactory(),
            new EmbeddedFactory());

    private static final Map<String, ProviderFactory> BY_TYPE = byType();

    private ProviderFactories() {}

    private static Map<String, ProviderFactory> byType() {
        Map<String, ProviderFactory> m = new LinkedHashMap<>();
        for (ProviderFactory f : ALL) {
            for (String t : f.types()) {
                if (m.put(t, f) != null) throw new IllegalStateException("provider type '" + t + "' registered twice");
            }
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The factory of a {@code type:} name; empty for an unknown name. */
    public static Optional<ProviderFactory> forType(String type) { return Optional.ofNullable(BY_TYPE.get(type)); }

    /** The factory of a configured provider (its type was validated when the configuration was loaded). */
    public static ProviderFactory of(Provider provider) {
        return forType(provider.type()).orElseThrow(() -> new IllegalStateException("no adapter registered for provider type " + provider.type()));
    }

    /** Every {@code type:} name, in registration order (for error messages). */
    public static List<String> types() { return List.copyOf(BY_TYPE.keySet()); }

    /** Every registered factory, in registration order. */
    public static List<ProviderFactory> all() { return ALL; }
}
