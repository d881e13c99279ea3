package dev.llmgateway.gateway.providers.azure;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.openai.OpenAiBackend;
import io.vertx.core.MultiMap;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Azure's addressing: the deployment in the path, {@code api-version} in the query, the key in {@code api-key}. */
final class AzureEndpoint implements OpenAiBackend.Endpoint {
    private final String baseUrl;
    private final String apiVersion;

    AzureEndpoint(Provider provider) {
        String base = provider.baseUrl().orElseThrow().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.apiVersion = URLEncoder.encode(provider.options(AzureOptions.class).apiVersion(), StandardCharsets.UTF_8);
    }

    @Override
    public String url(String operation, Deployment deployment) {
        return baseUrl + "/openai/deployments/" + URLEncoder.encode(deployment.model(), StandardCharsets.UTF_8).replace("+", "%20")
                + "/" + operation + "?api-version=" + apiVersion;
    }

    @Override
    public void authenticate(MultiMap headers, String key) { headers.set("api-key", key); }
}
