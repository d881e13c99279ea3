package dev.llmgateway.routing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CatalogValidationTest {

    private static void rejects(Route route, String message) {
        assertThatThrownBy(() -> Fixtures.catalog(route))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void unknownFallbackIsRejectedWithItsPath() {
        rejects(Route.of("chat", new Policy.Fixed("gpt-4o")).withFallbacks(List.of("llama-70b", "x")),
                "routes.chat.fallbacks[1]: unknown deployment 'x'");
    }

    @Test
    void unknownDeploymentsInEachPolicyAreRejectedWithTheirPaths() {
        rejects(Route.of("a", new Policy.Fixed("nope")), "routes.a.policy.deployment: unknown deployment 'nope'");
        rejects(Route.of("b", new Policy.Weighted(Map.of("gpt-4o", 90, "mystery", 10))),
                "routes.b.policy.weights.mystery: unknown deployment 'mystery'");
        rejects(Route.of("c", new Policy.CostQuality(List.of("gpt-4o", "qwen-32b", "gpt-5"), 0.8,
                OptionalLong.empty(), 0)), "routes.c.policy.candidates[2]: unknown deployment 'gpt-5'");
        rejects(Route.of("d", new Policy.Complexity("o3", "llama-8b", 0.5, OptionalDouble.empty())),
                "routes.d.policy.strong: unknown deployment 'o3'");
        rejects(Route.of("e", new Policy.Migration("gpt-4o", "llama-405b", List.of(5, 100), Fixtures.RULE)),
                "routes.e.policy.to: unknown deployment 'llama-405b'");
    }

    @Test
    void unknownShadowDowngradeAndBaselineAreRejectedWithTheirPaths() {
        Route base = Route.of("chat", new Policy.Fixed("gpt-4o"));
        rejects(base.withShadow(new ShadowSpec("ghost", 0.1)), "routes.chat.shadow.deployment: unknown deployment 'ghost'");
        rejects(base.withBudgetDowngrade(new BudgetDowngrade(0.8, "cheap")),
                "routes.chat.budget_downgrade.deployment: unknown deployment 'cheap'");
        rejects(base.withBaseline("gpt-3"), "routes.chat.baseline: unknown deployment 'gpt-3'");
    }

    @Test
    void invalidNumbersAreRejectedWithTheirPaths() {
        rejects(Route.of("m", new Policy.Migration("gpt-4o", "llama-70b", List.of(5, 50, 25), Fixtures.RULE)),
                "routes.m.policy.stages[2]: must be in 1..100 and above the previous stage");
        rejects(Route.of("w", new Policy.Weighted(Map.of("gpt-4o", 0))),
                "routes.w.policy.weights: need at least one positive weight");
        rejects(Route.of("s", new Policy.Fixed("gpt-4o")).withShadow(new ShadowSpec("llama-70b", 1.5)),
                "routes.s.shadow.sample: must be in [0,1]");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        rejects(Route.of("chat", new Policy.Fixed("a")).withFallbacks(List.of("b")).withBaseline("c"),
                "routes.chat.policy.deployment: unknown deployment 'a'; routes.chat.fallbacks[0]: unknown deployment 'b'; "
                        + "routes.chat.baseline: unknown deployment 'c'");
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThatThrownBy(() -> new Catalog(List.of(Fixtures.GPT_4O, Fixtures.GPT_4O), List.of()))
                .hasMessage("deployments.gpt-4o: duplicate deployment name");
        Route r = Route.of("chat", new Policy.Fixed("gpt-4o"));
        assertThatThrownBy(() -> Fixtures.catalog(r, r)).hasMessage("routes.chat: duplicate route name");
        Deployment bad = new Deployment("bad", "p", "m", DeploymentClass.OPEN, new TokenPrices(0, 0, 0), 0,
                Fixtures.ALL, Map.of("code", 1.5), Optional.empty());
        assertThatThrownBy(() -> new Catalog(List.of(bad), List.of()))
                .hasMessage("deployments.bad.context_window: must be > 0; deployments.bad.quality.code: must be in [0,1]");
    }

    @Test
    void aValidCatalogIsAccepted() {
        assertThatCode(() -> Fixtures.catalog(
                Route.of("chat", new Policy.Weighted(Map.of("gpt-4o", 90, "llama-70b", 10)))
                        .withFallbacks(List.of("claude-sonnet"))
                        .withShadow(new ShadowSpec("qwen-32b", 0.1))
                        .withBudgetDowngrade(new BudgetDowngrade(0.8, "llama-8b"))
                        .withBaseline("gpt-4o"),
                Route.of("migrate", Fixtures.MIGRATION),
                Route.of("auto", Fixtures.COST_QUALITY),
                Route.of("smart", Fixtures.complexity(0.5, OptionalDouble.of(0.3)))))
                .doesNotThrowAnyException();
    }
}
