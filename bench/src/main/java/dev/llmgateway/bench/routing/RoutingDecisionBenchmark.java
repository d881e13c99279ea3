package dev.llmgateway.bench.routing;

import dev.llmgateway.routing.BudgetDowngrade;
import dev.llmgateway.routing.Capability;
import dev.llmgateway.routing.Catalog;
import dev.llmgateway.routing.Decision;
import dev.llmgateway.routing.Deployment;
import dev.llmgateway.routing.DeploymentClass;
import dev.llmgateway.routing.DeploymentHealth;
import dev.llmgateway.routing.HealthView;
import dev.llmgateway.routing.MigrationMachine;
import dev.llmgateway.routing.MigrationState;
import dev.llmgateway.routing.MigrationStates;
import dev.llmgateway.routing.Policy;
import dev.llmgateway.routing.PromotionRule;
import dev.llmgateway.routing.PromptFeatures;
import dev.llmgateway.routing.RequestFeatures;
import dev.llmgateway.routing.Route;
import dev.llmgateway.routing.Router;
import dev.llmgateway.routing.ShadowSpec;
import dev.llmgateway.routing.TokenPrices;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One routing decision per policy, on a realistic catalog (5 deployments, fallbacks, shadow, health view).
 * Requests rotate over 1,024 users so hashing sees varying keys. {@code complexityWithExtraction} includes
 * feature extraction of a ~1 KB prompt. Run: {@code bench/run-jmh RoutingDecisionBenchmark -f 1 -wi 3 -i 5}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RoutingDecisionBenchmark {

    private static final int USERS = 1024;

    /** About 1 KB: a system prompt, a code question with a fence and a follow-up asking for reasoning. */
    static final List<String> PROMPT_1KB = List.of(
            "You are a careful senior engineer on the data platform team. Answer concisely, cite the relevant "
                    + "lines, and say when unsure. Prefer the standard library, keep public signatures stable, "
                    + "and flag anything that changes memory use or output precision for large inputs.",
            "Here is my function:\n```python\ndef moving_average(xs, k):\n    out = []\n    for i in range(len(xs)):\n"
                    + "        window = xs[max(0, i - k + 1):i + 1]\n        out.append(sum(window) / len(window))\n"
                    + "    return out\n```\nIt is slow on 10^6 elements. What is its complexity?",
            "The first k-1 outputs average fewer than k items; is that what a trailing moving average should do? "
                    + "Explain why step by step, derive the complexity of a version with a running sum, "
                    + "compare the numerical stability of both (floating point error grows like n * eps), "
                    + "and propose a vectorized variant with numpy. Keep the answer under 300 words, include a "
                    + "short test with 5 + 3 = 8 style sanity checks, and mention any edge cases for k <= 0. "
                    + "Finally, list what you would benchmark before and after the change.");

    private Router router;
    private HealthView health;
    private MigrationStates migrations;
    private RequestFeatures[] plain;
    private RequestFeatures[] withPrompt;
    private RequestFeatures[] overBudget;
    private int next;

    @Setup
    public void setUp() {
        var all = EnumSet.allOf(Capability.class);
        var openCaps = EnumSet.of(Capability.TOOLS, Capability.JSON_MODE, Capability.STREAMING);
        List<Deployment> deployments = List.of(
                new Deployment("gpt-4o", "openai", "gpt-4o", DeploymentClass.CLOSED,
                        new TokenPrices(2_500_000, 10_000_000, 1_250_000), 128_000, all,
                        Map.of("general", 0.90, "code", 0.92), Optional.empty()),
                new Deployment("claude-sonnet", "anthropic", "claude-sonnet-4", DeploymentClass.CLOSED,
                        new TokenPrices(3_000_000, 15_000_000, 300_000), 200_000, all,
                        Map.of("general", 0.91, "code", 0.93), Optional.empty()),
                new Deployment("llama-70b", "vllm", "Llama-3.3-70B-Instruct", DeploymentClass.OPEN,
                        new TokenPrices(600_000, 600_000, 600_000), 128_000, openCaps,
                        Map.of("general", 0.82, "code", 0.80), Optional.of("llama3.3")),
                new Deployment("llama-8b", "local", "llama-3.1-8b.gguf", DeploymentClass.OPEN,
                        new TokenPrices(100_000, 100_000, 100_000), 8_192, EnumSet.of(Capability.STREAMING),
                        Map.of("general", 0.65), Optional.of("llama3.1")),
                new Deployment("qwen-32b", "vllm", "Qwen2.5-32B-Instruct", DeploymentClass.OPEN,
                        new TokenPrices(300_000, 300_000, 300_000), 32_768, openCaps,
                        Map.of("general", 0.80, "code", 0.84), Optional.of("apache-2.0")));
        List<String> fallbacks = List.of("claude-sonnet", "llama-70b");
        Policy.Migration migration = new Policy.Migration("gpt-4o", "llama-70b", List.of(5, 25, 50, 100),
                new PromotionRule(0.05, 0.95, 200, 0.01, 1.5));
        List<Route> routes = List.of(
                Route.of("fixed", new Policy.Fixed("gpt-4o")).withFallbacks(fallbacks),
                Route.of("weighted", new Policy.Weighted(Map.of("gpt-4o", 90, "llama-70b", 10)))
                        .withFallbacks(fallbacks).withShadow(new ShadowSpec("qwen-32b", 0.1)),
                Route.of("cost", new Policy.CostQuality(List.of("gpt-4o", "claude-sonnet", "llama-70b", "llama-8b",
                        "qwen-32b"), 0.8, OptionalLong.empty(), 500)).withFallbacks(fallbacks),
                Route.of("complexity", new Policy.Complexity("gpt-4o", "llama-8b", 0.5, OptionalDouble.of(0.3)))
                        .withFallbacks(fallbacks),
                Route.of("migration", migration).withFallbacks(List.of("claude-sonnet"))
                        .withShadow(new ShadowSpec("llama-70b", 0.1)),
                Route.of("budget", new Policy.Fixed("gpt-4o")).withFallbacks(fallbacks)
                        .withBudgetDowngrade(new BudgetDowngrade(0.8, "llama-8b")));
        router = Router.of(new Catalog(deployments, routes));
        health = HealthView.of(Map.of("claude-sonnet", new DeploymentHealth(false, 0.01, 900)));
        Instant t0 = Instant.parse("2026-01-05T09:00:00Z");
        MigrationState state = MigrationMachine.promote(migration, MigrationMachine.start("migration", t0), "ok", t0);
        migrations = MigrationStates.of(Map.of("migration", state));

        PromptFeatures prompt = PromptFeatures.extract(PROMPT_1KB);
        plain = new RequestFeatures[USERS];
        withPrompt = new RequestFeatures[USERS];
        overBudget = new RequestFeatures[USERS];
        for (int i = 0; i < USERS; i++) {
            RequestFeatures f = RequestFeatures.of("user-" + i + "@example.com", 300, 500)
                    .withTaskCategory("code").withRequestId("req-" + i);
            plain[i] = f;
            withPrompt[i] = f.withPrompt(prompt);
            overBudget[i] = f.withBudgetUsedFraction(0.85);
        }
        // Warm the complexity calibrator so the calibrated path is measured.
        for (int i = 0; i < 2_000; i++) {
            router.decide("complexity", withPrompt[i % USERS], health, migrations);
        }
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (USERS - 1);
        return i;
    }

    @Benchmark
    public Decision fixed() {
        return router.decide("fixed", plain[nextIndex()], health, migrations);
    }

    @Benchmark
    public Decision weighted() {
        return router.decide("weighted", plain[nextIndex()], health, migrations);
    }

    @Benchmark
    public Decision costQuality() {
        return router.decide("cost", plain[nextIndex()], health, migrations);
    }

    @Benchmark
    public Decision complexityWithExtraction() {
        RequestFeatures f = plain[nextIndex()];
        return router.decide("complexity", f.withPrompt(PromptFeatures.extract(PROMPT_1KB)), health, migrations);
    }

    @Benchmark
    public Decision complexityPrecomputedFeatures() {
        return router.decide("complexity", withPrompt[nextIndex()], health, migrations);
    }

    @Benchmark
    public Decision migration() {
        return router.decide("migration", plain[nextIndex()], health, migrations);
    }

    @Benchmark
    public Decision budgetDowngrade() {
        return router.decide("budget", overBudget[nextIndex()], health, migrations);
    }

    @Benchmark
    public PromptFeatures featureExtraction1kb() {
        return PromptFeatures.extract(PROMPT_1KB);
    }
}
