package dev.llmgateway.gateway.config;

import dev.llmgateway.metering.Money;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parsed and validated gateway.yaml: providers, deployments and routes. Routes are already the routing library's
 * records; {@link #catalog()} gives the library its view of the deployments.
 */
public record GatewayConfig(String source, Map<String, Provider> providers, Map<String, Deployment> deployments,
                            Map<String, dev.llmgateway.routing.Route> routes, Map<DeploymentClass, Integer> classMarkupBp,
                            List<dev.llmgateway.metering.DatasetDefinition> datasets, Map<String, Judge> judges,
                            Map<String, dev.llmgateway.metering.RateLimits> routeLimits, Map<String, RouteCache> caches) {

    /** Without per-route rate limits and response caches. */
    public GatewayConfig(String source, Map<String, Provider> providers, Map<String, Deployment> deployments,
                         Map<String, dev.llmgateway.routing.Route> routes, Map<DeploymentClass, Integer> classMarkupBp,
                         List<dev.llmgateway.metering.DatasetDefinition> datasets, Map<String, Judge> judges) {
        this(source, providers, deployments, routes, classMarkupBp, datasets, judges, Map.of(), Map.of());
    }

    /**
     * A route's response cache ({@code cache:} in gateway.yaml, see docs/cache.md): answers kept for {@code ttl}, keyed by
     * team and normalized request; {@code chargeTeam}: a hit is charged to the team at the deployment's price (else free);
     * {@code deterministicOnly}: only requests with temperature 0 or a seed are cached; {@code store}: in this process
     * only, or also in PostgreSQL so that replicas share hits.
     */
    public record RouteCache(Duration ttl, boolean chargeTeam, boolean deterministicOnly, CacheStore store) {}

    /** Where a route's cached answers live. */
    public enum CacheStore { MEMORY, POSTGRES }

    /** A route's shadow judge: the deployment that compares shadow and primary answers, with a daily spend cap. */
    public record Judge(String deployment, long dailyBudgetMicros) {}

    /** The metering library's view of the prices: provider prices, list prices and markups. */
    public dev.llmgateway.metering.PricingConfig pricing() {
        java.util.EnumMap<dev.llmgateway.metering.DeploymentClass, Integer> markups = new java.util.EnumMap<>(dev.llmgateway.metering.DeploymentClass.class);
        classMarkupBp.forEach((c, bp) -> markups.put(c.forMetering(), bp));
        return new dev.llmgateway.metering.PricingConfig(deployments.values().stream().map(d -> new dev.llmgateway.metering.DeploymentPricing(
                d.name(), d.deploymentClass().forMetering(), d.prices().forMetering(), d.listPrices().map(Prices::forMetering),
                d.markupBp())).toList(), markups);
    }

    /** The routing library's view of this configuration. */
    public dev.llmgateway.routing.Catalog catalog() {
        return new dev.llmgateway.routing.Catalog(
                deployments.values().stream().map(Deployment::forRouting).toList(), List.copyOf(routes.values()));
    }

    /**
     * The options of one provider type that the others do not have (Anthropic's {@code anthropic_version}, Azure's
     * {@code api_version}): each type's factory parses them and reads them back; {@link #NONE} for types without any.
     */
    public interface ProviderOptions {
        ProviderOptions NONE = new None();

        /** No options of its own. */
        record None() implements ProviderOptions {}
    }

    /**
     * A provider: where and how to reach it. {@code type} is its {@code type:} name in gateway.yaml ({@code openai},
     * {@code anthropic}, ...), the key of its factory in {@code ProviderFactories}; {@code options} are that type's own
     * settings. {@code apiKeys} are secrets (the first is also {@code apiKey}): never log or return them.
     * {@code maxConnections} and {@code maxWaiting} bound the provider's connection pool and the requests queued for it;
     * {@code http2} offers HTTP/2 by ALPN on TLS connections.
     */
    public record Provider(String name, String type, Optional<URI> baseUrl, Optional<String> apiKey,
                           Map<String, String> headers, int maxConnections, int maxWaiting, boolean http2,
                           List<String> apiKeys, ProviderOptions options) {
        /** Sized for LLM latencies: at 5 s per call, 4,096 connections carry ~800 req/s to one provider. */
        public static final int DEFAULT_MAX_CONNECTIONS = 4096;
        public static final int DEFAULT_MAX_WAITING = 10_000;

        public Provider {
            apiKeys = List.copyOf(apiKeys);
            if (!apiKey.equals(apiKeys.stream().findFirst())) throw new IllegalArgumentException("apiKey must be the first of apiKeys");
            java.util.Objects.requireNonNull(options, "options");
        }

        /** One key or none, with pool limits, no options of its own. */
        public Provider(String name, String type, Optional<URI> baseUrl, Optional<String> apiKey,
                        Map<String, String> headers, int maxConnections, int maxWaiting, boolean http2) {
            this(name, type, baseUrl, apiKey, headers, maxConnections, maxWaiting, http2, apiKey.map(List::of).orElse(List.of()),
                    ProviderOptions.NONE);
        }

        /** This provider's options as its type's record; fails if the provider is of another type. */
        public <T extends ProviderOptions> T options(Class<T> kind) {
            if (!kind.isInstance(options)) {
                throw new IllegalStateException("provider '" + name + "' of type " + type + " has no " + kind.getSimpleName());
            }
            return kind.cast(options);
        }

        @Override
        public String toString() {
            return "Provider[" + name + ", " + type + ", " + baseUrl.map(URI::toString).orElse("-") + "]";
        }
    }

    /** Closed (hosted, proprietary) or open-weight. */
    public enum DeploymentClass {
        CLOSED, OPEN;

        public dev.llmgateway.metering.DeploymentClass forMetering() {
            return this == OPEN ? dev.llmgateway.metering.DeploymentClass.OPEN : dev.llmgateway.metering.DeploymentClass.CLOSED;
        }
    }

    /** USD per one million tokens, exact. */
    public record Prices(BigDecimal inputPerMillionUsd, BigDecimal outputPerMillionUsd, BigDecimal cachedInputPerMillionUsd) {
        public static final Prices FREE = new Prices(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

        /** Micro-USD per one million tokens; the loader guarantees at most six decimal places. */
        public dev.llmgateway.routing.TokenPrices micros() {
            return new dev.llmgateway.routing.TokenPrices(Money.toMicros(inputPerMillionUsd),
                    Money.toMicros(outputPerMillionUsd), Money.toMicros(cachedInputPerMillionUsd));
        }

        public dev.llmgateway.metering.TokenPrices forMetering() {
            return new dev.llmgateway.metering.TokenPrices(Money.toMicros(inputPerMillionUsd),
                    Money.toMicros(outputPerMillionUsd), Money.toMicros(cachedInputPerMillionUsd));
        }

    }

    /**
     * Timeouts, retries and circuit breaker of one deployment. {@code poolWait} is how long a request may wait for a
     * free connection of the provider's pool: the gateway's own capacity, never counted against the deployment.
     */
    public record Resilience(Duration connectTimeout, Duration firstByteTimeout, Duration totalTimeout, int maxAttempts,
                             Duration backoffInitial, Duration backoffMax, int circuitRequestVolume,
                             double circuitFailureRatio, Duration circuitDelay, Duration idleTimeout, Duration poolWait) {
        public static final Resilience DEFAULTS = new Resilience(Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofMinutes(10), 2, Duration.ofMillis(200), Duration.ofSeconds(5), 10, 0.5, Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofSeconds(10));
    }

    /**
     * How the embedded engine loads a model (only for deployments of an {@code embedded} provider). The GGUF comes from
     * exactly one place: a local {@code path}, or a file in a Hugging Face repository pinned by its sha256, which the
     * gateway downloads once into {@code <GATEWAY_DATA_DIR>/models} at start (then {@code path} is null). With
     * {@code embedding} the model is loaded for /v1/embeddings only ({@code pooling}: cls or last; empty = the model's own).
     */
    public record EngineModel(Path path, Optional<HuggingFace> huggingface, int contextSize, int threads, int parallelSlots,
                              int maxQueued, int gpuLayers, Duration idleUnload, boolean preload, Optional<String> chatTemplate,
                              boolean embedding, Optional<String> pooling) {
        public EngineModel {
            if ((path == null) == huggingface.isEmpty()) throw new IllegalArgumentException("exactly one of path and huggingface");
        }

        /** A single-file GGUF in a Hugging Face model repository; {@code sha256} is lower-case hex. */
        public record HuggingFace(String repo, String file, String revision, String sha256) {}
    }

    /**
     * A concrete model at a provider, with its prices and limits. {@code maxImageTokens} (what one image part may cost
     * in prompt tokens) defaults to the provider type's own figure ({@code ProviderFactory.defaultMaxImageTokens}).
     */
    public record Deployment(String name, String provider, String model, DeploymentClass deploymentClass, Prices prices,
                             Optional<Prices> listPrices, java.util.OptionalInt markupBp, int contextWindow, Optional<String> license, Set<String> capabilities,
                             Map<String, Double> quality, Resilience resilience, Optional<EngineModel> engine, int maxImageTokens) {

        /** The routing library's record of this deployment; no declared capabilities means "not declared: assume all". */
        public dev.llmgateway.routing.Deployment forRouting() {
            var caps = java.util.EnumSet.noneOf(dev.llmgateway.routing.Capability.class);
            if (capabilities.isEmpty()) caps = java.util.EnumSet.allOf(dev.llmgateway.routing.Capability.class);
            for (String c : capabilities) {
                switch (c) {
                    case "tools" -> caps.add(dev.llmgateway.routing.Capability.TOOLS);
                    case "json_mode" -> caps.add(dev.llmgateway.routing.Capability.JSON_MODE);
                    case "vision" -> caps.add(dev.llmgateway.routing.Capability.VISION);
                    case "streaming" -> caps.add(dev.llmgateway.routing.Capability.STREAMING);
                    default -> { }
                }
            }
            return new dev.llmgateway.routing.Deployment(name, provider, model,
                    deploymentClass == DeploymentClass.OPEN ? dev.llmgateway.routing.DeploymentClass.OPEN
                            : dev.llmgateway.routing.DeploymentClass.CLOSED,
                    prices.micros(), contextWindow, caps, quality, license);
        }
    }
}
