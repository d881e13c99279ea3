package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.config.ConfigException;
import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.routing.Router;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The current {@link RuntimeSnapshot}, in one atomic reference, and hot reload: a reload reads gateway.yaml, builds the
 * whole next snapshot, applies the configuration to the process-lifetime parts (prices, datasets, migrations,
 * calibration), then swaps the snapshot in one step. Requests already running finish on the snapshot they took.
 */
public final class RuntimeSnapshots {
    private static final Logger LOG = Logger.getLogger(RuntimeSnapshots.class);
    /** Requests still running on a replaced snapshot may use its connection pools this long. */
    private static final Duration OLD_POOLS_GRACE = Duration.ofMinutes(15);

    /** Applies a new configuration to what lives across reloads, before its snapshot is published. */
    interface Reconfigure {
        void apply(GatewayConfig next, Router nextRouter, Router previousRouter);
    }

    private final Path configFile;
    private final Vertx vertx;
    private final Function<GatewayConfig.Provider, ModelBackend> embedded;
    private final AtomicReference<RuntimeSnapshot> current = new AtomicReference<>();
    private PipelineAssembly assembly;
    private Reconfigure reconfigure;
    private java.util.function.Consumer<RuntimeSnapshot> published;

    RuntimeSnapshots(Path configFile, Vertx vertx, Function<GatewayConfig.Provider, ModelBackend> embedded) {
        this.configFile = configFile;
        this.vertx = vertx;
        this.embedded = embedded;
    }

    /** Reads gateway.yaml (not yet applied). */
    GatewayConfig load() { return ConfigLoader.load(configFile, System::getenv); }

    /** Builds and publishes the first snapshot. */
    synchronized RuntimeSnapshot start(GatewayConfig config, PipelineAssembly assembly, Reconfigure reconfigure,
                                       java.util.function.Consumer<RuntimeSnapshot> published) {
        this.assembly = assembly;
        this.reconfigure = reconfigure;
        this.published = published;
        RuntimeSnapshot first = build(1, config, null);
        current.set(first);
        published.accept(first);
        return first;
    }

    /** The snapshot a request starts on: take it once and use only it. */
    public RuntimeSnapshot current() { return current.get(); }

    private RuntimeSnapshot build(long generation, GatewayConfig config, CircuitBreakers previousBreakers) {
        Backends backends = new Backends(vertx, config, embedded);
        // Breakers of deployments that still exist with the same settings keep their state (an open circuit stays open).
        CircuitBreakers breakers = previousBreakers == null ? new CircuitBreakers(config.deployments().values())
                : new CircuitBreakers(config.deployments().values(), previousBreakers);
        Router router = Router.of(config.catalog());
        return new RuntimeSnapshot(generation, config, router, backends, breakers, assembly.build(config, router, backends, breakers));
    }

    /** What a reload changed. */
    public record ReloadReport(String source, int providers, int deployments, Set<String> routes) {}

    /**
     * Re-reads gateway.yaml and swaps providers, deployments, routes, prices and datasets without a restart. Changing
     * embedded models needs a restart.
     */
    public synchronized ReloadReport reload() {
        GatewayConfig next = load();
        RuntimeSnapshot now = current.get();
        if (!engines(now.config()).equals(engines(next))) {
            throw new ConfigException(next.source()
                    + ": embedded models changed (deployments with an engine block); restart the gateway to load them");
        }
        RuntimeSnapshot built = build(now.generation() + 1, next, now.breakers());
        reconfigure.apply(next, built.router(), now.router());
        current.set(built);
        published.accept(built);
        // Give requests still running on the old snapshot time to finish before closing its connection pools.
        vertx.setTimer(OLD_POOLS_GRACE.toMillis(), id -> now.backends().close());
        LOG.infof("Reloaded %s (generation %d): routes %s", next.source(), built.generation(), next.routes().keySet());
        return new ReloadReport(next.source(), next.providers().size(), next.deployments().size(), next.routes().keySet());
    }

    private static Map<String, Object> engines(GatewayConfig config) {
        return config.deployments().values().stream().filter(d -> d.engine().isPresent())
                .collect(Collectors.toMap(GatewayConfig.Deployment::name, d -> d.engine().get()));
    }

    /** Validates gateway.yaml text without applying it; relative paths resolve against the configured file's folder. */
    public GatewayConfig validate(String yaml) {
        return ConfigLoader.parse("submitted gateway.yaml", yaml, System::getenv, configFile.toAbsolutePath().getParent());
    }

    /** Closes the current snapshot's connection pools (at shutdown). */
    void close() {
        RuntimeSnapshot s = current.get();
        if (s != null) s.backends().close();
    }
}
