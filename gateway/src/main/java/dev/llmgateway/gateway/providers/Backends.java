package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The backend of every provider, built once from configuration. Each HTTP provider gets its own pooled keep-alive
 * client, sized by {@code max_connections} and {@code max_waiting}. The adapters of the HTTP provider types are
 * registered in {@link ProviderFactories}.
 */
public final class Backends implements AutoCloseable {
    private final Map<String, ModelBackend> byProvider = new HashMap<>();
    private final Map<String, UpstreamHttp> pools = new HashMap<>();

    public Backends(Vertx vertx, GatewayConfig config, Function<Provider, ModelBackend> embedded) {
        for (Provider p : config.providers().values()) byProvider.put(p.name(), create(vertx, config, p, embedded));
    }

    private ModelBackend create(Vertx vertx, GatewayConfig config, Provider p, Function<Provider, ModelBackend> embedded) {
        ProviderFactory factory = ProviderFactories.of(p);
        if (factory.embeddedEngine()) return embedded.apply(p);
        return factory.create(p, http(vertx, config, p), new ApiKeys(p.name(), p.apiKeys()));
    }

    private UpstreamHttp http(Vertx vertx, GatewayConfig config, Provider p) {
        // The pool belongs to the provider, the connect timeout to its deployments: the longest one bounds the TCP
        // connect and the TLS handshake of every new connection.
        Duration connect = config.deployments().values().stream().filter(d -> d.provider().equals(p.name()))
                .map(d -> d.resilience().connectTimeout()).max(Duration::compareTo)
                .orElse(GatewayConfig.Resilience.DEFAULTS.connectTimeout());
        UpstreamHttp http = new UpstreamHttp(vertx, clientOptions(p, connect),
                new UpstreamHttp.PoolLimits(p.name(), p.maxConnections(), p.maxWaiting()));
        pools.put(p.name(), http);
        return http;
    }

    /**
     * The client options of one provider. HTTP/1.1 carries one call per connection, so the pool holds up to
     * {@code max_connections}; with {@code http2} the client offers h2 by ALPN and falls back to HTTP/1.1 when the
     * provider does not take it, and an h2 connection carries as many calls as the provider's stream limit allows.
     */
    static HttpClientOptions clientOptions(Provider p, Duration connectTimeout) {
        boolean tls = "https".equals(p.baseUrl().orElseThrow().getScheme());
        boolean h2 = tls && p.http2();
        HttpClientOptions options = new HttpClientOptions()
                .setMaxPoolSize(p.maxConnections())
                .setMaxWaitQueueSize(p.maxWaiting())
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .setSslHandshakeTimeout(connectTimeout.toMillis())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setSsl(tls)
                .setUseAlpn(tls)
                .setProtocolVersion(h2 ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1)
                .setDecompressionSupported(true)
                .setPoolCleanerPeriod(5_000)
                .setKeepAliveTimeout(60);
        if (h2) {
            // Vert.x sizes a pool of h2-configured connections by http2MaxPoolSize even when ALPN falls back to
            // HTTP/1.1, so both limits are max_connections; h2 itself opens a new connection only when the streams of
            // the existing ones are used up.
            options.setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                    .setHttp2MaxPoolSize(p.maxConnections())
                    .setHttp2KeepAliveTimeout(60);
        }
        return options;
    }

    /** The connection pool of each HTTP provider (embedded providers have none), for metrics. */
    public Map<String, UpstreamHttp> pools() { return Map.copyOf(pools); }

    public ModelBackend forProvider(String provider) {
        ModelBackend b = byProvider.get(provider);
        if (b == null) throw new IllegalStateException("no backend for provider " + provider);
        return b;
    }

    @Override
    public void close() { pools.values().forEach(UpstreamHttp::close); }
}
