package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmgateway.metering.MigrationEvidenceQueries.OrientedShadow;
import dev.llmgateway.metering.MigrationEvidenceQueries.Traffic;
import dev.llmgateway.metering.MigrationEvidenceQueries.UserScores;
import dev.llmgateway.metering.ShadowJudgement.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class MigrationEvidenceQueriesTest {
    private static final Instant T = Instant.parse("2025-06-01T10:00:00Z");

    private final DataSource db = TestDatabase.fresh();
    private final MigrationEvidenceQueries queries = new MigrationEvidenceQueries(db);
    private final FeedbackStore feedback = new FeedbackStore(db);
    private final ShadowStore shadows = new ShadowStore(db, 100);

    private static UsageEvent served(String id, String endUser, String deployment, DeploymentClass cls, int latencyMs, int status) {
        return UsageEvent.builder(id, T.plusMillis(id.hashCode() & 0xffff)).team("t", "k-t").endUser(endUser)
                .route("chat", "migration", "1").deployment(deployment, "p", "m", cls).tokens(100, 20, 0).money(10, 12, 20)
                .timing(latencyMs, null).outcome(status, status >= 400 ? "upstream_failed" : null).build();
    }

    @Test
    void feedbackIsClusteredPerEndUserSoAHeavyUserCountsOnce() {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 50; i++) events.add(served("heavy-" + i, "heavy", "llama", DeploymentClass.OPEN, 100, 200));
        events.add(served("light-a", "a", "llama", DeploymentClass.OPEN, 100, 200));
        events.add(served("light-b", "b", "llama", DeploymentClass.OPEN, 100, 200));
        events.add(served("nouser-1", null, "gpt", DeploymentClass.CLOSED, 100, 200));
        events.add(served("nouser-2", null, "gpt", DeploymentClass.CLOSED, 100, 200));
        EvidenceDb.store(db, events);
        for (int i = 0; i < 50; i++) feedback.record("heavy-" + i, "t", FeedbackScore.thumbs(false), null, T);
        feedback.record("light-a", "t", FeedbackScore.thumbs(true), null, T);
        feedback.record("light-b", "t", new FeedbackScore(5000), null, T);
        feedback.record("light-b", "t", FeedbackScore.thumbs(true), null, T); // latest wins
        feedback.record("nouser-1", "t", new FeedbackScore(8000), null, T);
        feedback.record("nouser-2", "t", new FeedbackScore(6000), null, T);

        List<UserScores> scores = queries.feedbackByUser("chat", T, T.plusSeconds(3600));
        // Closed: both requests came without a user field, so they share the API key's sticky key: one user, mean 0.7.
        UserScores closed = scores.get(0);
        assertThat(closed.side()).isEqualTo(DeploymentClass.CLOSED);
        assertThat(closed.users()).isEqualTo(1);
        assertThat(closed.scores()).isEqualTo(2);
        assertThat(closed.sumOfUserMeans()).isCloseTo(0.7, within(1e-9));
        // Open: 52 scores from three users; the heavy user's fifty zeros are one user mean of 0.
        UserScores open = scores.get(1);
        assertThat(open.users()).isEqualTo(3);
        assertThat(open.scores()).isEqualTo(52);
        assertThat(open.sumOfUserMeans()).isCloseTo(2.0, within(1e-9));
        assertThat(open.sumOfSquaredUserMeans()).isCloseTo(2.0, within(1e-9));
        assertThat(queries.feedbackByUser("chat", T.plusSeconds(7200), T.plusSeconds(9000))).isEmpty();
    }

    @Test
    void shadowVerdictsAreOrientedToTheOpenDeploymentWhicheverSideWasTheShadow() {
        EvidenceDb.store(db, List.of(
                served("c1", "u1", "gpt", DeploymentClass.CLOSED, 100, 200),
                served("c2", "u1", "gpt", DeploymentClass.CLOSED, 100, 200),
                served("o1", "u2", "llama", DeploymentClass.OPEN, 100, 200),
                served("x1", "u3", "gpt", DeploymentClass.CLOSED, 100, 200)));
        // Closed primary, open shadow: the stored verdict (the shadow's) is the open deployment's.
        pair("c1", "gpt", "llama", Verdict.WIN);
        pair("c2", "gpt", "llama", Verdict.TIE);
        // Open primary, closed shadow: the shadow (closed) won, so the open deployment lost.
        pair("o1", "llama", "gpt", Verdict.WIN);
        // A shadow of some other deployment says nothing about this migration.
        pair("x1", "gpt", "qwen", Verdict.LOSS);

        OrientedShadow s = queries.shadowByUser("chat", "gpt", "llama", T, T.plusSeconds(3600));
        assertThat(s.wins()).isEqualTo(1);
        assertThat(s.ties()).isEqualTo(1);
        assertThat(s.losses()).isEqualTo(1);
        assertThat(s.users()).isEqualTo(2);
        assertThat(s.sumOfUserMeans()).isCloseTo(0.75 + 0.0, within(1e-9));
        assertThat(s.sumOfSquaredUserMeans()).isCloseTo(0.5625, within(1e-9));
        assertThat(queries.shadowByUser("chat", "gpt", "llama", T.plusSeconds(7200), T.plusSeconds(9000)))
                .isEqualTo(OrientedShadow.NONE);
    }

    private void pair(String id, String primary, String shadow, Verdict v) {
        shadows.record(new ShadowPair(id, "chat", primary, shadow, "a", "b", 100, 100, 10, 10, 10, 10, ShadowPair.Status.OK, null, T));
        shadows.recordVerdict(id, new ShadowJudgement(v, "judge", "r", 1, T));
    }

    @Test
    void trafficGivesErrorsAndEveryLatencyPercentileOfSuccesses() {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 1; i <= 101; i++) events.add(served("s" + i, "u", "gpt", DeploymentClass.CLOSED, i * 10, 200));
        events.add(served("e1", "u", "gpt", DeploymentClass.CLOSED, 99_999, 502));
        events.add(served("e2", "v", "llama", DeploymentClass.OPEN, 5, 503));
        EvidenceDb.store(db, events);
        List<Traffic> t = queries.traffic("chat", T, T.plusSeconds(3600));
        assertThat(t.get(0).side()).isEqualTo(DeploymentClass.CLOSED);
        assertThat(t.get(0).requests()).isEqualTo(102);
        assertThat(t.get(0).errors()).isEqualTo(1);
        // 101 successes 10..1010 ms: percentile k is exactly the (k+1)-th value.
        assertThat(t.get(0).latencyMsPercentiles()).hasSize(101);
        assertThat(t.get(0).latencyMsPercentiles().get(0)).isEqualTo(10);
        assertThat(t.get(0).latencyMsPercentiles().get(50)).isEqualTo(510);
        assertThat(t.get(0).latencyMsPercentiles().get(95)).isEqualTo(960);
        assertThat(t.get(0).latencyMsPercentiles().get(100)).isEqualTo(1010);
        // Only failures: no latency distribution.
        assertThat(t.get(1).requests()).isEqualTo(1);
        assertThat(t.get(1).latencyMsPercentiles()).isEmpty();
    }
}
