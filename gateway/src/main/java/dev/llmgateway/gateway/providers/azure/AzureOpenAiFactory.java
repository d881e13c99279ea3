package dev.llmgateway.gateway.providers.azure;

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
import java.util.regex.Pattern;

/** {@code azure-openai}: a resource endpoint is required; {@code api_version} is its own option. */
public final class AzureOpenAiFactory implements ProviderFactory {
    private static final Pattern API_VERSION = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?");

    @Override
    public List<String> types() { return List.of("azure-openai"); }

    @Override
    public Set<String> optionKeys() { return Set.of("api_version"); }

    @Override
    public Optional<URI> baseUrl(String type, ConfigNode baseUrl) {
        return ProviderFactory.required(baseUrl, type, " (your resource's endpoint, e.g. https://my-resource.openai.azure.com)");
    }

    @Override
    public ProviderOptions options(String type, ConfigNode provider) {
        ConfigNode v = provider.get("api_version");
        String apiVersion = v.string(AzureOptions.DEFAULT_API_VERSION);
        if (!API_VERSION.matcher(apiVersion).matches()) throw v.error("expected an API version such as " + AzureOptions.DEFAULT_API_VERSION);
        return new AzureOptions(apiVersion);
    }

    /** Azure serves OpenAI's models: OpenAI's high-detail worst case. */
    @Override
    public int defaultMaxImageTokens() { return 1445; }

    @Override
    public ModelBackend create(Provider provider, UpstreamHttp http, ApiKeys keys) { return new AzureOpenAiBackend(provider, http, keys); }
}
