package dev.llmgateway.gateway.providers.anthropic;

import dev.llmgateway.gateway.config.GatewayConfig.ProviderOptions;

/** An {@code anthropic} provider's own option: the {@code anthropic-version} header ({@code anthropic_version}). */
public record AnthropicOptions(String version) implements ProviderOptions {
    public static final String DEFAULT_VERSION = "2023-06-01";
}
