package dev.llmgateway.metering;

import static dev.llmgateway.metering.EvidenceDb.served;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.llmgateway.metering.FeedbackStore.RecordResult;
import dev.llmgateway.metering.FeedbackStore.ScoreAggregate;
import dev.llmgateway.metering.FeedbackStore.SideBy;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class FeedbackStoreTest {
    private static final Instant T = Instant.parse("2025-06-01T10:00:00Z");
    private static final java.util.concurrent.atomic.AtomicInteger TRY = new java.util.concurrent.atomic.AtomicInteger();
    private static final DataSource SHARED = TestDatabase.fresh(); // for the property: every try uses its own route

    private static FeedbackScore bp(int v) { return new FeedbackScore(v); }

    @Test
    void feedbackOnAnUnknownRequestOrAnotherTeamsRequestIsNotFound() {
        DataSource db = TestDatabase.fresh();
        EvidenceDb.store(db, List.of(served("r1", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED),
                served("r2", T, "search", "chat", "llama", DeploymentClass.OPEN, 90, 200, true)));
        FeedbackStore store = new FeedbackStore(db);

        assertThat(store.record("nope", "search", FeedbackScore.THUMBS_UP, null, T)).isEqualTo(RecordResult.NOT_FOUND);
        assertThat(store.record("r1", "ads", FeedbackScore.THUMBS_UP, null, T)).isEqualTo(RecordResult.NOT_FOUND);
        assertThat(store.record("r2", "search", FeedbackScore.THUMBS_UP, null, T)).isEqualTo(RecordResult.NOT_FOUND); // shadow call
        assertThat(store.submissions("r1")).isZero();
        assertThat(store.record("r1", "search", FeedbackScore.THUMBS_UP, null, T)).isEqualTo(RecordResult.RECORDED);
    }

    @Test
    void latestFeedbackWinsAndEarlierOnesAreKept() {
        DataSource db = TestDatabase.fresh();
        EvidenceDb.store(db, List.of(served("r1", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED)));
        FeedbackStore store = new FeedbackStore(db);

        assertThat(store.record("r1", "search", FeedbackScore.THUMBS_DOWN, "wrong answer", T.plusSeconds(5))).isEqualTo(RecordResult.RECORDED);
        assertThat(store.record("r1", "search", bp(7500), null, T.plusSeconds(9))).isEqualTo(RecordResult.REPLACED);

        assertThat(store.latest("r1")).contains(new FeedbackStore.Feedback("r1", "search", bp(7500), java.util.Optional.empty(), T.plusSeconds(9)));
        assertThat(store.submissions("r1")).isEqualTo(2);
        assertThat(store.aggregate("chat", T, T.plusSeconds(1), SideBy.DEPLOYMENT_CLASS))
                .containsExactly(new ScoreAggregate("chat", "closed", 1, 7500, 7500L * 7500));
    }

    @Test
    void aggregatesAreExactPerSideAndWindowAndSkipRequestsWithoutFeedback() {
        DataSource db = TestDatabase.fresh();
        EvidenceDb.store(db, List.of(
                served("c1", T, "search", "chat", "gpt-4o", DeploymentClass.CLOSED),
                served("c2", T.plusSeconds(1), "ads", "chat", "gpt-4o-mini", DeploymentClass.CLOSED),
                served("o1", T.plusSeconds(2), "search", "chat", "llama-70b", DeploymentClass.OPEN),
                served("o2", T.plusSeconds(3), "search", "chat", "llama-70b", DeploymentClass.OPEN),
                served("o3", T.plusSeconds(4), "search", "chat", "llama-70b", DeploymentClass.OPEN), // no feedback
                served("late", T.plusSeconds(3600), "search", "chat", "llama-70b", DeploymentClass.OPEN),
                served("other", T, "search", "summarize", "llama-70b", DeploymentClass.OPEN)));
        FeedbackStore store = new FeedbackStore(db);
        store.record("c1", "search", bp(10_000), null, T);
        store.record("c2", "ads", bp(5_000), null, T);
        store.record("o1", "search", bp(9_000), null, T);
        store.record("o2", "search", bp(1), null, T);
        store.record("late", "search", bp(0), null, T);
        store.record("other", "search", bp(0), null, T);

        assertThat(store.aggregate("chat", T, T.plusSeconds(60), SideBy.DEPLOYMENT_CLASS)).containsExactly(
                new ScoreAggregate("chat", "closed", 2, 15_000, 100_000_000L + 25_000_000L),
                new ScoreAggregate("chat", "open", 2, 9_001, 81_000_000L + 1L));
        assertThat(store.aggregate("chat", T, T.plusSeconds(60), SideBy.DEPLOYMENT)).extracting(ScoreAggregate::side, ScoreAggregate::count)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("gpt-4o", 1L), org.assertj.core.groups.Tuple.tuple("gpt-4o-mini", 1L),
                        org.assertj.core.groups.Tuple.tuple("llama-70b", 2L));
        ScoreAggregate closed = store.aggregate("chat", T, T.plusSeconds(60), SideBy.DEPLOYMENT_CLASS).get(0);
        assertThat(closed.meanScore()).isEqualByComparingTo("0.75");
        assertThat(closed.sumScore()).isEqualByComparingTo("1.5");
        assertThat(closed.sumOfSquaresScore()).isEqualByComparingTo("1.25");
        assertThat(store.aggregate("chat", T.plusSeconds(60), T.plusSeconds(7200), SideBy.DEPLOYMENT_CLASS))
                .containsExactly(new ScoreAggregate("chat", "open", 1, 0, 0));
    }

    @Test
    void aggregatesMatchAReferenceComputedInJava() {
        qt().withExamples(12).withShrinkCycles(10).forAll(longs().between(0, Long.MAX_VALUE))
                .checkAssert(this::aggregatesMatchTheReference);
    }

    private void aggregatesMatchTheReference(long seed) {
        Random r = new Random(seed);
        String route = "route-" + TRY.incrementAndGet(); // tries share the database, never a route
        String[] deployments = {"gpt-4o", "llama-70b", "mistral-large"};
        DeploymentClass[] classes = {DeploymentClass.CLOSED, DeploymentClass.OPEN, DeploymentClass.OPEN};
        List<UsageEvent> events = new ArrayList<>();
        int n = 1 + r.nextInt(60);
        for (int i = 0; i < n; i++) {
            int d = r.nextInt(3);
            events.add(served(route + "-" + i, T.plusSeconds(r.nextInt(600)), "search", route, deployments[d], classes[d]));
        }
        EvidenceDb.store(SHARED, events);
        FeedbackStore store = new FeedbackStore(SHARED);
        Map<String, long[]> reference = new TreeMap<>(); // deployment -> count, sum, sum of squares of latest scores
        Instant from = T.plusSeconds(100), to = T.plusSeconds(500);
        for (UsageEvent e : events) {
            int submissions = r.nextInt(3);
            int last = -1;
            for (int s = 0; s < submissions; s++) {
                last = r.nextInt(4) == 0 ? (r.nextBoolean() ? 0 : 10_000) : r.nextInt(10_001);
                assertThat(store.record(e.requestId(), "search", bp(last), null, T)).isNotEqualTo(RecordResult.NOT_FOUND);
            }
            boolean inWindow = !e.time().isBefore(from) && e.time().isBefore(to);
            if (last >= 0 && inWindow) {
                long[] a = reference.computeIfAbsent(e.deployment(), k -> new long[3]);
                a[0]++;
                a[1] += last;
                a[2] += (long) last * last;
            }
        }
        List<ScoreAggregate> expected = new ArrayList<>();
        reference.forEach((d, a) -> expected.add(new ScoreAggregate(route, d, a[0], a[1], a[2])));
        assertThat(store.aggregate(route, from, to, SideBy.DEPLOYMENT)).isEqualTo(expected);
    }

    @Test
    void scoresAreBasisPointsWithinZeroAndOne() {
        assertThat(FeedbackScore.of(new BigDecimal("0.75"))).isEqualTo(bp(7500));
        assertThat(FeedbackScore.of(new BigDecimal("1"))).isEqualTo(FeedbackScore.THUMBS_UP);
        assertThat(FeedbackScore.of(new BigDecimal("0.00005"))).isEqualTo(bp(0)); // half-even
        assertThat(FeedbackScore.of(new BigDecimal("0.00015"))).isEqualTo(bp(2));
        assertThat(FeedbackScore.thumbs(false)).isEqualTo(bp(0));
        assertThat(bp(1234).decimal()).isEqualByComparingTo("0.1234");
        assertThatThrownBy(() -> FeedbackScore.of(new BigDecimal("1.0001"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FeedbackScore.of(new BigDecimal("-0.1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bp(10_001)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTooLongCommentIsRefused() {
        FeedbackStore store = new FeedbackStore(SHARED);
        assertThatThrownBy(() -> store.record("x", "t", bp(1), "c".repeat(FeedbackStore.COMMENT_MAX_CHARS + 1), T))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
