package dev.llmgateway.gateway.providers.azure;

import dev.llmgateway.gateway.config.GatewayConfig.ProviderOptions;

/** An {@code azure-openai} provider's own option: the {@code api-version} query parameter ({@code api_version}). */
public record AzureOptions(String apiVersion) implements ProviderOptions {
    public static final String DEFAULT_API_VERSION = "2024-10-21";
}
