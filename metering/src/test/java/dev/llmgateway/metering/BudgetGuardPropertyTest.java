package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.budget.LeaseLedger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Replays random request streams against real guards on a real database and against an independent model of what
 * a hard budget must do: admit a worst case {@code w} iff {@code spent + reserved + w <= limit}.
 */
class BudgetGuardPropertyTest {
    private static DataSource db;
    private static final AtomicInteger TEAMS = new AtomicInteger();

    private static synchronized DataSource db() {
        if (db == null) db = TestDatabase.fresh();
        return db;
    }

    sealed interface Step {}

    record Reserve(long micros, boolean secondReplica) implements Step {}

    /** Settles an open reservation at {@code quarters}/4 of its worst case (above 4: the provider overspent). */
    record Settle(int pick, int quarters) implements Step {}

    record Release(int pick) implements Step {}

    record Flush() implements Step {}

    record Advance(int seconds) implements Step {}

    @Provide
    Arbitrary<List<Step>> steps() {
        // Positive costs only: a zero-cost reservation cannot overspend, and whether it is admitted once the budget is
        // already overspent depends on lease state (admitted while a lease is held); docs/budgets.md says so.
        Arbitrary<Step> reserve = Arbitraries.longs().between(1, 4_000).flatMap(m ->
                Arbitraries.of(true, false).map(second -> new Reserve(m, second)));
        Arbitrary<Step> settle = Arbitraries.integers().between(0, 1_000).flatMap(p ->
                Arbitraries.integers().between(0, 6).map(q -> new Settle(p, q)));
        Arbitrary<Step> release = Arbitraries.integers().between(0, 1_000).map(Release::new);
        Arbitrary<Step> flush = Arbitraries.just(new Flush());
        Arbitrary<Step> advance = Arbitraries.integers().between(1, 40).map(Advance::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, reserve), net.jqwik.api.Tuple.of(4, settle), net.jqwik.api.Tuple.of(1, release),
                net.jqwik.api.Tuple.of(1, flush), net.jqwik.api.Tuple.of(1, advance)).list().ofMinSize(5).ofMaxSize(60);
    }

    private record Open(Reservation reservation, BudgetGuard guard, long micros) {}

    /** One replica: every admission decision equals the model's, and the stored spend equals the model's to the micro. */
    @Property(tries = 40)
    void aSingleReplicaAdmitsExactlyWhatTheModelAdmitsAndStoresTheSameSpend(
            @ForAll @LongRange(min = 1, max = 20_000) long limit, @ForAll @IntRange(min = 1, max = 30) int slices,
            @ForAll("steps") List<Step> steps) {
        run(limit, slices, steps, false);
    }

    /** Two replicas: admissions may differ from the model (leases held elsewhere), but never exceed the limit. */
    @Property(tries = 40)
    void twoReplicasNeverAdmitBeyondTheLimit(
            @ForAll @LongRange(min = 1, max = 20_000) long limit, @ForAll @IntRange(min = 1, max = 30) int slices,
            @ForAll("steps") List<Step> steps) {
        run(limit, slices, steps, true);
    }

    private void run(long limit, int slices, List<Step> steps, boolean twoReplicas) {
        DataSource ds = db();
        String team = "p" + TEAMS.incrementAndGet();
        new TeamStore(ds).createTeam(team, team, UseClass.COMMERCIAL);
        Budget budget = new BudgetStore(ds).put(BudgetDefinition.forTeam(team, OptionalLong.of(limit), OptionalLong.empty(),
                BudgetPeriod.MONTHLY, BudgetEnforcement.HARD, List.of()));
        MutableClock clock = new MutableClock(Instant.parse("2026-07-15T12:00:00Z"));
        LeaseSizing sizing = LeaseSizing.defaults().withFlushInterval(Duration.ZERO).withSlicesPerLimit(slices);
        BudgetGuard a = new BudgetGuard(ds, "a", clock, sizing), b = new BudgetGuard(ds, "b", clock, sizing);
        try {
            long spent = 0, reserved = 0;
            boolean overspent = false;
            List<Open> open = new ArrayList<>();
            for (Step step : steps) {
                switch (step) {
                    case Reserve r -> {
                        BudgetGuard g = twoReplicas && r.secondReplica() ? b : a;
                        boolean modelAdmits = spent + reserved + r.micros() <= limit;
                        Admission adm = g.reserve(team, null, r.micros(), 0);
                        if (!twoReplicas) assertThat(adm instanceof Admission.Admitted).as("admits %s", r).isEqualTo(modelAdmits);
                        if (adm instanceof Admission.Admitted(Reservation res)) {
                            open.add(new Open(res, g, r.micros()));
                            reserved += r.micros();
                            if (!overspent) assertThat(spent + reserved).isLessThanOrEqualTo(limit);
                        }
                    }
                    case Settle s when !open.isEmpty() -> {
                        Open o = open.remove(s.pick() % open.size());
                        long actual = o.micros() * s.quarters() / 4;
                        assertThat(o.guard().settle(o.reservation(), actual, 0)).isTrue();
                        assertThat(o.guard().settle(o.reservation(), actual, 0)).isFalse();
                        reserved -= o.micros();
                        spent += actual;
                        overspent |= actual > o.micros();
                    }
                    case Release rel when !open.isEmpty() -> {
                        Open o = open.remove(rel.pick() % open.size());
                        assertThat(o.guard().release(o.reservation())).isTrue();
                        reserved -= o.micros();
                    }
                    case Flush f -> {
                        a.flush();
                        b.flush();
                    }
                    case Advance adv -> clock.advance(Duration.ofSeconds(adv.seconds()));
                    default -> {}
                }
            }
            for (Open o : open) {
                o.guard().settle(o.reservation(), o.micros(), 0);
                spent += o.micros();
            }
            a.flush();
            b.flush();
            BudgetUsage usage = a.status(team).orElseThrow().money().orElseThrow();
            assertThat(usage.spent()).isEqualTo(spent);
            assertThat(usage.overLimit()).isEqualTo(Math.max(0, spent - limit));
            if (!overspent) assertThat(usage.spent()).isLessThanOrEqualTo(limit);
            new LeaseLedger(ds).checkPeriodAgainstLeases(budget.id(), BudgetPeriod.MONTHLY.start(clock.instant()));
        } finally {
            a.close();
            b.close();
        }
    }
}
