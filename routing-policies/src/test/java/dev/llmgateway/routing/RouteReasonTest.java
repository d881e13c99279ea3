package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.routed;
import static dev.llmgateway.routing.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The short reason token of every policy (the x-gateway-route-reason header) and the causes of no route. */
class RouteReasonTest {

    private static final HealthView HEALTHY = HealthView.allHealthy();

    private static String code(Route route, RequestFeatures f) {
        return code(route, f, HEALTHY, MigrationStates.none());
    }

    private static String code(Route route, RequestFeatures f, HealthView health, MigrationStates states) {
        return routed(Fixtures.router(route).decide(route.name(), f, health, states)).reasonCode();
    }

    @Test
    void fixedSaysFixed() {
        assertThat(code(Route.of("r", new Policy.Fixed("gpt-4o")), user("u"))).isEqualTo("fixed");
    }

    @Test
    void weightedSaysSplit() {
        assertThat(code(Route.of("r", new Policy.Weighted(Map.of("gpt-4o", 50, "llama-70b", 50))), user("u")))
                .isEqualTo("weighted:split");
    }

    @Test
    void costQualitySaysCheapestMeetingQuality() {
        assertThat(code(Route.of("r", Fixtures.COST_QUALITY), user("u"))).isEqualTo("cost_quality:cheapest_meeting_quality");
    }

    @Test
    void costQualityWithNoEligibleCandidateFallsBack() {
        Route r = Route.of("r", new Policy.CostQuality(List.of("llama-8b"), 0.99, java.util.OptionalLong.empty(), 0))
                .withFallbacks(List.of("gpt-4o"));
        assertThat(code(r, user("u"))).isEqualTo("fallback:no_eligible_candidate");
    }

    @Test
    void complexitySaysWhichSide() {
        Route r = Route.of("r", Fixtures.complexity(0.5, OptionalDouble.empty()));
        PromptFeatures hard = PromptFeatures.extract(List.of("Prove that there are infinitely many primes. "
                + "Then derive the complexity of the sieve of Eratosthenes step by step, with a formal proof of each bound, "
                + "and write the algorithm in Rust with tests; explain the trade-offs and analyze the memory use."));
        String easy = code(r, user("u").withPrompt(PromptFeatures.extract(List.of("hi"))));
        assertThat(easy).isEqualTo("complexity:weak");
        Route low = Route.of("r", Fixtures.complexity(0.0, OptionalDouble.empty()));
        assertThat(code(low, user("u").withPrompt(hard))).isEqualTo("complexity:strong");
    }

