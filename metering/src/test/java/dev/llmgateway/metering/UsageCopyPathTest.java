package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's COPY path ({@link UsageEventSql#copyNew}): same rows and the same once-only guarantee as the statement path. */
class UsageCopyPathTest {
    private static final Instant JUNE = Instant.parse("2025-06-01T10:00:00Z");
    private static final Instant AUGUST = Instant.parse("2025-08-20T10:00:00Z");

    @TempDir
    Path dir;

    private final DataSource db = TestDatabase.fresh();

    @Test
    void everyFieldSurvivesTheBinaryCopyExactly() throws Exception {
        UsageEvent tricky = UsageEvent.builder("tricky-1", Instant.parse("2025-06-03T04:05:06.123456Z"))
                .team("te\tam", "k\\ey")
                .endUser("line\nbreak\r\n \\N \"quoted\" é 😀")
                .route("chat", null, "25%")
                .deployment("gpt-4o", null, "\\.", DeploymentClass.OPEN)
                .tokens(10, 20, 5)
                .tokenSource(TokenSource.ENGINE)
                .money(new MicroUsd(new BigDecimal("123.45678901234567")), new MicroUsd(new BigDecimal("99999999999999999999.00000000000001")), null)
                .timing(12, null)
                .outcome(502, "upstream\tfailed")
                .shadow(true)
                .licenseId("lic")
                .attempts("a:502;b:200")
                .cacheHit(new MicroUsd(new BigDecimal("0.00000000000001")))
                .build();
        List<UsageEvent> events = new ArrayList<>(UsageJournalTest.events("cp", 300));
        events.add(tricky);
        assertThat(copy(events)).isEqualTo(301);
        UsageQueries queries = new UsageQueries(db);
        for (UsageEvent e : events) assertThat(queries.byRequestId(e.requestId())).contains(e);
    }

    /**
     * The binary COPY stores what the statement path (text parameters parsed by PostgreSQL) stores: awkward money (every
     * scale 0-14, zero, 10^-14, 20 integer digits, trailing zeros, negative scales) and times (a usage event keeps whole
     * microseconds, so both paths store its time unchanged, also next to a second boundary).
     */
    @Test
    void binaryCopyStoresExactlyWhatTheStatementPathStores() throws Exception {
        java.util.Random r = new java.util.Random(1809);
        List<UsageEvent> viaCopy = new ArrayList<>(), viaStatement = new ArrayList<>();
        String[] fixed = {"0", "0.00000000000001", "99999999999999999999.99999999999999", "1E+3", "10000", "0.50000000000000",
                "123.45678901234567", "1.0001", "0.0001", "9999.9999"};
        for (int i = 0; i < 400; i++) {
            BigDecimal[] m = new BigDecimal[4];
            for (int k = 0; k < 4; k++) {
                m[k] = i < fixed.length ? new BigDecimal(fixed[(i + k) % fixed.length])
                        : new BigDecimal(java.math.BigInteger.valueOf(r.nextLong() & Long.MAX_VALUE).shiftRight(r.nextInt(63)), r.nextInt(15));
            }
            Instant t = JUNE.plusSeconds(r.nextInt(86_400)).plusNanos(switch (i % 4) {
                case 0 -> r.nextInt(1_000_000_000);           // any nanos
                case 1 -> r.nextInt(1_000_000) * 1000L;       // whole microseconds
                case 2 -> r.nextInt(1_000_000) * 1000L + 500; // exactly half a microsecond
                default -> 999_999_500 + r.nextInt(500);      // rounds up into the next second
            });
            for (List<UsageEvent> into : List.of(viaCopy, viaStatement)) {
                into.add(UsageEvent.builder((into == viaCopy ? "bc-" : "bs-") + i, t).team("ads", "k")
                        .route("chat", null, null).deployment("gpt-4o", "openai", "m", DeploymentClass.CLOSED)
                        .tokens(r.nextInt(5), 2, 0).money(new MicroUsd(m[0]), new MicroUsd(m[1]), i % 7 == 0 ? null : new MicroUsd(m[2]))
                        .timing(5, i % 3 == 0 ? null : 3).cacheHit(new MicroUsd(m[3])).build());
            }
        }
        assertThat(copy(viaCopy)).isEqualTo(400);
        try (Connection c = db.getConnection()) {
            assertThat(UsageEventSql.insertNew(c, viaStatement)).isEqualTo(400);
        }
        UsageQueries queries = new UsageQueries(db);
        String cols = "time, provider_cost_micros, team_charge_micros, baseline_cost_micros, cache_saved_micros, ttft_ms";
        for (int i = 0; i < 400; i++) {
            UsageEvent copied = queries.byRequestId("bc-" + i).orElseThrow();
            UsageEvent stated = queries.byRequestId("bs-" + i).orElseThrow();
            assertThat(copied.time()).as("time of " + viaCopy.get(i).time()).isEqualTo(stated.time());
            assertThat(copied.providerCostMicros()).isEqualTo(stated.providerCostMicros());
            assertThat(copied.teamChargeMicros()).isEqualTo(stated.teamChargeMicros());
            assertThat(copied.baselineCostMicros()).isEqualTo(stated.baselineCostMicros());
            assertThat(copied.cacheSavedMicros()).isEqualTo(stated.cacheSavedMicros());
            assertThat(copied.ttftMs()).isEqualTo(stated.ttftMs());
            assertThat(UsageDb.text(db, "SELECT " + cols + " FROM usage_events WHERE request_id = 'bc-" + i + "'"))
                    .isEqualTo(UsageDb.text(db, "SELECT " + cols + " FROM usage_events WHERE request_id = 'bs-" + i + "'"));
        }
    }

