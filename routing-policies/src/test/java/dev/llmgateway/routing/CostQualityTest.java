package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.COST_QUALITY;
import static dev.llmgateway.routing.Fixtures.routed;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostQualityTest {

    private static final Router ROUTER = Fixtures.router(Route.of("auto", COST_QUALITY));

    @ParameterizedTest(name = "{0}: task={1} prompt={2} needs={3} open circuits={4} -> {5}")
    @CsvSource(delimiter = '|', textBlock = """
            cheapest open model meeting the floor wins        | general | 1000  | -      | -                | qwen-32b
            code scores are used for code requests            | code    | 1000  | -      | -                | qwen-32b
            a task without scores falls back to general       | legal   | 1000  | -      | -                | qwen-32b
            an open circuit drops the cheapest                | general | 1000  | -      | qwen-32b         | llama-70b
            a prompt beyond the context window drops it       | general | 40000 | -      | -                | llama-70b
            a missing capability drops every open model       | general | 1000  | VISION | -                | gpt-4o
            below the floor on the task is dropped            | math    | 1000  | -      | qwen-32b         | gpt-4o
            next cheapest capable closed model                | math    | 1000  | VISION | gpt-4o           | claude-sonnet
            nothing eligible and no fallback is no route      | general | 1000  | VISION | gpt-4o claude-sonnet | NONE
            """)
    void picksTheCheapestEligibleCandidate(String behaviour, String task, int promptTokens, String needs,
                                           String openCircuits, String expected) {
        Set<Capability> required = needs.equals("-") ? Set.of() : EnumSet.of(Capability.valueOf(needs));
        Map<String, DeploymentHealth> health = openCircuits.equals("-") ? Map.of()
                : Arrays.stream(openCircuits.split(" "))
                        .collect(Collectors.toMap(Function.identity(), n -> DeploymentHealth.circuitOpened()));
        RequestFeatures f = RequestFeatures.of("u1", promptTokens, 500).withTaskCategory(task).withRequired(required);
        Decision d = ROUTER.decide("auto", f, HealthView.of(health), MigrationStates.none());
        switch (d) {
            case Decision.Routed r -> {
                assertThat(r.primary().name()).as(behaviour).isEqualTo(expected);
                assertThat(r.policy()).isEqualTo("cost_quality");
            }
            case Decision.NoRoute n -> {
                assertThat(expected).as(behaviour + ": " + n.reason()).isEqualTo("NONE");
                assertThat(n.reason()).startsWith("cost_quality: none of 5 candidates can serve with quality >= 0.80");
            }
        }
    }

    @Test
    void reasonStatesExpectedCostExactlyAndTheFloor() {
        Decision.Routed r = routed(ROUTER.decide("auto", RequestFeatures.of("u1", 1000, 500),
                HealthView.allHealthy(), MigrationStates.none()));
        // qwen-32b: 1000 * 0.3 + 500 * 0.3 micro-USD = 450 micro-USD.
        assertThat(r.reason()).isEqualTo(
                "cost_quality: qwen-32b cheapest of 4/5 eligible (expected 450.00 micro-USD, quality 0.80 >= 0.80 for 'general')");
    }

    @Test
    void costLimitExcludesExpensiveCandidatesAndRouteFallbacksCatchTheRest() {
        Policy.CostQuality capped = new Policy.CostQuality(COST_QUALITY.candidates(), 0.8, OptionalLong.of(500), 500);
        Router router = Fixtures.router(Route.of("auto", capped).withFallbacks(List.of("llama-8b")));
        RequestFeatures f = RequestFeatures.of("u1", 1000, 500);
        assertThat(routed(router.decide("auto", f, HealthView.allHealthy(), MigrationStates.none())).primary().name())
                .isEqualTo("qwen-32b");
        Decision.Routed r = routed(router.decide("auto", f,
                HealthView.of(Map.of("qwen-32b", DeploymentHealth.circuitOpened())), MigrationStates.none()));
        assertThat(r.primary().name()).isEqualTo("llama-8b");
        assertThat(r.reason()).endsWith("within 500 micro-USD; fallback -> llama-8b");
    }

    @Test
    void tiesOnCostGoToHigherQualityThenToTheAlphabeticallyFirstName() {
        TokenPrices same = new TokenPrices(1_000_000, 1_000_000, 0);
        Deployment b = new Deployment("b-model", "p", "m", DeploymentClass.OPEN, same, 8192, Set.of(),
                Map.of("general", 0.9), Optional.empty());
        Deployment a = new Deployment("a-model", "p", "m", DeploymentClass.OPEN, same, 8192, Set.of(),
                Map.of("general", 0.9), Optional.empty());
        Deployment better = new Deployment("z-model", "p", "m", DeploymentClass.OPEN, same, 8192, Set.of(),
                Map.of("general", 0.95), Optional.empty());
        RequestFeatures f = RequestFeatures.of("u", 100, 100);
        Router two = Router.of(new Catalog(List.of(a, b), List.of(Route.of("r",
                new Policy.CostQuality(List.of("b-model", "a-model"), 0.5, OptionalLong.empty(), 0)))));
        assertThat(routed(two.decide("r", f, HealthView.allHealthy(), MigrationStates.none())).primary()).isEqualTo(a);
        Router three = Router.of(new Catalog(List.of(a, b, better), List.of(Route.of("r",
                new Policy.CostQuality(List.of("b-model", "a-model", "z-model"), 0.5, OptionalLong.empty(), 0)))));
        assertThat(routed(three.decide("r", f, HealthView.allHealthy(), MigrationStates.none())).primary())
                .isEqualTo(better);
    }

    @Test
    void expectedOutputNeverExceedsTheRequestsMaxTokens() {
        // With 10 output tokens the output price barely matters: llama-70b (0.6/0.6) vs qwen (0.3/0.3) unchanged,
        // but gpt-4o's output-heavy price shrinks; the cheapest is still decided on min(expected, max_tokens).
        Decision.Routed r = routed(ROUTER.decide("auto", RequestFeatures.of("u1", 1000, 10),
                HealthView.allHealthy(), MigrationStates.none()));
        assertThat(r.reason()).contains("expected 303.00 micro-USD");
    }
}
