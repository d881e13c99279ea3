package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Budget-aware routing reads a cached view of the team's used share: refreshed by the flush, moved by own settles. */
class BudgetRoutingViewTest {
    private static final long W = 1_000;
    private static final LeaseSizing MANUAL = LeaseSizing.defaults().withFlushInterval(Duration.ZERO);
    /** A route's {@code budget_downgrade.at_used: 0.8}, as the gateway compares it. */
    private static final int DOWNGRADE_AT_BP = 8_000;

    private final DataSource db = TestDatabase.fresh();
    private final AtomicInteger connections = new AtomicInteger();
    private final DataSource counted = counting(db, connections);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-12T10:00:00Z"));
    private final List<BudgetGuard> guards = new ArrayList<>();

    @AfterEach
    void close() {
        guards.forEach(BudgetGuard::close);
    }

    private BudgetGuard guard(DataSource ds, String replica) {
        BudgetGuard g = new BudgetGuard(ds, replica, clock, MANUAL);
        guards.add(g);
        return g;
    }

    private void teamBudget(String team, long limitMicros) {
        new TeamStore(db).createTeam(team, team, UseClass.COMMERCIAL);
        new BudgetStore(db).put(BudgetDefinition.forTeam(team, OptionalLong.of(limitMicros), OptionalLong.empty(),
                BudgetPeriod.MONTHLY, BudgetEnforcement.HARD, List.of()));
    }

    private static void spend(BudgetGuard g, String team, long micros) {
        Admission a = g.reserve(team, null, micros, 0);
        assertThat(a).isInstanceOf(Admission.Admitted.class);
        assertThat(g.settle(((Admission.Admitted) a).reservation(), micros, 0)).isTrue();
    }

    /** Asks the view many times and checks that not one connection was taken for it. */
    private int lookUpWithoutDatabase(BudgetGuard g, String team) {
        int before = connections.get();
        OptionalInt bp = OptionalInt.empty();
        for (int i = 0; i < 1_000; i++) {
            bp = g.routingUsedBasisPoints(team);
        }
        assertThat(connections.get()).as("routing lookups took a database connection").isEqualTo(before);
        return bp.orElseThrow();
    }

    @Test
    void routingCrossesTheDowngradeThresholdFromTheCachedViewWithNoDatabaseReadPerRequest() {
        teamBudget("t", 10 * W);
        BudgetGuard guard = guard(counted, "r1");
        BudgetGuard other = guard(db, "r2");

        int before = connections.get();
        assertThat(guard.routingUsedBasisPoints("t")).as("not in the view until asked once and refreshed").isEmpty();
        assertThat(connections.get()).isEqualTo(before);
        guard.flush();
        assertThat(lookUpWithoutDatabase(guard, "t")).isZero();

        spend(other, "t", 4 * W);
        other.flush();
        assertThat(lookUpWithoutDatabase(guard, "t")).as("another replica's spend shows after the next refresh only").isZero();
        guard.flush();
        int afterRefresh = lookUpWithoutDatabase(guard, "t");
        assertThat(afterRefresh).as("the refreshed view agrees with the database status")
                .isEqualTo(guard.status("t").orElseThrow().usedBasisPoints()).isBetween(4_000, DOWNGRADE_AT_BP - 1);

        // This replica's own settles move the view between refreshes: 4 + 2 = 6, then 8 of 10 (the threshold).
        spend(guard, "t", 2 * W);
        assertThat(lookUpWithoutDatabase(guard, "t")).isEqualTo(6_000).isLessThan(DOWNGRADE_AT_BP);
        spend(guard, "t", 2 * W);
        assertThat(lookUpWithoutDatabase(guard, "t")).as("crossed the downgrade threshold with no refresh")
                .isGreaterThanOrEqualTo(DOWNGRADE_AT_BP);

        guard.flush();
        assertThat(lookUpWithoutDatabase(guard, "t")).as("after the flush, nothing counted twice or lost")
                .isEqualTo(guard.status("t").orElseThrow().usedBasisPoints()).isGreaterThanOrEqualTo(DOWNGRADE_AT_BP);
    }

    @Test
    void aTeamsFirstSettleFillsTheViewBeforeAnyRefresh() {
        teamBudget("u", 10 * W);
        BudgetGuard guard = guard(counted, "r1");
        assertThat(guard.routingUsedBasisPoints("u")).isEmpty();
        spend(guard, "u", 3 * W);
        assertThat(lookUpWithoutDatabase(guard, "u")).isGreaterThanOrEqualTo(3_000);
    }

    @Test
    void aTeamWithoutABudgetHasNoShareAndANewPeriodStartsAtZero() {
        new TeamStore(db).createTeam("free", "free", UseClass.COMMERCIAL);
        teamBudget("v", 10 * W);
        BudgetGuard guard = guard(counted, "r1");
        guard.routingUsedBasisPoints("free");
        guard.routingUsedBasisPoints("v");
        spend(guard, "v", 9 * W);
        guard.flush();
        assertThat(guard.routingUsedBasisPoints("free")).isEmpty();
        assertThat(lookUpWithoutDatabase(guard, "v")).isGreaterThanOrEqualTo(9_000);
        clock.set(Instant.parse("2026-06-01T00:00:00Z"));
        assertThat(lookUpWithoutDatabase(guard, "v")).as("June's budget is untouched").isZero();
    }

    private static DataSource counting(DataSource target, AtomicInteger connections) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) connections.incrementAndGet();
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
