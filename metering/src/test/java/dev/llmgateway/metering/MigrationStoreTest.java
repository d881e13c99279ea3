package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.llmgateway.metering.StoredMigrationState.Status;
import dev.llmgateway.metering.StoredMigrationTransition.Actor;
import dev.llmgateway.metering.StoredMigrationTransition.Kind;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MigrationStoreTest {
    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00.123456789Z");

    private static final AtomicInteger TRY = new AtomicInteger();
    private static final DataSource SHARED = TestDatabase.fresh(); // for the property: every try uses its own route

    private final DataSource db = TestDatabase.fresh();
    private final MigrationStore store = new MigrationStore(db);

    private static StoredMigrationTransition transition(String route, int from, int to, Kind kind, Instant at, Actor actor) {
        return new StoredMigrationTransition(route, from, to, kind, kind.name().toLowerCase() + " because", at, actor);
    }

    @Test
    void stateAndHistoryRoundTripInOrder() {
        assertThat(store.load("chat")).isEmpty();
        assertThat(store.save(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 0),
                transition("chat", 0, 0, Kind.START, T0, Actor.AUTO))).isEqualTo(MigrationStore.SaveResult.OK);
        StoredMigrationState v1 = store.load("chat").orElseThrow();
        assertThat(v1).isEqualTo(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 1));

        Instant t1 = T0.plusSeconds(3600);
        assertThat(store.save(new StoredMigrationState("chat", 1, Status.ACTIVE, t1, v1.version()),
                transition("chat", 0, 1, Kind.AUTO_PROMOTE, t1, Actor.AUTO))).isEqualTo(MigrationStore.SaveResult.OK);
        Instant t2 = t1.plusSeconds(60);
        assertThat(store.save(new StoredMigrationState("chat", 1, Status.PAUSED, t2, 2),
                transition("chat", 1, 1, Kind.PAUSE, t2, Actor.ADMIN))).isEqualTo(MigrationStore.SaveResult.OK);
        store.save(new StoredMigrationState("search", 0, Status.ACTIVE, T0, 0), transition("search", 0, 0, Kind.START, T0, Actor.AUTO));

        assertThat(store.load("chat")).contains(new StoredMigrationState("chat", 1, Status.PAUSED, t2, 3));
        assertThat(store.loadAll()).extracting(StoredMigrationState::route).containsExactly("chat", "search");
        assertThat(store.history("chat", 10)).extracting(StoredMigrationTransition::kind)
                .containsExactly(Kind.START, Kind.AUTO_PROMOTE, Kind.PAUSE);
        assertThat(store.history("chat", 10).get(2)).isEqualTo(transition("chat", 1, 1, Kind.PAUSE, t2, Actor.ADMIN));
        assertThat(store.history("chat", 2)).extracting(StoredMigrationTransition::kind)
                .containsExactly(Kind.AUTO_PROMOTE, Kind.PAUSE);
        assertThat(store.history("nowhere", 5)).isEmpty();
    }

    @Test
    void everyStatusAndKindSurvivesTheDatabase() {
        long version = 0;
        int i = 0;
        for (Kind kind : Kind.values()) {
            Status status = Status.values()[i++ % Status.values().length];
            Instant at = T0.plusSeconds(i);
            assertThat(store.save(new StoredMigrationState("r", i, status, at, version),
                    transition("r", i - 1, i, kind, at, Actor.ADMIN))).isEqualTo(MigrationStore.SaveResult.OK);
            version++;
            assertThat(store.load("r").orElseThrow().status()).isEqualTo(status);
        }
        assertThat(store.history("r", 100)).extracting(StoredMigrationTransition::kind).containsExactly(Kind.values());
    }

    @Test
    void aSaveDerivedFromAStaleVersionConflictsAndChangesNothing() {
        store.save(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 0), transition("chat", 0, 0, Kind.START, T0, Actor.AUTO));
        store.save(new StoredMigrationState("chat", 1, Status.ACTIVE, T0, 1), transition("chat", 0, 1, Kind.PROMOTE, T0, Actor.ADMIN));

        MigrationStore.SaveResult stale = store.save(new StoredMigrationState("chat", 0, Status.ROLLED_BACK, T0, 1),
                transition("chat", 1, 0, Kind.AUTO_ROLLBACK, T0, Actor.AUTO));
        MigrationStore.SaveResult recreate = store.save(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 0),
                transition("chat", 0, 0, Kind.START, T0, Actor.AUTO));

        assertThat(stale).isEqualTo(MigrationStore.SaveResult.CONFLICT);
        assertThat(recreate).isEqualTo(MigrationStore.SaveResult.CONFLICT);
        assertThat(store.load("chat")).contains(new StoredMigrationState("chat", 1, Status.ACTIVE, T0, 2));
        assertThat(store.history("chat", 10)).hasSize(2);
    }

    @Test
    void twoReplicasPromotingTheSameStageNeverBothSucceed() throws Exception {
        store.save(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 0), transition("chat", 0, 0, Kind.START, T0, Actor.AUTO));
        int replicas = 6;
        ExecutorService pool = Executors.newFixedThreadPool(replicas);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<MigrationStore.SaveResult>> results = new ArrayList<>();
        try {
            for (int r = 0; r < replicas; r++) {
                Instant at = T0.plusSeconds(r + 1);
                results.add(pool.submit(() -> {
                    StoredMigrationState seen = store.load("chat").orElseThrow();
                    go.await();
                    return store.save(new StoredMigrationState("chat", seen.stageIndex() + 1, Status.ACTIVE, at, seen.version()),
                            transition("chat", seen.stageIndex(), seen.stageIndex() + 1, Kind.AUTO_PROMOTE, at, Actor.AUTO));
                }));
            }
            Thread.sleep(100); // every replica has read version 1
            go.countDown();
            List<MigrationStore.SaveResult> outcomes = new ArrayList<>();
            for (Future<MigrationStore.SaveResult> f : results) outcomes.add(f.get());
            assertThat(outcomes).containsOnlyOnce(MigrationStore.SaveResult.OK);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.load("chat").orElseThrow().stageIndex()).isEqualTo(1);
        assertThat(store.history("chat", 10)).extracting(StoredMigrationTransition::kind).containsExactly(Kind.START, Kind.AUTO_PROMOTE);
    }

    @Test
    void aTransitionOfAnotherRouteOrStageIsRefused() {
        StoredMigrationState s = new StoredMigrationState("chat", 1, Status.ACTIVE, T0, 0);
        assertThatThrownBy(() -> store.save(s, transition("search", 0, 1, Kind.PROMOTE, T0, Actor.ADMIN)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.save(s, transition("chat", 0, 2, Kind.PROMOTE, T0, Actor.ADMIN)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.load("chat")).isEmpty();
    }

    @Test
    void historyCannotBeRewritten() throws SQLException {
        store.save(new StoredMigrationState("chat", 0, Status.ACTIVE, T0, 0), transition("chat", 0, 0, Kind.START, T0, Actor.AUTO));
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE migration_transitions SET reason = 'other'"))
                    .hasMessageContaining("append-only");
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM migration_transitions")).hasMessageContaining("append-only");
        }
        assertThat(store.history("chat", 1).get(0).reason()).isEqualTo("start because");
    }

    @Test
    void randomSavesWithStaleAndCurrentVersionsAgreeWithAReferenceModel() {
        qt().withExamples(15).withShrinkCycles(10).forAll(longs().all())
                .checkAssert(this::savesAgreeWithTheReference);
    }

    private void savesAgreeWithTheReference(long seed) {
        Random r = new Random(seed);
        MigrationStore shared = new MigrationStore(SHARED);
        String route = "route-" + TRY.incrementAndGet();
        long version = 0; // the reference: stored version, state and history
        StoredMigrationState state = null;
        List<StoredMigrationTransition> history = new ArrayList<>();
        for (int op = 0; op < 20; op++) {
            long claimed = r.nextInt(3) == 0 ? Math.max(0, version - 1 - r.nextInt(2)) : version;
            if (r.nextInt(10) == 0) claimed = version + 1; // a version from the future is as stale as one from the past
            int stage = r.nextInt(5);
            Instant at = T0.plusSeconds(op);
            StoredMigrationState next = new StoredMigrationState(route, stage,
                    StoredMigrationState.Status.values()[r.nextInt(StoredMigrationState.Status.values().length)], at, claimed);
            StoredMigrationTransition t = transition(route, state == null ? 0 : state.stageIndex(), stage,
                    Kind.values()[r.nextInt(Kind.values().length)], at, r.nextBoolean() ? Actor.AUTO : Actor.ADMIN);
            MigrationStore.SaveResult result = shared.save(next, t);
            if (claimed == version) {
                assertThat(result).isEqualTo(MigrationStore.SaveResult.OK);
                version++;
                state = new StoredMigrationState(route, next.stageIndex(), next.status(), next.since(), version);
                history.add(t);
            } else {
                assertThat(result).isEqualTo(MigrationStore.SaveResult.CONFLICT);
            }
            assertThat(shared.load(route)).isEqualTo(java.util.Optional.ofNullable(state));
        }
        assertThat(shared.history(route, 100)).isEqualTo(history);
    }
}
