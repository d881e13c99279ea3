package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.routed;
import static dev.llmgateway.routing.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.llmgateway.routing.internal.StableHash;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedRoutingTest {

    private static final Route CHAT = Route.of("chat",
            new Policy.Weighted(Map.of("gpt-4o", 90, "llama-70b", 10)));

    @Test
    void sharesMatchWeightsWithinHalfAPointOver100kUsers() {
        Router router = Fixtures.router(Route.of("chat",
                new Policy.Weighted(Map.of("gpt-4o", 40, "llama-70b", 35, "qwen-32b", 25))));
        Map<String, Integer> counts = new HashMap<>();
        int users = 100_000;
        for (int i = 0; i < users; i++) {
            Decision.Routed r = routed(router.decide("chat", user("user-" + i + "@example.com"),
                    HealthView.allHealthy(), MigrationStates.none()));
            counts.merge(r.primary().name(), 1, Integer::sum);
        }
        assertThat(counts.get("gpt-4o") / (double) users).isCloseTo(0.40, within(0.005));
        assertThat(counts.get("llama-70b") / (double) users).isCloseTo(0.35, within(0.005));
        assertThat(counts.get("qwen-32b") / (double) users).isCloseTo(0.25, within(0.005));
    }

    @Test
    void generatedWeightsAreHonouredWithinOnePoint() {
        qt().withExamples(30).forAll(integers().between(1, 100), integers().between(0, 100))
                .checkAssert(WeightedRoutingTest::weightsAreHonoured);
    }

    private static void weightsAreHonoured(int a, int b) {
        Router router = Fixtures.router(Route.of("r", new Policy.Weighted(Map.of("gpt-4o", a, "qwen-32b", b))));
        int users = 20_000;
        int first = 0;
        for (int i = 0; i < users; i++) {
            if (routed(router.decide("r", user("u" + i), HealthView.allHealthy(), MigrationStates.none()))
                    .primary().name().equals("gpt-4o")) {
                first++;
            }
        }
        assertThat(first / (double) users).isCloseTo(a / (double) (a + b), within(0.015));
    }

    @Test
    void sameUserAlwaysGetsTheSameDeploymentEvenFromAFreshRouter() {
        qt().withExamples(1000).forAll(strings().allPossible().ofLengthBetween(0, 64))
                .checkAssert(WeightedRoutingTest::sameDeploymentFromAFreshRouter);
    }

    private static void sameDeploymentFromAFreshRouter(String userId) {
        Decision.Routed once = routed(Fixtures.router(CHAT).decide("chat", user(userId), HealthView.allHealthy(),
                MigrationStates.none()));
        Router another = Fixtures.router(CHAT);
        for (int i = 0; i < 3; i++) {
            Decision.Routed again = routed(another.decide("chat", user(userId).withRequestId("req-" + i),
                    HealthView.allHealthy(), MigrationStates.none()));
            assertThat(again.primary()).isEqualTo(once.primary());
            assertThat(again.reason()).isEqualTo(once.reason());
        }
    }

    @Test
    void reasonNamesBucketAndWeight() {
        Decision.Routed r = routed(Fixtures.router(CHAT).decide("chat", user("alice"), HealthView.allHealthy(),
                MigrationStates.none()));
        assertThat(r.policy()).isEqualTo("weighted");
        assertThat(r.stage()).isEmpty();
        assertThat(r.reason()).matches("weighted: bucket \\d+/100 -> (gpt-4o \\(weight 90/100\\)|llama-70b \\(weight 10/100\\))");
    }

    @Test
    void stableHashIsFrozenAcrossReleases() {
        // Golden values: changing the hash would move every user to another bucket.
        assertThat(StableHash.hash("chat", "alice")).isEqualTo(GOLDEN_ALICE);
        assertThat(StableHash.hash("chat", "")).isEqualTo(GOLDEN_EMPTY);
        assertThat(StableHash.hash("ch", "atalice")).isNotEqualTo(StableHash.hash("chat", "alice"));
    }

    @Test
    void bucketsStayInRange() {
        qt().withExamples(1000).forAll(longs().all(), integers().between(1, Integer.MAX_VALUE))
                .checkAssert(WeightedRoutingTest::bucketInRange);
    }

    private static void bucketInRange(long hash, int n) {
        assertThat(StableHash.bucket(hash, n)).isBetween(0L, n - 1L);
    }

    @Test
    void zeroWeightDeploymentsNeverReceiveTraffic() {
        qt().withExamples(1000).forAll(strings().allPossible().ofLengthBetween(0, 20))
                .checkAssert(WeightedRoutingTest::zeroWeightGetsNothing);
    }

    private static void zeroWeightGetsNothing(String userId) {
        Router router = Fixtures.router(Route.of("r", new Policy.Weighted(Map.of("gpt-4o", 0, "qwen-32b", 3))));
        assertThat(routed(router.decide("r", user(userId), HealthView.allHealthy(), MigrationStates.none()))
                .primary().name()).isEqualTo("qwen-32b");
    }

    static final long GOLDEN_ALICE = -3128744608389706014L;
    static final long GOLDEN_EMPTY = -5919952348664259865L;
}
