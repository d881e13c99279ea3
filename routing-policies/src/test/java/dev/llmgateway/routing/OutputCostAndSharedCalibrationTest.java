package dev.llmgateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** cost_quality prices the output a request will likely produce; complexity calibration is shared by replicas. */
class OutputCostAndSharedCalibrationTest {

    // Cheap to read, expensive to write; and the other way round. Prices per million tokens in micro-USD.
    private static final Deployment VERBOSE = new Deployment("verbose", "p", "m1", DeploymentClass.OPEN,
            new TokenPrices(100_000, 20_000_000, 100_000), 32_768, EnumSet.allOf(Capability.class),
            Map.of("general", 0.9), Optional.empty());
    private static final Deployment TERSE = new Deployment("terse", "p", "m2", DeploymentClass.OPEN,
            new TokenPrices(1_000_000, 1_000_000, 1_000_000), 32_768, EnumSet.allOf(Capability.class),
            Map.of("general", 0.9), Optional.empty());

    private static String pick(int expectedOutputTokens, int maxTokens, OutputTokenEstimates observed) {
        Policy.CostQuality p = new Policy.CostQuality(List.of("verbose", "terse"), 0.5, OptionalLong.empty(), expectedOutputTokens);
        Router router = Router.of(new Catalog(List.of(VERBOSE, TERSE), List.of(Route.of("auto", p))));
        Decision d = router.decide("auto", RequestFeatures.of("u", 1000, maxTokens), HealthView.allHealthy(),
                MigrationStates.none(), observed);
        return ((Decision.Routed) d).primary().name();
    }

    @Test
    void withoutMaxTokensEachCandidateIsPricedAtItsObservedMeanOutput() {
        // Input only (nothing known about the output): verbose looks cheaper.
        assertThat(pick(0, 0, OutputTokenEstimates.none())).isEqualTo("verbose");
        // verbose writes 800 tokens on average: 0.1*1000 + 20*800 > 1*1000 + 1*300.
        assertThat(pick(0, 0, OutputTokenEstimates.of(Map.of("verbose", 800L, "terse", 300L)))).isEqualTo("terse");
        // The route's expected_output_tokens applies when nothing was observed.
        assertThat(pick(500, 0, OutputTokenEstimates.none())).isEqualTo("terse");
        // A client's max_tokens caps the estimate: at most 20 tokens, verbose's output costs little.
        assertThat(pick(0, 20, OutputTokenEstimates.of(Map.of("verbose", 800L, "terse", 300L)))).isEqualTo("verbose");
    }

    @Test
    void theOutputEstimateFollowsObservedThenConfiguredThenMaxTokens() {
        Policy.CostQuality p = new Policy.CostQuality(List.of("verbose"), 0, OptionalLong.empty(), 400);
        Policy.CostQuality unset = new Policy.CostQuality(List.of("verbose"), 0, OptionalLong.empty(), 0);
        OutputTokenEstimates seen = OutputTokenEstimates.of(Map.of("verbose", 120L));
        assertThat(Router.outputTokensFor(VERBOSE, p, RequestFeatures.of("u", 10, 0), seen)).isEqualTo(120);
        assertThat(Router.outputTokensFor(VERBOSE, p, RequestFeatures.of("u", 10, 0), OutputTokenEstimates.none())).isEqualTo(400);
        assertThat(Router.outputTokensFor(VERBOSE, p, RequestFeatures.of("u", 10, 50), seen)).isEqualTo(50);
        assertThat(Router.outputTokensFor(VERBOSE, unset, RequestFeatures.of("u", 10, 50), OutputTokenEstimates.none())).isEqualTo(50);
        assertThat(Router.outputTokensFor(VERBOSE, unset, RequestFeatures.of("u", 10, 0), OutputTokenEstimates.none())).isZero();
    }

    /** Share of strong decisions for scores drawn by {@code score} on one calibrator. */
    private static double strongShare(ComplexityCalibrator c, Random random, java.util.function.DoubleSupplier score, int n) {
        int strong = 0;
        for (int i = 0; i < n; i++) {
            double d = score.getAsDouble();
            c.record(d);
            if (c.routesStrong(d, random.nextDouble(), 0.5)) strong++;
        }
        return (double) strong / n;
    }

    @Test
    void replicasSharingTheirHistogramsRouteTheTargetShareOfAllTrafficNotOfTheirOwn() {
        Random random = new Random(11);
        ComplexityCalibrator easyReplica = new ComplexityCalibrator(0.3, 5_000, 500);
        ComplexityCalibrator hardReplica = new ComplexityCalibrator(0.3, 5_000, 500);
        // Alone (after warming up), each sends 30% of its own traffic strong, although one sees only easy and the other
        // only hard prompts.
        strongShare(easyReplica, random, () -> 0.4 * random.nextDouble(), 5_000);
        strongShare(hardReplica, random, () -> 0.6 + 0.4 * random.nextDouble(), 5_000);
        assertThat(strongShare(easyReplica, random, () -> 0.4 * random.nextDouble(), 5_000)).isBetween(0.27, 0.33);
        assertThat(strongShare(hardReplica, random, () -> 0.6 + 0.4 * random.nextDouble(), 5_000)).isBetween(0.27, 0.33);

        // Shared (what the gateway does through PostgreSQL): the cut is placed on both windows together, so the
        // hardest 30% of all prompts go strong, and those all arrive at the hard replica.
        easyReplica.useOthers(hardReplica.counts());
        hardReplica.useOthers(easyReplica.counts());
        assertThat(easyReplica.sharedSamples()).isEqualTo(10_000);
        double easy = strongShare(easyReplica, random, () -> 0.4 * random.nextDouble(), 2_000);
        double hard = strongShare(hardReplica, random, () -> 0.6 + 0.4 * random.nextDouble(), 2_000);
        assertThat(easy).isLessThan(0.01);
        assertThat(hard).isBetween(0.54, 0.66);
        assertThat((easy + hard) / 2).isBetween(0.27, 0.33);
    }

    @Test
    void aFreshCalibratorSeededWithStoredCountsRoutesLikeTheOneItReplaces() {
        Random random = new Random(3);
        ComplexityCalibrator before = new ComplexityCalibrator(0.25, 4_000, 200);
        // 4,008 scores: the cut is recomputed every 16, so it is current after the last one.
        for (int i = 0; i < 4_008; i++) before.record(random.nextDouble());
        ComplexityCalibrator after = new ComplexityCalibrator(0.25, 4_000, 200);
        assertThat(after.threshold()).isEmpty();
        after.seed(before.counts());
        assertThat(after.samples()).isEqualTo(4_000);
        assertThat(after.threshold()).isEqualTo(before.threshold());
        for (int i = 0; i < 1_000; i++) {
            double d = random.nextDouble();
            double tie = random.nextDouble();
            assertThat(after.routesStrong(d, tie, 0.5)).isEqualTo(before.routesStrong(d, tie, 0.5));
        }
    }
}
