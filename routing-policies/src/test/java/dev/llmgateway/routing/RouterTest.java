package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.routed;
import static dev.llmgateway.routing.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final Route CHAT = Route.of("chat", new Policy.Fixed("gpt-4o"))
            .withFallbacks(List.of("claude-sonnet", "llama-8b", "llama-70b", "gpt-4o"))
            .withShadow(new ShadowSpec("qwen-32b", 0.1))
            .withBudgetDowngrade(new BudgetDowngrade(0.8, "llama-70b"))
            .withBaseline("gpt-4o");
    private static final Router ROUTER = Fixtures.router(CHAT);

    @Test
    void unknownRouteIsNoRoute() {
        assertThat(ROUTER.decide("nope", user("u"), HealthView.allHealthy(), MigrationStates.none()))
                .isEqualTo(new Decision.NoRoute.UnknownRoute("nope"));
    }

    @Test
    void fallbacksExcludeThePrimaryDropWhatCannotServeAndPutOpenCircuitsLast() {
        RequestFeatures big = RequestFeatures.of("u", 10_000, 1_000); // beyond llama-8b's 8k window
        Decision.Routed r = routed(ROUTER.decide("chat", big,
                HealthView.of(Map.of("claude-sonnet", DeploymentHealth.circuitOpened())), MigrationStates.none()));
        assertThat(r.primary().name()).isEqualTo("gpt-4o");
        assertThat(r.fallbacks()).extracting(Deployment::name).containsExactly("llama-70b", "claude-sonnet");
        assertThat(r.policy()).isEqualTo("fixed");
        assertThat(r.reason()).isEqualTo("fixed -> gpt-4o");
    }

    @Test
    void aPrimaryWithAnOpenCircuitIsReplacedByTheFirstHealthyFallback() {
        Decision.Routed r = routed(ROUTER.decide("chat", user("u"),
                HealthView.of(Map.of("gpt-4o", DeploymentHealth.circuitOpened())), MigrationStates.none()));
        assertThat(r.primary().name()).isEqualTo("claude-sonnet");
        assertThat(r.fallbacks()).extracting(Deployment::name).containsExactly("llama-8b", "llama-70b", "gpt-4o");
        assertThat(r.reason()).isEqualTo("fixed -> gpt-4o; gpt-4o circuit open -> claude-sonnet");
    }

    @Test
    void aPrimaryThatLacksACapabilityIsReplaced() {
        Router router = Fixtures.router(Route.of("r", new Policy.Fixed("llama-8b")).withFallbacks(List.of("llama-70b")));
        Decision.Routed r = routed(router.decide("r", user("u").withRequired(EnumSet.of(Capability.TOOLS)),
                HealthView.allHealthy(), MigrationStates.none()));
        assertThat(r.primary().name()).isEqualTo("llama-70b");
        assertThat(r.fallbacks()).isEmpty();
        assertThat(r.reason()).isEqualTo("fixed -> llama-8b; llama-8b lacks a required capability -> llama-70b");
    }

    @Test
    void whenEveryCircuitIsOpenThePolicyChoiceIsStillTried() {
        HealthView allOpen = d -> DeploymentHealth.circuitOpened();
        Decision.Routed r = routed(ROUTER.decide("chat", user("u"), allOpen, MigrationStates.none()));
        assertThat(r.primary().name()).isEqualTo("gpt-4o");
        assertThat(r.reason()).endsWith("; all circuits open, trying gpt-4o");
        assertThat(r.shadow()).isEmpty();
    }

    @Test
    void nothingThatCanServeIsNoRoute() {
        RequestFeatures huge = RequestFeatures.of("u", 500_000, 1_000);
        Decision d = ROUTER.decide("chat", huge, HealthView.allHealthy(), MigrationStates.none());
        assertThat(d).isInstanceOf(Decision.NoRoute.class);
        assertThat(d.reason()).endsWith("no deployment of route 'chat' can serve 501000 tokens");
    }

    @Test
    void budgetDowngradeAppliesFromItsThreshold() {
        Decision.Routed below = routed(ROUTER.decide("chat", user("u").withBudgetUsedFraction(0.79),
                HealthView.allHealthy(), MigrationStates.none()));
        assertThat(below.primary().name()).isEqualTo("gpt-4o");
        Decision.Routed at = routed(ROUTER.decide("chat", user("u").withBudgetUsedFraction(0.8),
                HealthView.allHealthy(), MigrationStates.none()));
        assertThat(at.primary().name()).isEqualTo("llama-70b");
        assertThat(at.policy()).isEqualTo("budget_downgrade");
        assertThat(at.reason()).isEqualTo("budget_downgrade: 80% of budget used >= 80% -> llama-70b");
        assertThat(at.fallbacks()).extracting(Deployment::name).containsExactly("claude-sonnet", "llama-8b", "gpt-4o");
    }

    @Test
    void shadowIsSampledPerRequestAtTheConfiguredShareAndDeterministically() {
        int requests = 50_000;
        int shadowed = 0;
        for (int i = 0; i < requests; i++) {
            RequestFeatures f = user("u" + (i % 100)).withRequestId("req-" + i);
            Decision.Routed r = routed(ROUTER.decide("chat", f, HealthView.allHealthy(), MigrationStates.none()));
            if (r.shadow().isPresent()) {
                shadowed++;
                assertThat(r.shadow().get().name()).isEqualTo("qwen-32b");
            }
            assertThat(routed(ROUTER.decide("chat", f, HealthView.allHealthy(), MigrationStates.none())).shadow())
                    .isEqualTo(r.shadow());
        }
        assertThat(shadowed / (double) requests).isCloseTo(0.1, within(0.006));
    }

    @Test
    void noShadowWhenTheShadowDeploymentIsDown() {
        HealthView down = HealthView.of(Map.of("qwen-32b", DeploymentHealth.circuitOpened()));
        for (int i = 0; i < 1000; i++) {
            assertThat(routed(ROUTER.decide("chat", user("u").withRequestId("r" + i), down, MigrationStates.none()))
                    .shadow()).isEmpty();
        }
    }

    @Test
    void baselineAndRoutesAreExposedForSavingsReports() {
        assertThat(ROUTER.baseline("chat")).contains(Fixtures.GPT_4O);
        assertThat(ROUTER.baseline("nope")).isEmpty();
        assertThat(ROUTER.routeNames()).containsExactly("chat");
        assertThat(ROUTER.deployment("qwen-32b")).contains(Fixtures.QWEN_32B);
    }
}
