package dev.llmgateway.bench.budgets;

import dev.llmgateway.metering.Admission;
import dev.llmgateway.metering.BudgetDefinition;
import dev.llmgateway.metering.BudgetEnforcement;
import dev.llmgateway.metering.BudgetGuard;
import dev.llmgateway.metering.BudgetPeriod;
import dev.llmgateway.metering.BudgetStore;
import dev.llmgateway.metering.LeaseSizing;
import dev.llmgateway.metering.Reservation;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.UseClass;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Admit + Meter budget hot path: {@code reserve} a worst case then {@code settle} the actual, against a hard
 * team budget and a key budget (two leases per request), with leases warm. {@code requestsPerLease} sets the lease
 * size: with 100, every ~100th request takes a database round trip to grow its lease. The database is an embedded
 * PostgreSQL on loopback behind a minimal connection pool, as the gateway's would be.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BudgetGuardBenchmark {
    private static final long WORST_CASE_MICROS = 2_000, ACTUAL_MICROS = 1_500, WORST_CASE_TOKENS = 1_200;
    private static final long LIMIT_MICROS = 10_000_000_000_000L; // 10 million USD: never runs out in a run

    @Param({"1000000", "100"})
    public long requestsPerLease;

    private EmbeddedPostgres postgres;
    private BudgetGuard guard;
    private String keyId;

    @Setup(Level.Trial)
    public void start() throws IOException {
        postgres = EmbeddedPostgres.builder().start();
        Schema.migrate(postgres.getPostgresDatabase());
        DataSource db = new PooledDataSource(postgres.getPostgresDatabase());
        TeamStore teams = new TeamStore(db);
        teams.createTeam("bench", "Bench", UseClass.COMMERCIAL);
        keyId = teams.issueKey("bench", "k", Optional.empty()).key().id();
        BudgetStore budgets = new BudgetStore(db);
        budgets.put(BudgetDefinition.forTeam("bench", OptionalLong.of(LIMIT_MICROS), OptionalLong.empty(), BudgetPeriod.MONTHLY,
                BudgetEnforcement.HARD, List.of(50, 80, 100)));
        budgets.put(new BudgetDefinition("bench", Optional.of(keyId), OptionalLong.of(LIMIT_MICROS), OptionalLong.empty(),
                BudgetPeriod.MONTHLY, BudgetEnforcement.HARD, List.of()));
        int slices = (int) Math.min(Integer.MAX_VALUE, LIMIT_MICROS / (WORST_CASE_MICROS * requestsPerLease));
        guard = new BudgetGuard(db, "bench", Clock.systemUTC(), LeaseSizing.defaults().withSlicesPerLimit(slices));
        for (int i = 0; i < 1_000; i++) reserveAndSettle();
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        guard.close();
        postgres.close();
    }

    @Benchmark
    @Threads(1)
    public Reservation reserveAndSettle() {
        return once();
    }

    @Benchmark
    @Threads(2)
    public Reservation reserveAndSettleTwoThreads() {
        return once();
    }

    private Reservation once() {
        Admission a = guard.reserve("bench", keyId, WORST_CASE_MICROS, WORST_CASE_TOKENS);
        if (!(a instanceof Admission.Admitted(Reservation r))) throw new IllegalStateException("not admitted: " + a);
        guard.settle(r, ACTUAL_MICROS, 900);
        return r;
    }
}
