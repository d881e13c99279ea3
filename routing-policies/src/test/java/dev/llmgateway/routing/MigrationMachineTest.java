package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.MIGRATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.llmgateway.routing.MigrationEvidence.ScoreStats;
import dev.llmgateway.routing.MigrationEvidence.ShadowTally;
import dev.llmgateway.routing.MigrationEvidence.SideStats;
import dev.llmgateway.routing.internal.ConfidenceSequence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigrationMachineTest {

    private static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");

    /** Stats of n scores with the given mean and standard deviation. */
    static ScoreStats stats(long n, double mean, double sd) {
        return new ScoreStats(n, n * mean, (n - 1) * sd * sd + n * mean * mean);
    }

    /** A side with the given latency median and p95 (a piecewise-linear latency distribution). */
    static SideStats side(long requests, long errors, long p50, long p95) {
        List<Long> pct = new ArrayList<>(101);
        for (int i = 0; i <= 100; i++) {
            double v = i <= 50 ? p50 * (0.5 + i / 100.0) : i <= 95 ? p50 + (p95 - p50) * (i - 50) / 45.0
                    : p95 + (p95 * 0.5) * (i - 95) / 5.0;
            pct.add(Math.round(v));
        }
        return new SideStats(requests, errors, pct);
    }

    static MigrationEvidence good(int stage, long n) {
        return new MigrationEvidence(stage, stats(n, 0.80, 0.1), stats(n, 0.81, 0.1), ShadowTally.NONE,
                side(n, n / 100, 800, 2000), side(n, n / 125, 700, 1800));
    }

    static MigrationEvidence withSides(MigrationEvidence e, SideStats open, SideStats closed) {
        return new MigrationEvidence(e.stageIndex(), e.feedbackOpen(), e.feedbackClosed(), e.shadow(), open, closed);
    }

    @Test
    void promotesAfterEnoughNonInferiorEvidence() {
        MigrationState start = MigrationMachine.start("chat", T0);
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, start, good(0, 500), T0.plusSeconds(60));
        assertThat(v).isInstanceOf(MigrationVerdict.Promote.class);
        assertThat(((MigrationVerdict.Promote) v).toStage()).isEqualTo(1);
        assertThat(v.reason()).startsWith("non-inferior at 95%: feedback diff -0.010");

        MigrationState next = MigrationMachine.apply(MIGRATION, start, v, T0.plusSeconds(60));
        assertThat(next.stageIndex()).isEqualTo(1);
        assertThat(next.status()).isEqualTo(MigrationStatus.ACTIVE);
        assertThat(next.since()).isEqualTo(T0.plusSeconds(60));
        assertThat(next.history()).extracting(MigrationTransition::kind)
                .containsExactly(MigrationTransition.Kind.START, MigrationTransition.Kind.AUTO_PROMOTE);
        assertThat(next.openPercent(MIGRATION)).isEqualTo(25);
    }

    @Test
    void goodEvidenceWalksEveryStageToCompletion() {
        MigrationState s = MigrationMachine.start("chat", T0);
        for (int i = 0; i < 4; i++) {
            s = MigrationMachine.advance(MIGRATION, s, good(s.stageIndex(), 500), T0.plusSeconds(3600L * (i + 1)));
        }
        assertThat(s.status()).isEqualTo(MigrationStatus.COMPLETED);
        assertThat(s.openPercent(MIGRATION)).isEqualTo(100);
        assertThat(s.history().getLast().kind()).isEqualTo(MigrationTransition.Kind.COMPLETE);
    }

    @Test
    void doesNotPromoteBelowMinSamples() {
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0),
                good(0, 199), T0.plusSeconds(60));
        assertThat(v).isInstanceOf(MigrationVerdict.Stay.class);
        assertThat(v.reason()).startsWith("waiting for traffic: open 199, closed 199 of 200");
    }

    @Test
    void neverPromotesWhileAnySideHasFewerThanMinSamples() {
        qt().withExamples(200).forAll(integers().between(0, 199), integers().between(200, 5000), integers().between(0, 3))
                .checkAssert(this::neverPromotesWhileAnySideHasFewerThanMinSamples);
    }

    private void neverPromotesWhileAnySideHasFewerThanMinSamples(int scarce, int plenty, int which) {
        MigrationEvidence e = good(0, plenty);
        e = switch (which) {
            case 0 -> withSides(e, side(scarce, 0, 800, 2000), e.closed());
            case 1 -> withSides(e, e.open(), side(scarce, 0, 700, 1800));
            case 2 -> new MigrationEvidence(0, stats(scarce, 0.8, 0.1), e.feedbackClosed(), ShadowTally.NONE,
                    e.open(), e.closed());
            default -> new MigrationEvidence(0, e.feedbackOpen(), stats(scarce, 0.8, 0.1), ShadowTally.NONE,
                    e.open(), e.closed());
        };
        assertThat(MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0.plusSeconds(60)))
                .isNotInstanceOf(MigrationVerdict.Promote.class);
    }

    @Test
    void staysWhileQualityIsNotYetShownNonInferior() {
        MigrationEvidence noisy = new MigrationEvidence(0, stats(200, 0.76, 0.3), stats(200, 0.80, 0.3),
                ShadowTally.NONE, side(200, 2, 800, 2000), side(200, 2, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), noisy, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Stay.class);
        assertThat(v.reason()).startsWith("feedback not yet non-inferior");
    }

    @Test
    void rollsBackWhenTheErrorRateRegresses() {
        MigrationEvidence e = withSides(good(0, 1000), side(1000, 50, 800, 2000),
                side(1000, 10, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Rollback.class);
        assertThat(v.reason()).startsWith("error rate 5% open vs 1% closed: increase at least +")
                .endsWith(" at 95% > allowed +1.0 pp");
        MigrationState s = MigrationMachine.apply(MIGRATION, MigrationMachine.start("chat", T0), v, T0);
        assertThat(s.status()).isEqualTo(MigrationStatus.ROLLED_BACK);
        assertThat(s.openPercent(MIGRATION)).isZero();
    }

    @Test
    void rollsBackWhenLatencyRegresses() {
        MigrationEvidence e = withSides(good(0, 1000), side(1000, 5, 800, 4000),
                side(1000, 5, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Rollback.class);
        assertThat(v.reason()).startsWith("latency p95 4000 ms open vs 1800 ms closed: at least ")
                .endsWith(" > 1.50");
    }

    @Test
    void rollsBackWhenFeedbackShowsInferiorityAtConfidence() {
        MigrationEvidence e = new MigrationEvidence(0, stats(400, 0.60, 0.2), stats(400, 0.80, 0.2),
                ShadowTally.NONE, side(400, 4, 800, 2000), side(400, 4, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Rollback.class);
        assertThat(v.reason()).startsWith("feedback inferior: diff -0.200");
    }

    @Test
    void rollsBackWhenShadowComparisonsShowInferiority() {
        MigrationEvidence e = new MigrationEvidence(0, ScoreStats.NONE, ScoreStats.NONE,
                new ShadowTally(20, 30, 250), side(400, 4, 800, 2000), side(400, 4, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Rollback.class);
        assertThat(v.reason()).startsWith("shadow comparisons inferior");
    }

    @Test
    void shadowComparisonsAloneCanJustifyPromotion() {
        MigrationEvidence e = new MigrationEvidence(0, ScoreStats.NONE, ScoreStats.NONE,
                new ShadowTally(110, 200, 90), side(400, 4, 800, 2000), side(400, 4, 700, 1800));
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), e, T0);
        assertThat(v).isInstanceOf(MigrationVerdict.Promote.class);
        assertThat(v.reason()).contains("shadow diff 0.025");
    }

    @Test
    void evidenceOfAnotherStageNeverMovesAMigration() {
        MigrationVerdict v = MigrationMachine.evaluate(MIGRATION, MigrationMachine.start("chat", T0), good(2, 5000), T0);
        assertThat(v).isEqualTo(new MigrationVerdict.Stay("evidence is for stage 3, current stage is 1"));
    }

    @Test
    void waitsForTheMinimumStageDuration() {
        Policy.Migration slow = new Policy.Migration("gpt-4o", "llama-70b", List.of(5, 25, 50, 100),
                new PromotionRule(0.05, 0.95, 200, 0.01, 1.5, Duration.ofHours(24)));
        MigrationState s = MigrationMachine.start("chat", T0);
        assertThat(MigrationMachine.evaluate(slow, s, good(0, 500), T0.plus(Duration.ofHours(23))))
                .isInstanceOf(MigrationVerdict.Stay.class);
        assertThat(MigrationMachine.evaluate(slow, s, good(0, 500), T0.plus(Duration.ofHours(24))))
                .isInstanceOf(MigrationVerdict.Promote.class);
    }

    @Test
    void pauseStopsAutomaticEvaluationAndResumeRestartsIt() {
        MigrationState paused = MigrationMachine.pause(MigrationMachine.start("chat", T0), "holiday freeze", T0);
        assertThat(paused.status()).isEqualTo(MigrationStatus.PAUSED);
        assertThat(paused.openPercent(MIGRATION)).isEqualTo(5);
        assertThat(MigrationMachine.evaluate(MIGRATION, paused, good(0, 5000), T0))
                .isEqualTo(new MigrationVerdict.Stay("paused: automatic evaluation is off"));
        MigrationState resumed = MigrationMachine.resume(paused, "freeze over", T0.plusSeconds(10));
        assertThat(resumed.status()).isEqualTo(MigrationStatus.ACTIVE);
        assertThat(MigrationMachine.evaluate(MIGRATION, resumed, good(0, 5000), T0.plusSeconds(10)))
                .isInstanceOf(MigrationVerdict.Promote.class);
        assertThat(resumed.history()).extracting(MigrationTransition::reason)
                .containsExactly("migration started", "holiday freeze", "freeze over");
    }

    @Test
    void pinHoldsAStageUntilResumed() {
        MigrationState pinned = MigrationMachine.pin(MIGRATION, MigrationMachine.start("chat", T0), 2, "hold at half", T0);
        assertThat(pinned.status()).isEqualTo(MigrationStatus.PINNED);
        assertThat(pinned.openPercent(MIGRATION)).isEqualTo(50);
        assertThat(MigrationMachine.evaluate(MIGRATION, pinned, good(2, 5000), T0))
                .isInstanceOf(MigrationVerdict.Stay.class);
        MigrationState resumed = MigrationMachine.resume(pinned, "go on", T0);
        assertThat(resumed.stageIndex()).isEqualTo(2);
        assertThat(resumed.status()).isEqualTo(MigrationStatus.ACTIVE);
        assertThatThrownBy(() -> MigrationMachine.pin(MIGRATION, resumed, 4, "x", T0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stage index 4 outside 0..3");
    }

    @Test
    void manualPromotionAndRollbackAreRecordedAndResumeAfterRollbackRestartsAtTheFirstStage() {
        MigrationState s = MigrationMachine.promote(MIGRATION, MigrationMachine.start("chat", T0), "looks fine", T0);
        s = MigrationMachine.promote(MIGRATION, s, "still fine", T0);
        assertThat(s.stageIndex()).isEqualTo(2);
        s = MigrationMachine.rollback(s, "customer complaint", T0);
        assertThat(s.openPercent(MIGRATION)).isZero();
        s = MigrationMachine.resume(s, "fixed the prompt template", T0);
        assertThat(s.stageIndex()).isZero();
        assertThat(s.status()).isEqualTo(MigrationStatus.ACTIVE);
        assertThat(s.history()).extracting(MigrationTransition::kind).containsExactly(
                MigrationTransition.Kind.START, MigrationTransition.Kind.PROMOTE, MigrationTransition.Kind.PROMOTE,
                MigrationTransition.Kind.ROLLBACK, MigrationTransition.Kind.RESUME);
        assertThat(s.history().get(3)).isEqualTo(new MigrationTransition(2, 2, MigrationTransition.Kind.ROLLBACK,
                "customer complaint", T0));
    }

    @Test
    void impossibleManualOperationsAreRefusedWithAClearMessage() {
        MigrationState rolledBack = MigrationMachine.rollback(MigrationMachine.start("chat", T0), "x", T0);
        assertThatThrownBy(() -> MigrationMachine.pause(rolledBack, "x", T0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot pause migration of route 'chat' while rolled_back: only an active one can");
        assertThatThrownBy(() -> MigrationMachine.promote(MIGRATION, rolledBack, "x", T0))
                .hasMessageEndingWith("resume it first");
        assertThatThrownBy(() -> MigrationMachine.rollback(rolledBack, "x", T0))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aStoredAndRestoredStateGivesTheSameDecisions() {
        MigrationState s = MigrationMachine.start("chat", T0);
        s = MigrationMachine.advance(MIGRATION, s, good(0, 500), T0.plusSeconds(3600));
        s = MigrationMachine.pause(s, "weekend; keep 25%", T0.plusSeconds(7200));

        MigrationState restored = fromRow(toRow(s));
        assertThat(restored).isEqualTo(s);

        Router beforeRestart = Fixtures.router(Route.of("chat", MIGRATION));
        Router afterRestart = Fixtures.router(Route.of("chat", MIGRATION));
        for (int i = 0; i < 10_000; i++) {
            RequestFeatures f = Fixtures.user("user-" + i);
            assertThat(afterRestart.decide("chat", f, HealthView.allHealthy(), MigrationStates.of(Map.of("chat", restored))))
                    .isEqualTo(beforeRestart.decide("chat", f, HealthView.allHealthy(), MigrationStates.of(Map.of("chat", s))));
        }
        assertThat(MigrationMachine.evaluate(MIGRATION, restored, good(1, 900), T0.plusSeconds(9000)))
                .isEqualTo(MigrationMachine.evaluate(MIGRATION, s, good(1, 900), T0.plusSeconds(9000)));
    }

    /** What a database row would hold: only strings and numbers. */
    private static List<String> toRow(MigrationState s) {
        List<String> row = new ArrayList<>(List.of(s.route(), Integer.toString(s.stageIndex()), s.status().name(),
                s.since().toString()));
        for (MigrationTransition t : s.history()) {
            row.add(t.from() + "\t" + t.to() + "\t" + t.kind().name() + "\t" + t.at() + "\t" + t.reason());
        }
        return row;
    }

    private static MigrationState fromRow(List<String> row) {
        List<MigrationTransition> history = new ArrayList<>();
        for (String line : row.subList(4, row.size())) {
            String[] p = line.split("\t", 5);
            history.add(new MigrationTransition(Integer.parseInt(p[0]), Integer.parseInt(p[1]),
                    MigrationTransition.Kind.valueOf(p[2]), p[4], Instant.parse(p[3])));
        }
        return new MigrationState(row.get(0), Integer.parseInt(row.get(1)), MigrationStatus.valueOf(row.get(2)),
                Instant.parse(row.get(3)), history);
    }

    @Test
    void normalQuantilesMatchTables() {
        assertThat(ConfidenceSequence.normalQuantile(0.95)).isCloseTo(1.644854, within(1e-6));
        assertThat(ConfidenceSequence.normalQuantile(0.975)).isCloseTo(1.959964, within(1e-6));
        assertThat(ConfidenceSequence.normalQuantile(0.999)).isCloseTo(3.090232, within(1e-6));
        assertThat(ConfidenceSequence.normalQuantile(0.5)).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void confidenceBoundsWidenWithConfidenceAndSurroundTheEstimate() {
        qt().withExamples(1000).forAll(doubles().between(0, 1), doubles().between(0, 1), integers().between(2, 10_000))
                .checkAssert(this::confidenceBoundsWidenWithConfidenceAndSurroundTheEstimate);
    }

    private void confidenceBoundsWidenWithConfidenceAndSurroundTheEstimate(double meanOpen, double meanClosed, int n) {
        ScoreStats open = stats(n, meanOpen, 0.2);
        ScoreStats closed = stats(n, meanClosed, 0.2);
        ConfidenceSequence.Bound at90 = ConfidenceSequence.meanDifference(open, closed, 0.90, 800);
        ConfidenceSequence.Bound at99 = ConfidenceSequence.meanDifference(open, closed, 0.99, 800);
        assertThat(at90.estimate()).isCloseTo(meanOpen - meanClosed, within(1e-9));
        assertThat(at99.lower()).isLessThanOrEqualTo(at90.lower());
        assertThat(at90.lower()).isLessThanOrEqualTo(at90.estimate());
        assertThat(at99.upper()).isGreaterThanOrEqualTo(at90.upper());
    }
}
