package dev.llmgateway.gateway.providers.azure;

import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.providers.ApiKeys;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.gateway.providers.UpstreamStream;
import dev.llmgateway.gateway.providers.openai.OpenAiBackend;
import io.vertx.core.Future;

/**
 * Azure OpenAI: OpenAI's wire format (bodies, streams, usage, errors) addressed to a deployment of an Azure resource,
 * {@code {base_url}/openai/deployments/{deployment}/{operation}?api-version=...}, with the key in an {@code api-key}
 * header. A gateway deployment's {@code model} is the Azure deployment name.
 */
public final class AzureOpenAiBackend implements ModelBackend {
    private final OpenAiBackend wire;

    public AzureOpenAiBackend(Provider provider, UpstreamHttp http, ApiKeys keys) {
        this.wire = new OpenAiBackend(provider, http, keys, new AzureEndpoint(provider));
    }

    @Override
    public Future<Completion> complete(ProviderCall call) { return wire.complete(call); }

    @Override
    public Future<UpstreamStream> stream(ProviderCall call) { return wire.stream(call); }

    @Override
    public Future<Completion> completeText(ProviderCall call) { return wire.completeText(call); }

    @Override
    public Future<UpstreamStream> streamText(ProviderCall call) { return wire.streamText(call); }

    @Override
    public Future<Completion> embed(ProviderCall call) { return wire.embed(call); }
}
