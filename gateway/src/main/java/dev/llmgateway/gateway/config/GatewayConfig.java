package dev.llmgateway.gateway.config;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The parsed and validated gateway.yaml: providers, deployments and routes. */
public record GatewayConfig(String source, Map<String, Provider> providers, Map<String, Deployment> deployments,
                            Map<String, Route> routes) {

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
    public enum DeploymentClass { CLOSED, OPEN }

    /** USD per one million tokens, exact. */
    public record Prices(BigDecimal inputPerMillionUsd, BigDecimal outputPerMillionUsd, BigDecimal cachedInputPerMillionUsd) {
        public static final Prices FREE = new Prices(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);
    }

    /** Timeouts, retries and circuit breaker of one deployment. */
    public record Resilience(Duration connectTimeout, Duration firstByteTimeout, Duration totalTimeout, int maxAttempts,
                             Duration backoffInitial, Duration backoffMax, int circuitRequestVolume,
                             double circuitFailureRatio, Duration circuitDelay) {
        public static final Resilience DEFAULTS = new Resilience(Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofMinutes(10), 2, Duration.ofMillis(200), Duration.ofSeconds(5), 10, 0.5, Duration.ofSeconds(30));
    }

    /** How the embedded engine loads a model (only for deployments of an {@code embedded} provider). */
    public record EngineModel(Path path, int contextSize, int threads, int parallelSlots, int maxQueued, int gpuLayers,
                              Duration idleUnload, boolean preload, Optional<String> chatTemplate) {}

    /** A concrete model at a provider, with its prices and limits. */
    public record Deployment(String name, String provider, String model, DeploymentClass deploymentClass, Prices prices,
                             int contextWindow, Optional<String> license, Set<String> capabilities,
                             Map<String, Double> quality, Resilience resilience, Optional<EngineModel> engine) {}

    /** A public model name clients send, mapped to a policy and fallbacks. */
    public record Route(String name, Policy policy, List<String> fallbacks) {}

    /** How a route picks its deployment. */
    public sealed interface Policy permits Fixed {}

    /** Always the same deployment. */
    public record Fixed(String deployment) implements Policy {}
}