    @Test
    void duplicatesWithinABatchAreStoredOnceTheFirstWins() throws Exception {
        List<UsageEvent> batch = List.of(UsageFixtures.event("a", JUNE, "ads", 1, 10, 1),
                UsageFixtures.event("b", JUNE, "ads", 1, 20, 1),
                UsageFixtures.event("a", JUNE.plusSeconds(5), "ads", 1, 40, 1),
                UsageFixtures.event("a", AUGUST, "ads", 1, 80, 1));
        assertThat(copy(batch)).isEqualTo(2);
        assertThat(UsageDb.rows(db)).isEqualTo(2);
        assertThat(charged("ads")).isEqualTo(MicroUsd.ofMicros(30));
    }

    @Test
    void idsStoredEarlierAreSkippedEvenInAnotherMonthAndByTheOtherPath() throws Exception {
        try (Connection c = db.getConnection()) {
            UsageEventSql.ensureMonth(c, java.time.YearMonth.of(2025, 6));
            UsageEventSql.ensureMonth(c, java.time.YearMonth.of(2025, 8));
        }
        assertThat(copy(List.of(UsageFixtures.event("x", JUNE, "ads", 1, 100, 1)))).isEqualTo(1);
        try (Connection c = db.getConnection()) {
            UsageEventSql.insertNew(c, List.of(UsageFixtures.event("y", JUNE, "ads", 1, 200, 1)));
        }
        // A replay of x a month later (another partition), y stored by the statement path, and one new id.
        assertThat(copy(List.of(UsageFixtures.event("x", AUGUST, "ads", 1, 1000, 1),
                UsageFixtures.event("y", AUGUST, "ads", 1, 2000, 1),
                UsageFixtures.event("z", AUGUST, "ads", 1, 4000, 1)))).isEqualTo(1);
        assertThat(copy(List.of(UsageFixtures.event("x", JUNE, "ads", 1, 100, 1)))).isZero();
        assertThat(UsageDb.rows(db)).isEqualTo(3);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_request_ids")).isEqualTo(3);
        assertThat(charged("ads")).isEqualTo(MicroUsd.ofMicros(4300));
        // Each row in its month's partition (COPY into the parent routes them).
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_events_2025m06")).isEqualTo(2);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_events_2025m08")).isEqualTo(1);
    }

    @Test
    void aPoisonRowInACopyBatchIsDeadLetteredAndTheOthersAreStored() throws Exception {
        UsageWriterTest.exec(db, "ALTER TABLE usage_events ADD CONSTRAINT no_poison CHECK (end_user IS DISTINCT FROM 'poison')");
        List<UsageEvent> events = new ArrayList<>(UsageJournalTest.events("pz", 400));
        UsageEvent checked = events.get(137);
        events.set(137, UsageEvent.builder(checked.requestId(), checked.time()).team("ads", "k").endUser("poison")
                .route("chat", null, null).deployment("gpt-4o", "openai", "m", DeploymentClass.CLOSED).tokens(1, 1, 0)
                .money(5, 5, 5).timing(1, 1).build());
        UsageEvent nul = events.get(321);
        events.set(321, UsageEvent.builder(nul.requestId(), nul.time()).team("ads", "k").route("chat", null, null)
                .deployment("gpt-4o", "openai", "m", DeploymentClass.CLOSED).tokens(1, 1, 0).money(7, 7, 7).timing(1, 1)
                .attempts("a\u0000b").build());
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, new UsageWriter.Options(400, Duration.ofMillis(10),
                     Duration.ofMillis(20), Duration.ofMillis(200))).start()) {
            UsageJournalTest.appendAll(journal, events);
            assertThat(writer.awaitDrained(Duration.ofSeconds(60))).isTrue();
            assertThat(writer.deadLettered()).isEqualTo(2);
            assertThat(writer.storedRecords()).isEqualTo(398);
            assertThat(writer.deadLetters().list(java.util.Optional.empty(), 10)).extracting(DeadLetters.Letter::requestId)
                    .containsExactlyInAnyOrder(checked.requestId(), nul.requestId());
        }
        assertThat(UsageDb.rows(db)).isEqualTo(398);
        MicroUsd expected = events.stream().filter(e -> e != events.get(137) && e != events.get(321) && !e.shadow())
                .map(UsageEvent::teamChargeMicros).reduce(MicroUsd.ZERO, MicroUsd::plus);
        assertThat(new UsageQueries(db).total(UsageQueries.Filter.all()).teamChargeMicros()).isEqualTo(expected);
    }

    @Test
    void aConcurrentWriterThatStoresAnIdAfterTheLookUpMakesTheBatchFallBackWithoutLosingRows() throws Exception {
        try (Connection first = db.getConnection(); Connection second = db.getConnection()) {
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            assertThat(UsageEventSql.copyNew(first, List.of(UsageFixtures.event("p", JUNE, "ads", 1, 1, 1),
                    UsageFixtures.event("q", JUNE, "ads", 1, 2, 1)))).isEqualTo(2);
            int secondPid = pid(second);
            // The second writer's look-up cannot see q (not committed); its COPY then waits on q's key.
            CompletableFuture<Integer> other = CompletableFuture.supplyAsync(() -> {
                try {
                    int n = UsageEventSql.copyNew(second, List.of(UsageFixtures.event("q", JUNE, "ads", 1, 20, 1),
                            UsageFixtures.event("r", AUGUST, "ads", 1, 40, 1)));
                    second.commit();
                    return n;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!waitingOnLock(secondPid)) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(10);
            }
            first.commit();
            assertThat(other.get(20, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(UsageDb.rows(db)).isEqualTo(3);
        assertThat(charged("ads")).isEqualTo(MicroUsd.ofMicros(43));
    }

    @Test
    void twoWritersWithOverlappingIdsStoreEachRequestAndItsMoneyExactlyOnce() throws Exception {
        Random r = new Random(18);
        Map<String, UsageEvent> all = new LinkedHashMap<>();
        for (UsageEvent e : UsageJournalTest.events("cc", 3000)) all.put(e.requestId(), e);
        List<UsageEvent> a = new ArrayList<>(all.values());
        List<UsageEvent> b = new ArrayList<>(all.values().stream().filter(e -> r.nextInt(3) > 0).toList());
        Collections.shuffle(a, r);
        Collections.shuffle(b, r);
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<Integer> wa = CompletableFuture.supplyAsync(() -> writeAll(a, go));
        CompletableFuture<Integer> wb = CompletableFuture.supplyAsync(() -> writeAll(b, go));
        go.countDown();
        int stored = wa.get(60, TimeUnit.SECONDS) + wb.get(60, TimeUnit.SECONDS);
        assertThat(stored).isEqualTo(3000);
        assertThat(UsageDb.rows(db)).isEqualTo(3000);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_request_ids")).isEqualTo(3000);
        MicroUsd expected = all.values().stream().filter(e -> !e.shadow()).map(UsageEvent::teamChargeMicros)
                .reduce(MicroUsd.ZERO, MicroUsd::plus);
        assertThat(new UsageQueries(db).total(UsageQueries.Filter.all()).teamChargeMicros()).isEqualTo(expected);
    }

    /** Writes {@code events} in batches of 100 on its own connection, each batch its own transaction; returns rows new. */
    private int writeAll(List<UsageEvent> events, CountDownLatch go) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            go.await();
            int n = 0;
            for (int i = 0; i < events.size(); i += 100) {
                n += UsageEventSql.copyNew(c, events.subList(i, Math.min(events.size(), i + 100)));
                c.commit();
            }
            return n;
        } catch (SQLException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private int copy(List<UsageEvent> events) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            int n = UsageEventSql.copyNew(c, events);
            c.commit();
            return n;
        }
    }

    private MicroUsd charged(String team) {
        return new UsageQueries(db).total(UsageQueries.Filter.all().team(team)).teamChargeMicros();
    }

    private static int pid(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_backend_pid()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            int pid = rs.getInt(1);
            c.commit();
            return pid;
        }
    }

    private boolean waitingOnLock(int pid) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = ?")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
