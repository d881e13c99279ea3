package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.budget.LeaseLedger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BudgetGuardTest {
    private static final long W = 1_000; // one request's worst case: 0.001 USD
    private static final LeaseSizing MANUAL = LeaseSizing.defaults().withFlushInterval(Duration.ZERO);

    private final DataSource db = TestDatabase.fresh();
    private final BudgetStore budgets = new BudgetStore(db);
    private final TeamStore teams = new TeamStore(db);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-12T10:00:00Z"));
    private final List<BudgetGuard> guards = new ArrayList<>();

    @AfterEach
    void closeGuards() {
        guards.forEach(BudgetGuard::close);
    }

    private BudgetGuard guard(String replica) { return guard(replica, MANUAL, BudgetAlertListener.NONE); }

    private BudgetGuard guard(String replica, LeaseSizing sizing, BudgetAlertListener listener) {
        BudgetGuard g = new BudgetGuard(db, replica, clock, sizing, listener);
        guards.add(g);
        return g;
    }

    private Budget teamBudget(String team, long limitMicros, BudgetPeriod period, BudgetEnforcement enforcement, Integer... alerts) {
        teams.createTeam(team, team, UseClass.COMMERCIAL);
        return budgets.put(BudgetDefinition.forTeam(team, OptionalLong.of(limitMicros), OptionalLong.empty(), period, enforcement, List.of(alerts)));
    }

    private static Reservation admitted(Admission a) {
        assertThat(a).isInstanceOf(Admission.Admitted.class);
        return ((Admission.Admitted) a).reservation();
    }

    private BudgetUsage money(BudgetGuard g, String team) {
        return g.status(team).orElseThrow().money().orElseThrow();
    }

    private void checkLedger(Budget b) {
        new LeaseLedger(db).checkPeriodAgainstLeases(b.id(), b.definition().period().start(clock.instant()));
    }

    @Test
    void hardBudgetRejectsRequestThatWouldOverspend() {
        teamBudget("search", 10 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        guard.settle(admitted(guard.reserve("search", null, 9 * W, 0)), 9 * W, 0);

        Admission a = guard.reserve("search", null, 2 * W, 0);

        assertThat(a).isInstanceOfSatisfying(Admission.Rejected.class, r -> {
            assertThat(r.unit()).isEqualTo(BudgetUnit.MICROS_USD);
            assertThat(r.limit()).isEqualTo(10 * W);
            assertThat(r.spentAndReserved()).isEqualTo(9 * W);
            assertThat(r.periodEnd()).hasValue(Instant.parse("2026-06-01T00:00:00Z"));
            assertThat(r.reason()).contains("team search", "monthly budget of 0.010000 USD");
        });
        admitted(guard.reserve("search", null, W, 0)); // exactly what is left still fits
    }

    @Test
    void teamsWithoutBudgetsAreAlwaysAdmitted() {
        teams.createTeam("free", "Free", UseClass.RESEARCH);
        BudgetGuard guard = guard("r1");
        Reservation r = admitted(guard.reserve("free", "key_x", Long.MAX_VALUE / 2, 1_000_000));
        assertThat(guard.settle(r, 5, 5)).isTrue();
        assertThat(guard.status("free")).isEmpty();
    }

    @Test
    void theInMemoryAdmissionServesOnlyTeamsAndKeysNoCachedBudgetAppliesTo() {
        teams.createTeam("free", "Free", UseClass.RESEARCH);
        teamBudget("capped", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        teams.createTeam("keyed", "Keyed", UseClass.COMMERCIAL);
        String key = teams.issueKey("keyed", "ci", Optional.empty()).key().id();
        String other = teams.issueKey("keyed", "web", Optional.empty()).key().id();
        budgets.put(new BudgetDefinition("keyed", Optional.of(key), OptionalLong.of(3 * W), OptionalLong.empty(), BudgetPeriod.DAILY,
                BudgetEnforcement.HARD, List.of()));
        BudgetGuard guard = guard("r1");
        Instant now = clock.instant();
        // Definitions not cached yet: the caller must take the blocking path, which reads them.
        assertThat(guard.reserveIfUnbudgeted("free", null, W, 1, now)).isNull();
        admitted(guard.reserve("free", null, W, 1, now));
        Reservation r = admitted(guard.reserveIfUnbudgeted("free", null, W, 1, now));
        assertThat(r.holdsNothing()).isTrue();
        assertThat(guard.settle(r, 5, 5)).isTrue();
        assertThat(guard.settle(r, 5, 5)).as("settled once").isFalse();
        // A team budget applies: never decided in memory.
        guard.settle(admitted(guard.reserve("capped", null, W, 0, now)), W, 0);
        assertThat(guard.reserveIfUnbudgeted("capped", null, W, 0, now)).isNull();
        assertThat(guard.reserve("capped", null, W, 0, now)).isInstanceOfSatisfying(Admission.Admitted.class,
                a -> assertThat(a.reservation().holdsNothing()).isFalse());
        // A key budget applies to its key only.
        admitted(guard.reserve("keyed", other, W, 0, now));
        assertThat(guard.reserveIfUnbudgeted("keyed", key, W, 0, now)).isNull();
        assertThat(guard.reserveIfUnbudgeted("keyed", other, W, 0, now)).isInstanceOf(Admission.Admitted.class);
        // Definitions due for a refresh (a budget may have been added meanwhile): the blocking path again.
        assertThat(guard.reserveIfUnbudgeted("free", null, W, 1, now.plus(LeaseSizing.defaults().definitionRefresh()))).isNull();
        // A budget created and the team invalidated (as the admin API does): no longer decided in memory.
        budgets.put(BudgetDefinition.forTeam("free", OptionalLong.of(W), OptionalLong.empty(), BudgetPeriod.DAILY, BudgetEnforcement.HARD, List.of()));
        guard.invalidate("free");
        assertThat(guard.reserveIfUnbudgeted("free", null, W, 1, now)).isNull();
        assertThat(guard.reserve("free", null, 2 * W, 1, now)).isInstanceOf(Admission.Rejected.class);
    }

    @Test
    void fiveHundredConcurrentReservationsAdmitExactlyTheHundredThatFit() throws Exception {
        Budget b = teamBudget("load", 100 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");

        int admitted = hammer(List.of(guard), "load", 500);

        assertThat(admitted).isEqualTo(100);
        BudgetUsage usage = money(guard, "load");
        assertThat(usage.spent()).isEqualTo(100 * W);
        assertThat(usage.overLimit()).isZero();
        checkLedger(b);
    }

    @Test
    void twoReplicasOnOneDatabaseTogetherAdmitExactlyTheHundredThatFit() throws Exception {
        Budget b = teamBudget("load", 100 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        LeaseSizing flushingOften = LeaseSizing.defaults().withFlushInterval(Duration.ofMillis(5)); // reports race with requests
        BudgetGuard a = guard("replica-a", flushingOften, BudgetAlertListener.NONE), c = guard("replica-b", flushingOften, BudgetAlertListener.NONE);

        int admitted = hammer(List.of(a, c), "load", 500);

        a.flush();
        c.flush();
        BudgetUsage usage = money(a, "load");
        assertThat(usage.spent()).isLessThanOrEqualTo(100 * W).isEqualTo(admitted * W);
        assertThat(admitted).isEqualTo(100);
        checkLedger(b);
    }

    /** Each thread reserves the worst case W and settles at exactly W; returns how many were admitted. */
    private int hammer(List<BudgetGuard> replicas, String team, int requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(requests);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger admitted = new AtomicInteger(), inFlightOrSpent = new AtomicInteger(), maxSeen = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            BudgetGuard g = replicas.get(i % replicas.size());
            done.add(pool.submit(() -> {
                start.await();
                Admission a = g.reserve(team, null, W, 0);
                if (a instanceof Admission.Admitted(Reservation r)) {
                    admitted.incrementAndGet();
                    maxSeen.accumulateAndGet(inFlightOrSpent.incrementAndGet(), Math::max);
                    g.settle(r, W, 0);
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) f.get();
        pool.shutdown();
        assertThat(maxSeen.get()).isLessThanOrEqualTo(100);
        return admitted.get();
    }

    @Test
    void softBudgetAdmitsOverTheLimitAndFlagsIt() {
        teamBudget("soft", 2 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.SOFT);
        BudgetGuard guard = guard("r1");
        guard.settle(admitted(guard.reserve("soft", null, 2 * W, 0)), 2 * W, 0);

        Admission a = guard.reserve("soft", null, W, 0);

        assertThat(a).isInstanceOfSatisfying(Admission.AdmittedOverSoftLimit.class, s -> {
            assertThat(s.limit()).isEqualTo(2 * W);
            assertThat(s.spentAndReserved()).isEqualTo(2 * W);
            guard.settle(s.reservation(), W, 0);
        });
        BudgetUsage usage = money(guard, "soft");
        assertThat(usage.spent()).isEqualTo(3 * W);
        assertThat(usage.overLimit()).isEqualTo(W);
        assertThat(usage.remaining()).isZero();
        assertThat(guard.status("soft").orElseThrow().usedBasisPoints()).isEqualTo(15_000);
    }

    @Test
    void settlingForLessThanReservedFreesTheDifference() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        Reservation big = admitted(guard.reserve("t", null, 10 * W, 0));
        assertThat(guard.reserve("t", null, 1, 0)).isInstanceOf(Admission.Rejected.class);

        guard.settle(big, 4 * W, 0);

        admitted(guard.reserve("t", null, 6 * W, 0));
        assertThat(guard.reserve("t", null, 1, 0)).isInstanceOf(Admission.Rejected.class);
    }

    @Test
    void releaseFreesTheWholeReservation() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        Reservation r = admitted(guard.reserve("t", null, 10 * W, 0));

        assertThat(guard.release(r)).isTrue();

        admitted(guard.reserve("t", null, 10 * W, 0));
        assertThat(money(guard, "t").spent()).isZero();
    }

    @Test
    void settlingOrReleasingTwiceChangesNothingTheSecondTime() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        Reservation r = admitted(guard.reserve("t", null, 5 * W, 0));

        assertThat(guard.settle(r, 3 * W, 0)).isTrue();
        assertThat(guard.settle(r, 3 * W, 0)).isFalse();
        assertThat(guard.release(r)).isFalse();

        BudgetUsage usage = money(guard, "t");
        assertThat(usage.spent()).isEqualTo(3 * W);
        assertThat(r.open()).isFalse();
    }

    @Test
    void spendAboveTheReservationIsRecordedNotLost() {
        Budget b = teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        Reservation r = admitted(guard.reserve("t", null, 9 * W, 0));

        guard.settle(r, 12 * W, 0); // the provider ignored max_tokens

        BudgetUsage usage = money(guard, "t");
        assertThat(usage.spent()).isEqualTo(12 * W);
        assertThat(usage.overLimit()).isEqualTo(2 * W);
        assertThat(guard.reserve("t", null, 1, 0)).isInstanceOf(Admission.Rejected.class);
        checkLedger(b);
    }

    @Test
    void aNewPeriodStartsFromZero() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        guard.settle(admitted(guard.reserve("t", null, 10 * W, 0)), 10 * W, 0);
        Reservation lateOne = admitted(guard.reserve("t", null, 0, 0));
        assertThat(guard.reserve("t", null, W, 0)).isInstanceOf(Admission.Rejected.class);

        clock.set(Instant.parse("2026-05-13T00:00:00Z"));

        Reservation r = admitted(guard.reserve("t", null, 10 * W, 0));
        guard.settle(lateOne, 0, 0); // settles into the period it was reserved in
        guard.settle(r, W, 0);
        BudgetStatus status = guard.status("t").orElseThrow();
        assertThat(status.periodStart()).isEqualTo(Instant.parse("2026-05-13T00:00:00Z"));
        assertThat(status.periodEnd()).hasValue(Instant.parse("2026-05-14T00:00:00Z"));
        assertThat(status.money().orElseThrow().spent()).isEqualTo(W);
    }

    @Test
    void aPausedReplicasExpiredLeaseCannotBeSpentAgainAndItsLateSpendReconcilesIt() {
        Budget b = teamBudget("t", 100 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.HARD);
        BudgetGuard paused = guard("paused"), healthy = guard("healthy");
        Reservation inFlight = admitted(paused.reserve("t", null, W, 0));
        for (int i = 0; i < 3; i++) paused.settle(admitted(paused.reserve("t", null, W, 0)), W, 0);
        long leased = new LeaseLedger(db).totals(b.id(), BudgetPeriod.MONTHLY.start(clock.instant())).orElseThrow().allocatedMicros();
        assertThat(leased).isGreaterThan(4 * W); // the lease holds more than was used

        clock.advance(Duration.ofSeconds(31)); // past the 30 s lease ttl without a renewal
        healthy.flush(); // any replica expires lapsed leases

        BudgetUsage usage = money(healthy, "t");
        assertThat(usage.spent()).as("the whole unreported lease is presumed spent").isEqualTo(leased);
        assertThat(budgets.expiredLeases("t")).hasSize(1);
        // The paused replica wakes up: it must not spend its old lease, it takes a new one.
        Reservation after = admitted(paused.reserve("t", null, W, 0));
        paused.settle(after, W, 0);
        paused.settle(inFlight, W, 0);
        paused.flush(); // its lost lease had nothing in flight any more: reported in full and reconciled

        assertThat(budgets.expiredLeases("t")).isEmpty();
        usage = money(healthy, "t");
        assertThat(usage.spent()).isEqualTo(5 * W);
        checkLedger(b);
    }

    @Test
    void aCrashedReplicasLeaseIsCountedAsSpentUntilReconciledFromItsActualUsage() {
        Budget b = teamBudget("t", 100 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.HARD);
        BudgetGuard crashed = new BudgetGuard(db, "crashed", clock, MANUAL); // never flushed nor closed
        BudgetGuard healthy = guard("healthy");
        for (int i = 0; i < 2; i++) crashed.settle(admitted(crashed.reserve("t", null, W, 0)), W, 0);

        clock.advance(Duration.ofMinutes(1));
        healthy.flush();
        long presumed = money(healthy, "t").spent();
        assertThat(presumed).isGreaterThan(2 * W);
        int admitted = 0;
        while (healthy.reserve("t", null, W, 0) instanceof Admission.Admitted(Reservation r)) {
            healthy.settle(r, W, 0);
            admitted++;
        }
        assertThat(admitted * W + presumed).isEqualTo(100 * W);

        BudgetStore.ExpiredLease lease = budgets.expiredLeases("t").getFirst();
        assertThat(lease.replicaId()).isEqualTo("crashed");
        assertThat(budgets.reconcileExpiredLease(lease.leaseId(), 2 * W, 0)).isTrue();
        assertThat(budgets.reconcileExpiredLease(lease.leaseId(), 2 * W, 0)).isFalse();

        assertThat(money(healthy, "t").spent()).isEqualTo((admitted + 2) * W);
        admitted(healthy.reserve("t", null, presumed - 2 * W, 0));
        checkLedger(b);
    }

    /** Stores a usage row as the gateway's usage writer does: its connection names the replica, the column default records it. */
    private void storeUsage(String replica, String requestId, String team, long chargeMicros, Instant at) {
        try (java.sql.Connection c = db.getConnection()) {
            try (var st = c.createStatement()) {
                st.execute("SELECT set_config('gateway.replica_id', '" + replica + "', false)");
            }
            dev.llmgateway.metering.internal.usage.UsageEventSql.insertNew(c, List.of(UsageEvent.builder(requestId, at)
                    .team(team, null).route("chat", null, null).deployment("d", "p", "m", DeploymentClass.CLOSED)
                    .tokens(3, 4, 0).money(chargeMicros, chargeMicros, chargeMicros).build()));
            try (var st = c.createStatement()) {
                st.execute("RESET gateway.replica_id");
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aKilledReplicasExpiredLeaseIsReconciledAutomaticallyFromItsStoredUsage() {
        Budget b = teamBudget("t", 100 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.HARD);
        BudgetGuard killed = new BudgetGuard(db, "killed", clock, MANUAL); // never flushed nor closed: kill -9
        BudgetGuard healthy = guard("healthy").reconcilingFromUsage();
        for (int i = 0; i < 3; i++) {
            killed.settle(admitted(killed.reserve("t", null, W, 7)), W, 7);
            storeUsage("killed", "req-" + i, "t", W, clock.instant());
        }
        storeUsage("healthy", "req-other-replica", "t", W, clock.instant()); // not the killed replica's: must not count
        long leased = money(healthy, "t").reserved();
        assertThat(leased).as("the killed replica's lease holds more than it spent").isGreaterThan(3 * W);

        clock.advance(LeaseSizing.defaults().leaseTtl().plusSeconds(1));
        healthy.flush(); // expires the lapsed lease and reconciles it from the stored usage at once

        BudgetUsage usage = money(healthy, "t");
        assertThat(usage.spent()).as("only what the killed replica stored counts").isEqualTo(3 * W);
        assertThat(usage.reserved()).isZero();
        assertThat(budgets.expiredLeases("t")).isEmpty();
        checkLedger(b);

        // The killed replica restarts (same replica id, its data directory) and replays one more answered request.
        clock.advance(Duration.ofSeconds(11));
        storeUsage("killed", "req-replayed", "t", W, clock.instant().minusSeconds(12));
        healthy.flush();
        assertThat(money(healthy, "t").spent()).as("usage stored late is added").isEqualTo(4 * W);
        checkLedger(b);

        // A late report by the killed replica itself (it was only paused) does not count twice.
        killed.flush();
        assertThat(money(healthy, "t").spent()).isEqualTo(4 * W);
        checkLedger(b);
        admitted(healthy.reserve("t", null, 96 * W, 0));
    }

    @Test
    void alertsFireOncePerThresholdPerPeriodEvenWithTwoReplicas() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.SOFT, 50, 80, 100);
        List<BudgetAlert> fired = new CopyOnWriteArrayList<>();
        BudgetGuard a = guard("a", MANUAL, fired::add), c = guard("b", MANUAL, fired::add);

        for (int i = 0; i < 12; i++) {
            BudgetGuard g = i % 2 == 0 ? a : c;
            Admission adm = g.reserve("t", null, W, 0);
            Reservation r = adm instanceof Admission.Admitted(Reservation x) ? x : ((Admission.AdmittedOverSoftLimit) adm).reservation();
            g.settle(r, W, 0);
            a.flush();
            c.flush();
        }

        assertThat(fired).extracting(BudgetAlert::thresholdPct).containsExactly(50, 80, 100);
        assertThat(fired.get(0).usedAmount()).isEqualTo(5 * W);
        assertThat(budgets.alerts("t")).hasSize(3);

        clock.advance(Duration.ofDays(1));
        Admission adm = a.reserve("t", null, 6 * W, 0);
        a.settle(((Admission.Admitted) adm).reservation(), 6 * W, 0);
        a.flush();
        c.flush();
        assertThat(fired).extracting(BudgetAlert::thresholdPct).containsExactly(50, 80, 100, 50);
    }

    @Test
    void aFailedAlertDeliveryIsRetriedUntilDeliveredAndRecorded() throws Exception {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.SOFT, 50);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        List<BudgetAlert> delivered = new CopyOnWriteArrayList<>();
        BudgetGuard g = guard("a", MANUAL, alert -> {
            if (calls.incrementAndGet() <= 2) throw new IllegalStateException("webhook down");
            delivered.add(alert);
        });
        Reservation r = admitted(g.reserve("t", null, 6 * W, 0));
        g.settle(r, 6 * W, 0);
        g.flush();
        assertThat(delivered).isEmpty();
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM budget_alerts")).as("recorded before delivery").isEqualTo(1);
        assertThat(UsageDb.scalar(db, "SELECT delivery_attempts FROM budget_alerts")).isEqualTo(1);
        g.flush();
        g.flush();
        assertThat(delivered).extracting(BudgetAlert::thresholdPct).containsExactly(50);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM budget_alerts WHERE delivered_at IS NOT NULL")).isEqualTo(1);
        g.flush();
        assertThat(calls.get()).as("delivered once, not again").isEqualTo(3);
    }

    @Test
    void anAlertThatNeverGoesThroughIsGivenUpWithARecord() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.SOFT, 50);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        BudgetGuard g = guard("a", MANUAL, alert -> {
            calls.incrementAndGet();
            throw new IllegalStateException("webhook gone");
        });
        g.settle(admitted(g.reserve("t", null, 6 * W, 0)), 6 * W, 0);
        for (int i = 0; i < BudgetGuard.ALERT_ATTEMPTS_MAX + 3; i++) g.flush();
        assertThat(calls.get()).isEqualTo(BudgetGuard.ALERT_ATTEMPTS_MAX);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM budget_alerts WHERE gave_up_at IS NOT NULL "
                + "AND last_error LIKE '%webhook gone%' AND delivered_at IS NULL")).isEqualTo(1);
    }

    @Test
    void aThresholdWhoseRecordFailedIsRecordedOnTheNextFlushWithTheOnesAfterIt() throws Exception {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.SOFT, 50, 80);
        List<BudgetAlert> fired = new CopyOnWriteArrayList<>();
        BudgetGuard g = guard("a", MANUAL, fired::add);
        g.settle(admitted(g.reserve("t", null, 9 * W, 0)), 9 * W, 0);
        // The alerts table refuses inserts for a moment (a database error while recording).
        UsageWriterTest.exec(db, "CREATE FUNCTION refuse_alert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "RAISE EXCEPTION 'alerts unavailable'; END; $$");
        UsageWriterTest.exec(db, "CREATE TRIGGER refuse_alert BEFORE INSERT ON budget_alerts FOR EACH ROW EXECUTE FUNCTION refuse_alert()");
        try {
            g.flush();
        } catch (RuntimeException expected) {
            // the flush reports the failure; nothing is marked as sent
        }
        assertThat(fired).isEmpty();
        UsageWriterTest.exec(db, "DROP TRIGGER refuse_alert ON budget_alerts");
        g.flush();
        assertThat(fired).extracting(BudgetAlert::thresholdPct).containsExactlyInAnyOrder(50, 80);
    }

    @Test
    void exactChargesBelowAMicroDollarAreSummedPerLeaseAndRoundedUpOnce() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard g = guard("a");
        for (int i = 0; i < 100; i++) g.settle(admitted(g.reserve("t", null, 4, 0)), MicroUsd.of(38, 1), 0);
        g.flush();
        assertThat(money(g, "t").spent()).as("100 x 3.8 = 380 exactly, not 100 x 4").isEqualTo(380);
    }

    @Test
    void aKeyBudgetLimitsOnlyItsKeyAndTheTeamBudgetStillApplies() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        String key = teams.issueKey("t", "ci", Optional.empty()).key().id();
        String other = teams.issueKey("t", "web", Optional.empty()).key().id();
        budgets.put(new BudgetDefinition("t", Optional.of(key), OptionalLong.of(3 * W), OptionalLong.empty(), BudgetPeriod.DAILY,
                BudgetEnforcement.HARD, List.of()));
        BudgetGuard guard = guard("r1");

        guard.settle(admitted(guard.reserve("t", key, 3 * W, 0)), 3 * W, 0);
        assertThat(guard.reserve("t", key, W, 0)).isInstanceOfSatisfying(Admission.Rejected.class,
                r -> assertThat(r.reason()).contains("key " + key));
        guard.settle(admitted(guard.reserve("t", other, 7 * W, 0)), 7 * W, 0);
        assertThat(guard.reserve("t", other, W, 0)).isInstanceOf(Admission.Rejected.class);

        assertThat(guard.statuses("t")).hasSize(2);
        assertThat(guard.status("t").orElseThrow().money().orElseThrow().spent()).isEqualTo(10 * W);
    }

    @Test
    void aTokenBudgetRejectsOnTokensAlone() {
        teams.createTeam("tok", "Tokens", UseClass.COMMERCIAL);
        budgets.put(BudgetDefinition.forTeam("tok", OptionalLong.empty(), OptionalLong.of(1_000), BudgetPeriod.WEEKLY,
                BudgetEnforcement.HARD, List.of()));
        BudgetGuard guard = guard("r1");
        Reservation r = admitted(guard.reserve("tok", null, 5 * W, 800));
        guard.settle(r, 5 * W, 700);

        assertThat(guard.reserve("tok", null, 0, 301)).isInstanceOfSatisfying(Admission.Rejected.class,
                x -> assertThat(x.unit()).isEqualTo(BudgetUnit.TOKENS));
        admitted(guard.reserve("tok", null, 99 * W, 300));
        BudgetStatus s = guard.status("tok").orElseThrow();
        assertThat(s.money()).isEmpty();
        assertThat(s.tokens().orElseThrow().spent()).isEqualTo(700);
        assertThat(s.tokens().orElseThrow().remaining()).isZero();
    }

    @Test
    void statusShowsSpentReservedAndRemainingAndTheEstimateMatches() {
        teamBudget("t", 100 * W, BudgetPeriod.MONTHLY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1", MANUAL.withSlicesPerLimit(1), BudgetAlertListener.NONE);
        guard.settle(admitted(guard.reserve("t", null, 10 * W, 0)), 10 * W, 0);
        Reservation open = admitted(guard.reserve("t", null, 5 * W, 0));

        assertThat(open.remainingMicrosUsdEstimate()).hasValue(85 * W);
        BudgetStatus s = guard.status("t").orElseThrow();
        BudgetUsage m = s.money().orElseThrow();
        assertThat(m.spent()).isEqualTo(10 * W);
        assertThat(m.spent() + m.reserved() + m.remaining()).isEqualTo(100 * W);
        assertThat(s.periodEnd()).hasValue(Instant.parse("2026-06-01T00:00:00Z"));
    }

    @Test
    void idleLeasesAreReturnedSoOtherReplicasCanUseThem() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard a = guard("a", MANUAL.withSlicesPerLimit(1), BudgetAlertListener.NONE), c = guard("b");
        a.settle(admitted(a.reserve("t", null, W, 0)), W, 0); // takes a big slice
        assertThat(c.reserve("t", null, 9 * W, 0)).isInstanceOf(Admission.Rejected.class);

        clock.advance(Duration.ofSeconds(11));
        a.flush();

        admitted(c.reserve("t", null, 9 * W, 0));
    }

    @Test
    void deletingABudgetWithLeasesOutstandingLeavesTheTeamUnlimited() {
        teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1");
        Reservation inFlight = admitted(guard.reserve("t", null, W, 0));
        guard.settle(admitted(guard.reserve("t", null, W, 0)), W, 0);

        assertThat(budgets.delete("t", Optional.empty())).isTrue();
        guard.settle(inFlight, W, 0);
        guard.flush(); // its leases went with the budget: nothing to report to, nothing fails
        guard.invalidate("t");

        admitted(guard.reserve("t", null, 100 * W, 0));
        assertThat(guard.status("t")).isEmpty();
    }

    @Test
    void aBackgroundFlushReportsSpendWithoutBeingAsked() throws Exception {
        Budget b = teamBudget("t", 10 * W, BudgetPeriod.DAILY, BudgetEnforcement.HARD);
        BudgetGuard guard = guard("r1", LeaseSizing.defaults().withFlushInterval(Duration.ofMillis(50)), BudgetAlertListener.NONE);
        guard.settle(admitted(guard.reserve("t", null, W, 0)), 2 * W, 0);
        LeaseLedger ledger = new LeaseLedger(db);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ledger.totals(b.id(), BudgetPeriod.DAILY.start(clock.instant())).orElseThrow().spentMicros() < 2 * W) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