    @Test
    void migrationSaysCanaryOrBaselineAndTheEndStates() {
        Route r = Route.of("r", Fixtures.MIGRATION);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(code(r, user("user-" + i), HEALTHY, states(r, 1, MigrationStatus.ACTIVE)));
        }
        assertThat(seen).containsExactlyInAnyOrder("migration:canary", "migration:baseline");
        assertThat(code(r, user("u"), HEALTHY, states(r, 3, MigrationStatus.COMPLETED))).isEqualTo("migration:completed");
        assertThat(code(r, user("u"), HEALTHY, states(r, 1, MigrationStatus.ROLLED_BACK))).isEqualTo("migration:rolled_back");
    }

    private static MigrationStates states(Route r, int stage, MigrationStatus status) {
        return MigrationStates.of(Map.of(r.name(), new MigrationState(r.name(), stage, status, Instant.EPOCH, List.of())));
    }

    @Test
    void budgetDowngradeNamesItsThreshold() {
        Route r = Route.of("r", new Policy.Fixed("gpt-4o")).withBudgetDowngrade(new BudgetDowngrade(0.8, "llama-70b"));
        assertThat(code(r, user("u").withBudgetUsedFraction(0.85))).isEqualTo("budget_downgrade:over_80pct");
        assertThat(code(r, user("u").withBudgetUsedFraction(0.5))).isEqualTo("fixed");
        Route odd = Route.of("r", new Policy.Fixed("gpt-4o")).withBudgetDowngrade(new BudgetDowngrade(0.855, "llama-70b"));
        assertThat(code(odd, user("u").withBudgetUsedFraction(0.9))).isEqualTo("budget_downgrade:over_85.5pct");
    }

    @Test
    void aReplacedPickSaysFallbackAndWhy() {
        Route r = Route.of("r", new Policy.Fixed("llama-8b")).withFallbacks(List.of("llama-70b", "gpt-4o"));
        assertThat(code(r, user("u"), HealthView.of(Map.of("llama-8b", DeploymentHealth.circuitOpened())),
                MigrationStates.none())).isEqualTo("fallback:circuit_open");
        assertThat(code(r, RequestFeatures.of("u", 10_000, 100))).isEqualTo("fallback:context_window");
        assertThat(code(r, user("u").withRequired(EnumSet.of(Capability.TOOLS)))).isEqualTo("fallback:capability");
        HealthView allOpenButPickCannotServe = d -> DeploymentHealth.circuitOpened();
        assertThat(code(r, RequestFeatures.of("u", 10_000, 100), allOpenButPickCannotServe, MigrationStates.none()))
                .isEqualTo("fallback:all_circuits_open");
        assertThat(code(r, user("u"), allOpenButPickCannotServe, MigrationStates.none()))
                .as("every circuit open: the pick itself is tried").isEqualTo("fixed");
    }

    @Test
    void aRequestBeyondEveryServingWindowExceedsTheContext() {
        // llama-8b (8k) answers; qwen-32b (32k) is a fallback; the shadow's and the baseline's windows do not count.
        Route r = Route.of("r", new Policy.Fixed("llama-8b")).withFallbacks(List.of("qwen-32b"))
                .withShadow(new ShadowSpec("claude-sonnet", 1.0)).withBaseline("gpt-4o");
        Decision d = Fixtures.router(r).decide("r", RequestFeatures.of("u", 40_000, 1_000), HEALTHY, MigrationStates.none());
        assertThat(d).isEqualTo(new Decision.NoRoute.ExceedsContext("r", 41_000, 32_768, d.reason()));
    }

    @Test
    void theBudgetDowngradeTargetCountsForTheLargestWindow() {
        Route r = Route.of("r", new Policy.Fixed("llama-8b")).withBudgetDowngrade(new BudgetDowngrade(0.8, "qwen-32b"));
        Decision d = Fixtures.router(r).decide("r", RequestFeatures.of("u", 10_000, 1_000), HEALTHY, MigrationStates.none());
        assertThat(d).as("fits qwen-32b, which this request may not use (budget not over 80%%)")
                .isInstanceOf(Decision.NoRoute.NoneCanServe.class);
    }

    @Test
    void aMissingCapabilityIsNoneCanServe() {
        Route r = Route.of("r", new Policy.Fixed("llama-8b"));
        Decision d = Fixtures.router(r).decide("r", user("u").withRequired(EnumSet.of(Capability.TOOLS)), HEALTHY,
                MigrationStates.none());
        assertThat(d).isInstanceOf(Decision.NoRoute.NoneCanServe.class);
        assertThat(d.reason()).contains("can serve 1000 tokens with [TOOLS]");
    }

    @Test
    void servingDeploymentsAreThePolicysTheDowngradesAndTheFallbacksOnce() {
        Route r = Route.of("r", new Policy.Weighted(Map.of("llama-70b", 1, "gpt-4o", 0)))
                .withFallbacks(List.of("gpt-4o", "claude-sonnet")).withShadow(new ShadowSpec("qwen-32b", 0.1))
                .withBudgetDowngrade(new BudgetDowngrade(0.8, "llama-8b")).withBaseline("gpt-4o");
        assertThat(r.servingDeployments()).containsExactly("gpt-4o", "llama-70b", "claude-sonnet", "llama-8b");
        assertThat(r.references()).extracting(Route.Reference::path).containsExactly("policy.weights.gpt-4o",
                "policy.weights.llama-70b", "fallbacks[0]", "fallbacks[1]", "shadow.deployment",
                "budget_downgrade.deployment", "baseline");
    }
}
