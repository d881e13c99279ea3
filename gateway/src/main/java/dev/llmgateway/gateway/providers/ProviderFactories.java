package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.config.GatewayConfig.ProviderType;
import dev.llmgateway.gateway.providers.anthropic.AnthropicBackend;
import dev.llmgateway.gateway.providers.azure.AzureOpenAiBackend;
import dev.llmgateway.gateway.providers.gemini.GeminiBackend;
import dev.llmgateway.gateway.providers.openai.OpenAiBackend;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The adapters of the HTTP provider types, one registration line each: adding a provider is one package under
 * {@code providers/} and one line here (plus its {@code type:} name in the configuration).
 */
public final class ProviderFactories {

    /** Builds the backend of one configured provider from its HTTP client and its keys (both given, never created). */
    @FunctionalInterface
    public interface Factory { ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys); }

    private static final Map<ProviderType, Factory> HTTP = new EnumMap<>(ProviderType.class);

    static {
        HTTP.put(ProviderType.OPENAI, OpenAiBackend::new);
        HTTP.put(ProviderType.OPENAI_COMPATIBLE, OpenAiBackend::new);
        HTTP.put(ProviderType.ANTHROPIC, AnthropicBackend::new);
        HTTP.put(ProviderType.AZURE_OPENAI, AzureOpenAiBackend::new);
        HTTP.put(ProviderType.GEMINI, GeminiBackend::new);
    }

    private ProviderFactories() {}

    /** The factory of an HTTP provider type; empty for the embedded engine, which is built by the runtime. */
    public static Optional<Factory> forType(ProviderType type) { return Optional.ofNullable(HTTP.get(type)); }
}
