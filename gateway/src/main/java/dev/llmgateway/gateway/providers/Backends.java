package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The backend of every provider, built once from configuration. Each HTTP provider gets its own pooled keep-alive
 * client. The adapters of the HTTP provider types are registered in {@link ProviderFactories}.
 */
public final class Backends implements AutoCloseable {
    private final Map<String, ModelBackend> byProvider = new HashMap<>();
    private final List<HttpClient> clients = new ArrayList<>();

    public Backends(Vertx vertx, GatewayConfig config, Function<Provider, ModelBackend> embedded) {
        for (Provider p : config.providers().values()) byProvider.put(p.name(), create(vertx, p, embedded));
    }

    private ModelBackend create(Vertx vertx, Provider p, Function<Provider, ModelBackend> embedded) {
        if (p.type() == GatewayConfig.ProviderType.EMBEDDED) return embedded.apply(p);
        ProviderFactories.Factory factory = ProviderFactories.forType(p.type())
                .orElseThrow(() -> new IllegalStateException("no adapter registered for provider type " + p.type()));
        return factory.create(p, http(vertx, p), new ApiKeys(p.name(), p.apiKeys()));
    }

    private UpstreamHttp http(Vertx vertx, Provider p) {
        boolean tls = "https".equals(p.baseUrl().orElseThrow().getScheme());
        HttpClientOptions options = new HttpClientOptions()
                .setMaxPoolSize(p.maxConnections())
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setSsl(tls)
                .setUseAlpn(tls)
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setDecompressionSupported(true)
                .setPoolCleanerPeriod(5_000)
                .setKeepAliveTimeout(60);
        HttpClient client = vertx.createHttpClient(options);
        clients.add(client);
        return new UpstreamHttp(vertx, client);
    }

    public ModelBackend forProvider(String provider) {
        ModelBackend b = byProvider.get(provider);
        if (b == null) throw new IllegalStateException("no backend for provider " + provider);
        return b;
    }

    @Override
    public void close() { clients.forEach(HttpClient::close); }
}
