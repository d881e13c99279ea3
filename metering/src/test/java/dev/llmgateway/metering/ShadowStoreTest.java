package dev.llmgateway.metering;

import static dev.llmgateway.metering.EvidenceDb.served;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.ShadowJudgement.Verdict;
import dev.llmgateway.metering.ShadowStore.SideTraffic;
import dev.llmgateway.metering.ShadowStore.Tally;
import dev.llmgateway.metering.ShadowStore.VerdictResult;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class ShadowStoreTest {
    private static final Instant T = Instant.parse("2025-06-01T10:00:00Z");

    private final DataSource db = TestDatabase.fresh();
    private final ShadowStore store = new ShadowStore(db, 10);

    private static ShadowPair pair(String id, String route, Instant at, String primaryOutput, String shadowOutput) {
        return new ShadowPair(id, route, "gpt-4o", "llama-70b", primaryOutput, shadowOutput, 800, 450, 120, 30, 120, 41,
                ShadowPair.Status.OK, null, at);
    }

    private static ShadowPair failed(String id, String route, Instant at) {
        return new ShadowPair(id, route, "gpt-4o", "llama-70b", "fine", null, 800, null, 120, 30, 0, 0,
                ShadowPair.Status.TIMEOUT, "no answer within 30 s", at);
    }

    @Test
    void aPairIsStoredOnceWithOutputsCutToTheLimit() {
        ShadowPair p = pair("r1", "chat", T, "0123456789abc", "short");
        assertThat(store.record(p)).isEqualTo(ShadowStore.RecordResult.RECORDED);
        assertThat(store.record(pair("r1", "chat", T, "other", "other"))).isEqualTo(ShadowStore.RecordResult.DUPLICATE);

        ShadowStore.StoredPair stored = store.find("r1").orElseThrow();
        assertThat(stored.pair()).isEqualTo(pair("r1", "chat", T, "0123456789", "short"));
        assertThat(stored.primaryOutputTruncated()).isTrue();
        assertThat(stored.shadowOutputTruncated()).isFalse();
        assertThat(stored.judgement()).isEmpty();

        store.record(pair("r2", "chat", T, "123456789\uD83D\uDE00", "x")); // emoji would straddle the limit
        assertThat(store.find("r2").orElseThrow().pair().primaryOutput()).isEqualTo("123456789");
        store.record(failed("r3", "chat", T));
        assertThat(store.find("r3").orElseThrow().pair()).isEqualTo(failed("r3", "chat", T));
        assertThat(store.find("nope")).isEmpty();
    }

    @Test
    void theFirstVerdictOfAPairStays() {
        store.record(pair("r1", "chat", T, "a", "b"));
        ShadowJudgement win = new ShadowJudgement(Verdict.WIN, "judge-gpt", "more complete", 420, T.plusSeconds(30));

        assertThat(store.recordVerdict("r1", win)).isEqualTo(VerdictResult.RECORDED);
        assertThat(store.recordVerdict("r1", new ShadowJudgement(Verdict.LOSS, "judge-gpt", "x", 1, T))).isEqualTo(VerdictResult.ALREADY_JUDGED);
        assertThat(store.recordVerdict("nope", win)).isEqualTo(VerdictResult.NOT_FOUND);
        assertThat(store.find("r1").orElseThrow().judgement()).contains(win);
    }

    @Test
    void talliesCountVerdictsOfOneRouteInTheWindow() {
        Verdict[] verdicts = {Verdict.WIN, Verdict.WIN, Verdict.TIE, Verdict.LOSS, null};
        for (int i = 0; i < verdicts.length; i++) {
            store.record(pair("c" + i, "chat", T.plusSeconds(i), "a", "b"));
            if (verdicts[i] != null) store.recordVerdict("c" + i, new ShadowJudgement(verdicts[i], "judge", "r", 10, T));
        }
        store.record(failed("f1", "chat", T.plusSeconds(9)));
        store.record(pair("late", "chat", T.plusSeconds(3600), "a", "b"));
        store.recordVerdict("late", new ShadowJudgement(Verdict.WIN, "judge", "r", 10, T));
        store.record(pair("s1", "summarize", T, "a", "b"));

        assertThat(store.tally("chat", T, T.plusSeconds(60))).isEqualTo(new Tally("chat", 6, 2, 1, 1, 2, 1));
        assertThat(store.tally("chat", T.plusSeconds(60), T.plusSeconds(7200))).isEqualTo(new Tally("chat", 1, 1, 0, 0, 0, 0));
        assertThat(store.tally("nowhere", T, T.plusSeconds(60))).isEqualTo(new Tally("nowhere", 0, 0, 0, 0, 0, 0));
        assertThat(store.unjudged("chat", T, T.plusSeconds(60), 10)).extracting(p -> p.pair().requestId()).containsExactly("c4");
    }

    @Test
    void sideTrafficCountsErrorsAndInterpolatesLatencyPercentilesOfSuccesses() {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 1; i <= 10; i++) events.add(served("c" + i, T.plusSeconds(i), "t", "chat", "gpt-4o", DeploymentClass.CLOSED, i * 10, 200, false));
        events.add(served("c-err", T, "t", "chat", "gpt-4o", DeploymentClass.CLOSED, 30_000, 502, false));
        events.add(served("c-429", T, "t", "chat", "gpt-4o", DeploymentClass.CLOSED, 5, 429, false));
        events.add(served("c-400", T, "t", "chat", "gpt-4o", DeploymentClass.CLOSED, 7, 400, false)); // the caller's fault
        events.add(served("o1", T, "t", "chat", "llama", DeploymentClass.OPEN, 300, 200, true));
        events.add(served("o2", T, "t", "chat", "llama", DeploymentClass.OPEN, 500, 504, true));
        events.add(served("o3", T, "t", "chat", "llama", DeploymentClass.OPEN, 201, 200, false));
        events.add(served("x", T, "t", "summarize", "llama", DeploymentClass.OPEN, 1, 200, false));
        EvidenceDb.store(db, events);

        // closed successes 7,10..100 ms: p50 = 50, p95 = 95; open 201,300: p50 = 250.5 -> 251 (half away from zero), p95 = 295.05
        assertThat(store.sideTraffic("chat", T, T.plusSeconds(60), true)).containsExactly(
                new SideTraffic(DeploymentClass.CLOSED, 13, 2, 50, 95),
                new SideTraffic(DeploymentClass.OPEN, 3, 1, 251, 295));
        assertThat(store.sideTraffic("chat", T, T.plusSeconds(60), false)).containsExactly(
                new SideTraffic(DeploymentClass.CLOSED, 13, 2, 50, 95),
                new SideTraffic(DeploymentClass.OPEN, 1, 0, 201, 201));
        assertThat(store.sideTraffic("chat", T.plusSeconds(3600), T.plusSeconds(7200), true)).isEmpty();
    }

    @Test
    void latencyPercentilesMatchLinearInterpolationComputedInJava() {
        Random r = new Random(42);
        List<UsageEvent> events = new ArrayList<>();
        int[] ok = new int[200];
        for (int i = 0; i < ok.length; i++) {
            ok[i] = r.nextInt(5000);
            events.add(served("q" + i, T, "t", "chat", "llama", DeploymentClass.OPEN, ok[i], 200, false));
        }
        EvidenceDb.store(db, events);
        Arrays.sort(ok);
        SideTraffic open = store.sideTraffic("chat", T, T.plusSeconds(1), false).get(0);
        assertThat(open.latencyMsP50()).isEqualTo(percentile(ok, "0.5"));
        assertThat(open.latencyMsP95()).isEqualTo(percentile(ok, "0.95"));
    }

    /** PostgreSQL's percentile_cont: position f * (n - 1), linear between neighbours; rounded half up. */
    private static long percentile(int[] sorted, String fraction) {
        BigDecimal pos = new BigDecimal(fraction).multiply(BigDecimal.valueOf(sorted.length - 1));
        int lo = pos.intValue();
        BigDecimal frac = pos.subtract(BigDecimal.valueOf(lo));
        int hi = Math.min(lo + 1, sorted.length - 1);
        BigDecimal v = BigDecimal.valueOf(sorted[lo]).add(frac.multiply(BigDecimal.valueOf(sorted[hi] - sorted[lo])));
        return v.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
}
