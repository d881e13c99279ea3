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
    public enum ProviderType { OPENAI, OPENAI_COMPATIBLE, ANTHROPIC, AZURE_OPENAI, GEMINI, EMBEDDED }

    /**
     * A provider: where and how to reach it. {@code apiKeys} are secrets (the first is also {@code apiKey}): never log or
     * return them. {@code apiVersion} is Azure OpenAI's {@code api-version} query parameter (empty for other types).
     * {@code maxConnections} and {@code maxWaiting} bound the provider's connection pool and the requests queued for it;
     * {@code http2} offers HTTP/2 by ALPN on TLS connections.
     */
    public record Provider(String name, ProviderType type, Optional<URI> baseUrl, Optional<String> apiKey,
                           Map<String, String> headers, int maxConnections, int maxWaiting, boolean http2, String anthropicVersion,
                           List<String> apiKeys, String apiVersion) {
        /** Sized for LLM latencies: at 5 s per call, 4,096 connections carry ~800 req/s to one provider. */
        public static final int DEFAULT_MAX_CONNECTIONS = 4096;
        public static final int DEFAULT_MAX_WAITING = 10_000;

        public Provider {
            apiKeys = List.copyOf(apiKeys);
            if (!apiKey.equals(apiKeys.stream().findFirst())) throw new IllegalArgumentException("apiKey must be the first of apiKeys");
        }

        /** One key or none, with pool limits. */
        public Provider(String name, ProviderType type, Optional<URI> baseUrl, Optional<String> apiKey,
                        Map<String, String> headers, int maxConnections, int maxWaiting, boolean http2, String anthropicVersion) {
            this(name, type, baseUrl, apiKey, headers, maxConnections, maxWaiting, http2, anthropicVersion,
                    apiKey.map(List::of).orElse(List.of()), "");
        }

        /** Several keys, default queue, no HTTP/2. */
        public Provider(String name, ProviderType type, Optional<URI> baseUrl, Optional<String> apiKey,
                        Map<String, String> headers, int maxConnections, String anthropicVersion, List<String> apiKeys, String apiVersion) {
            this(name, type, baseUrl, apiKey, headers, maxConnections, DEFAULT_MAX_WAITING, false, anthropicVersion, apiKeys, apiVersion);
        }

        /** The historical shape: one key or none. */
        public Provider(String name, ProviderType type, Optional<URI> baseUrl, Optional<String> apiKey,
                        Map<String, String> headers, int maxConnections, String anthropicVersion) {
            this(name, type, baseUrl, apiKey, headers, maxConnections, anthropicVersion, apiKey.map(List::of).orElse(List.of()), "");
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
            return new dev.llmgateway.routing.TokenPrices(toMicros(inputPerMillionUsd), toMicros(outputPerMillionUsd),
                    toMicros(cachedInputPerMillionUsd));
        }

        public dev.llmgateway.metering.TokenPrices forMetering() {
            return new dev.llmgateway.metering.TokenPrices(toMicros(inputPerMillionUsd), toMicros(outputPerMillionUsd),
                    toMicros(cachedInputPerMillionUsd));
        }

        static long toMicros(BigDecimal usd) { return usd.movePointRight(6).longValueExact(); }
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

    /** A concrete model at a provider, with its prices and limits. */
    public record Deployment(String name, String provider, String model, DeploymentClass deploymentClass, Prices prices,
                             Optional<Prices> listPrices, java.util.OptionalInt markupBp, int contextWindow, Optional<String> license, Set<String> capabilities,
                             Map<String, Double> quality, Resilience resilience, Optional<EngineModel> engine, int maxImageTokens) {

        /**
         * What one image part may cost in prompt tokens at this provider, by its documentation: OpenAI's high-detail
         * worst case for the GPT-4o / GPT-4.1 family (an image scaled to 768 x 2048: 85 + 8 tiles x 170 = 1445 tokens);
         * Anthropic's (images are scaled to at most about 1.15 megapixels: about 1600 tokens); the embedded engine reads
         * text only. Models that count images differently (gpt-4o-mini: up to 48169) set {@code max_image_tokens}.
         */
        public static int defaultMaxImageTokens(ProviderType type) {
            return switch (type) {
                case OPENAI, OPENAI_COMPATIBLE, AZURE_OPENAI -> 1445;
                case ANTHROPIC -> 1600;
                // Gemini bills 258 tokens per 768 x 768 tile; six tiles cover a 1536 x 2304 image. Larger: set max_image_tokens.
                case GEMINI -> 1548;
                case EMBEDDED -> 0;
            };
        }

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
