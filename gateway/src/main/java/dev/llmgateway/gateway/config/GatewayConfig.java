package dev.llmgateway.gateway.config;

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
                            List<dev.llmgateway.metering.DatasetDefinition> datasets, Map<String, Judge> judges) {

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

    /** Who answers: a hosted API, a self-hosted OpenAI-compatible server, or the embedded engine. */
    public enum ProviderType { OPENAI, OPENAI_COMPATIBLE, ANTHROPIC, EMBEDDED }

    /** A provider: where and how to reach it. {@code apiKey} is a secret: never log or return it. */
    public record Provider(String name, ProviderType type, Optional<URI> baseUrl, Optional<String> apiKey,
                           Map<String, String> headers, int maxConnections, String anthropicVersion) {
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
            return new dev.llmgateway.routing.TokenPrices(toMicros(inputPerMillionUsd), toMicros(outputPerMillionUsd),
                    toMicros(cachedInputPerMillionUsd));
        }

        public dev.llmgateway.metering.TokenPrices forMetering() {
            return new dev.llmgateway.metering.TokenPrices(toMicros(inputPerMillionUsd), toMicros(outputPerMillionUsd),
                    toMicros(cachedInputPerMillionUsd));
        }

        static long toMicros(BigDecimal usd) { return usd.movePointRight(6).longValueExact(); }
    }

    /** Timeouts, retries and circuit breaker of one deployment. */
    public record Resilience(Duration connectTimeout, Duration firstByteTimeout, Duration totalTimeout, int maxAttempts,
                             Duration backoffInitial, Duration backoffMax, int circuitRequestVolume,
                             double circuitFailureRatio, Duration circuitDelay, Duration idleTimeout) {
        public static final Resilience DEFAULTS = new Resilience(Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofMinutes(10), 2, Duration.ofMillis(200), Duration.ofSeconds(5), 10, 0.5, Duration.ofSeconds(30),
                Duration.ofSeconds(60));
    }

    /**
     * How the embedded engine loads a model (only for deployments of an {@code embedded} provider). The GGUF comes from
     * exactly one place: a local {@code path}, or a file in a Hugging Face repository pinned by its sha256, which the
     * gateway downloads once into {@code <GATEWAY_DATA_DIR>/models} at start (then {@code path} is null).
     */
    public record EngineModel(Path path, Optional<HuggingFace> huggingface, int contextSize, int threads, int parallelSlots,
                              int maxQueued, int gpuLayers, Duration idleUnload, boolean preload, Optional<String> chatTemplate) {
        public EngineModel {
            if ((path == null) == huggingface.isEmpty()) throw new IllegalArgumentException("exactly one of path and huggingface");
        }

        /** A single-file GGUF in a Hugging Face model repository; {@code sha256} is lower-case hex. */
        public record HuggingFace(String repo, String file, String revision, String sha256) {}
    }

    /** A concrete model at a provider, with its prices and limits. */
    public record Deployment(String name, String provider, String model, DeploymentClass deploymentClass, Prices prices,
                             Optional<Prices> listPrices, java.util.OptionalInt markupBp, int contextWindow, Optional<String> license, Set<String> capabilities,
                             Map<String, Double> quality, Resilience resilience, Optional<EngineModel> engine) {

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
