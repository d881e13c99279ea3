package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class RoutingCalibrationStoreTest {
    private static final Instant T = Instant.parse("2025-06-01T10:00:00Z");
    private final DataSource db = TestDatabase.fresh();
    private final RoutingCalibrationStore store = new RoutingCalibrationStore(db);

    private static int[] bins(int at, int count) {
        int[] b = new int[1024];
        b[at] = count;
        return b;
    }

    @Test
    void eachReplicaSeesItsOwnRowAndTheFreshSumOfTheOthers() {
        store.publish("smart", "a", bins(10, 5), T);
        store.publish("smart", "a", bins(20, 7), T.plusSeconds(10)); // replaces
        store.publish("smart", "b", bins(20, 3), T.plusSeconds(10));
        store.publish("smart", "c", bins(900, 4), T.plusSeconds(10));
        store.publish("smart", "stale", bins(500, 100), T.minusSeconds(3600));
        store.publish("other", "b", bins(1, 1), T);

        assertThat(store.own("smart", "a").orElseThrow()).isEqualTo(bins(20, 7));
        assertThat(store.own("smart", "z")).isEmpty();
        int[] others = store.others("smart", "a", T).orElseThrow();
        int[] expected = bins(20, 3);
        expected[900] = 4;
        assertThat(others).isEqualTo(expected);
        assertThat(store.others("smart", "a", T.plusSeconds(60))).isEmpty();
    }

    @Test
    void meanOutputTokensCountOnlySuccessfulNonShadowAnswersOfDeploymentsWithEnoughOfThem() {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(UsageEvent.builder("a" + i, T.plusSeconds(i)).team("t", "k").route("r", "fixed", null)
                    .deployment("llama", "p", "m", DeploymentClass.OPEN).tokens(10, 100 + i, 0).money(1, 1, 1)
                    .timing(10, null).outcome(200, null).build());
        }
        events.add(UsageEvent.builder("err", T).team("t", "k").route("r", "fixed", null)
                .deployment("llama", "p", "m", DeploymentClass.OPEN).tokens(10, 9999, 0).money(1, 1, 1)
                .timing(10, null).outcome(502, "upstream_failed").build());
        events.add(UsageEvent.builder("sh", T).team("t", "k").route("r", "fixed", null)
                .deployment("llama", "p", "m", DeploymentClass.OPEN).tokens(10, 9999, 0).money(1, 1, 1)
                .timing(10, null).outcome(200, null).shadow(true).build());
        events.add(UsageEvent.builder("few", T).team("t", "k").route("r", "fixed", null)
                .deployment("gpt", "p", "m", DeploymentClass.CLOSED).tokens(10, 50, 0).money(1, 1, 1)
                .timing(10, null).outcome(200, null).build());
        EvidenceDb.store(db, events);
        // llama: 100..109, mean 104.5 -> 105 (rounded half away from zero); gpt has one answer, below the minimum.
        assertThat(store.meanOutputTokens(T.minusSeconds(1), 5)).isEqualTo(Map.of("llama", 105L));
        assertThat(store.meanOutputTokens(T.minusSeconds(1), 1)).isEqualTo(Map.of("gpt", 50L, "llama", 105L));
        assertThat(store.meanOutputTokens(T.plusSeconds(3600), 1)).isEmpty();
    }
}
