package dev.llmgateway.routing;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/** A small realistic catalog shared by the tests. */
final class Fixtures {
    private Fixtures() {
    }

    static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    static final Deployment GPT_4O = new Deployment("gpt-4o", "openai", "gpt-4o-2024-08-06", DeploymentClass.CLOSED,
            new TokenPrices(2_500_000, 10_000_000, 1_250_000), 128_000, ALL,
            Map.of("general", 0.90, "code", 0.92, "math", 0.88), Optional.empty());
    static final Deployment CLAUDE = new Deployment("claude-sonnet", "anthropic", "claude-sonnet-4", DeploymentClass.CLOSED,
            new TokenPrices(3_000_000, 15_000_000, 300_000), 200_000, ALL,
            Map.of("general", 0.91, "code", 0.93), Optional.empty());
    static final Deployment LLAMA_70B = new Deployment("llama-70b", "vllm", "meta-llama/Llama-3.3-70B-Instruct",
            DeploymentClass.OPEN, new TokenPrices(600_000, 600_000, 600_000), 128_000,
            EnumSet.of(Capability.TOOLS, Capability.JSON_MODE, Capability.STREAMING),
            Map.of("general", 0.82, "code", 0.80, "math", 0.70), Optional.of("llama3.3"));
    static final Deployment LLAMA_8B = new Deployment("llama-8b", "local", "llama-3.1-8b-instruct.gguf",
            DeploymentClass.OPEN, new TokenPrices(100_000, 100_000, 100_000), 8_192, EnumSet.of(Capability.STREAMING),
            Map.of("general", 0.65, "code", 0.55), Optional.of("llama3.1"));
    static final Deployment QWEN_32B = new Deployment("qwen-32b", "vllm", "Qwen/Qwen2.5-32B-Instruct",
            DeploymentClass.OPEN, new TokenPrices(300_000, 300_000, 300_000), 32_768,
            EnumSet.of(Capability.TOOLS, Capability.JSON_MODE, Capability.STREAMING),
            Map.of("general", 0.80, "code", 0.84, "math", 0.82), Optional.of("apache-2.0"));

    static final List<Deployment> DEPLOYMENTS = List.of(GPT_4O, CLAUDE, LLAMA_70B, LLAMA_8B, QWEN_32B);

    static final PromotionRule RULE = new PromotionRule(0.05, 0.95, 200, 0.01, 1.5);

    static final Policy.Migration MIGRATION = new Policy.Migration("gpt-4o", "llama-70b", List.of(5, 25, 50, 100), RULE);

    static final Policy.CostQuality COST_QUALITY = new Policy.CostQuality(
            List.of("gpt-4o", "claude-sonnet", "llama-70b", "llama-8b", "qwen-32b"), 0.8, OptionalLong.empty(), 500);

    static Catalog catalog(Route... routes) {
        return new Catalog(DEPLOYMENTS, List.of(routes));
    }

    static Router router(Route... routes) {
        return Router.of(catalog(routes));
    }

    static Decision.Routed routed(Decision d) {
        return switch (d) {
            case Decision.Routed r -> r;
            case Decision.NoRoute n -> throw new AssertionError("expected a route, got: " + n.reason());
        };
    }

    static RequestFeatures user(String id) {
        return RequestFeatures.of(id, 500, 500);
    }

    static Policy.Complexity complexity(double threshold, OptionalDouble target) {
        return new Policy.Complexity("gpt-4o", "llama-8b", threshold, target);
    }
}
