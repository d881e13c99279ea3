package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageWriterTest {
    private static final UsageWriter.Options FAST = new UsageWriter.Options(500, Duration.ofMillis(10),
            Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path dir;

    private final DataSource db = TestDatabase.fresh();

    @Test
    void writerDrainsTheJournalIntoPostgresWithEveryFieldIntact() throws Exception {
        List<UsageEvent> events = UsageJournalTest.events("w", 2000);
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            UsageJournalTest.appendAll(journal, events);
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.storedRecords()).isEqualTo(2000);
            assertThat(journal.unstoredRecords()).isZero();
        }
        assertThat(UsageDb.rows(db)).isEqualTo(2000);
        UsageQueries queries = new UsageQueries(db);
        for (UsageEvent e : events.subList(0, 50)) assertThat(queries.byRequestId(e.requestId())).contains(e);
        MicroUsd charged = events.stream().filter(e -> !e.shadow()).map(UsageEvent::teamChargeMicros).reduce(MicroUsd.ZERO, MicroUsd::plus);
        assertThat(queries.total(UsageQueries.Filter.all()).teamChargeMicros()).isEqualTo(charged);
    }

    @Test
    void aRequestIdAppendedTwiceIsStoredAndCountedOnce() throws Exception {
        Instant t = Instant.parse("2025-06-01T10:00:00Z");
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, new UsageWriter.Options(2, Duration.ofMillis(10),
                     Duration.ofMillis(20), Duration.ofMillis(200))).start()) {
            journal.append(UsageFixtures.event("dup", t, "search", 100, 110, 300)).join();
            journal.append(UsageFixtures.event("dup", t.plusSeconds(40 * 86400), "search", 100, 110, 300)).join(); // other month
            journal.append(UsageFixtures.event("other", t, "search", 1, 1, 1)).join();
            journal.append(UsageFixtures.event("dup", t, "search", 100, 110, 300)).join();
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.duplicateRecords()).isEqualTo(2);
        }
        assertThat(UsageDb.rows(db)).isEqualTo(2);
        assertThat(new UsageQueries(db).total(UsageQueries.Filter.all().team("search")).teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(111));
    }

    @Test
    void duplicatesInsideOneBatchAreStoredOnce() throws Exception {
        Instant t = Instant.parse("2025-06-01T10:00:00Z");
        try (UsageJournal journal = UsageJournal.open(dir)) {
            for (int i = 0; i < 5; i++) journal.append(UsageFixtures.event("same", t.plusSeconds(i), "ads", 7, 7, 7)).join();
            UsageWriter writer = new UsageWriter(journal, db, FAST);
            assertThat(writer.storeOneBatch()).isEqualTo(5);
            assertThat(writer.storedRecords()).isEqualTo(1);
        }
        assertThat(UsageDb.rows(db)).isEqualTo(1);
    }

    @Test
    void replayingTheSameJournalTwiceGivesTheSameTotals() throws Exception {
        Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
        try (UsageJournal journal = UsageJournal.open(dir)) {
            UsageJournalTest.appendAll(journal, UsageJournalTest.events("r", 1500));
        }
        copyDirectory(dir, copy);
        drain(dir, db);
        String once = UsageDb.totals(db);
        drain(copy, db);
        assertThat(UsageDb.totals(db)).isEqualTo(once);
        assertThat(UsageDb.rows(db)).isEqualTo(1500);
        assertThat(UsageDb.duplicateIds(db)).isZero();
    }

    @Test
    void whilePostgresIsDownTheJournalGrowsAndNothingIsLostWhenItReturns() throws Exception {
        SwitchableDataSource switchable = new SwitchableDataSource(SwitchableDataSource.unreachable());
        List<UsageEvent> events = UsageJournalTest.events("down", 1200);
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, switchable, FAST).start()) {
            UsageJournalTest.appendAll(journal, events.subList(0, 600));
            Thread.sleep(400);
            assertThat(writer.failures()).isPositive();
            assertThat(writer.lastError()).isPresent();
            assertThat(journal.unstoredRecords()).isEqualTo(600);

            UsageJournalTest.appendAll(journal, events.subList(600, 1200)); // appends keep working
            switchable.switchTo(db);
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.lastError()).isEmpty();
        }
        assertThat(UsageDb.rows(db)).isEqualTo(1200);
        assertThat(UsageDb.duplicateIds(db)).isZero();
    }

    @Test
    void aDatabaseFailureAfterTheInsertRollsBackAndTheBatchIsRetried() throws Exception {
        // A trigger that fails the first insert into usage_events: the request ids inserted in the same statement
        // must be rolled back too, or the retry would skip them as duplicates and lose them.
        exec(db, "CREATE TABLE fail_once (n int); INSERT INTO fail_once VALUES (1);"
                + "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF EXISTS (SELECT 1 FROM fail_once) THEN DELETE FROM fail_once; "
                + "RAISE EXCEPTION 'injected failure' USING ERRCODE = '58030'; END IF; "
                + "RETURN NEW; END $$;"
                + "CREATE TRIGGER fail_once BEFORE INSERT ON usage_events FOR EACH STATEMENT EXECUTE FUNCTION fail_once();");
        // The DELETE above is rolled back with the failed statement; commit the "already failed" state separately.
        // The failure is an I/O error in the server (class 58): transient, so the batch is retried, not dead-lettered.
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            UsageJournalTest.appendAll(journal, UsageJournalTest.events("rb", 100));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (writer.failures() == 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(writer.failures()).isPositive();
            assertThat(writer.deadLettered()).isZero();
            exec(db, "DELETE FROM fail_once");
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(UsageDb.rows(db)).isEqualTo(100);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_request_ids")).isEqualTo(100);
    }

    @Test
    void eventsOfMonthsWithoutPartitionAreStoredAndGetTheirPartition() throws Exception {
        Instant future = Instant.parse("2031-07-15T00:00:00Z");
        exec(db, "INSERT INTO usage_events (request_id, time, team_id, route, deployment, deployment_class, prompt_tokens, "
                + "completion_tokens, cached_tokens, provider_cost_micros, team_charge_micros, baseline_cost_micros, latency_ms, "
                + "http_status, streamed, shadow) VALUES ('early', '2031-07-01T00:00:00Z', 'ads', 'chat', 'gpt-4o', 'closed', "
                + "1, 1, 0, 5, 5, 5, 1, 200, false, false)");
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_events_default")).isEqualTo(1);
        try (UsageJournal journal = UsageJournal.open(dir)) {
            journal.append(UsageFixtures.event("late", future, "ads", 1, 1, 1)).join();
            new UsageWriter(journal, db, FAST).storeOneBatch();
        }
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_events_2031m07")).isEqualTo(2);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM usage_events_default")).isZero();
    }

    @Test
    void inProcessDurabilityAwaitDrainedWaitsForRecordsNotYetFsynced() throws Exception {
        // Acknowledged (written) records wait up to syncIntervalMillis for their fsync before the writer may read them:
        // a drained journal must count them, or a caller (feedback on a request just answered) reads too early.
        UsageJournal.Options process = UsageJournal.Options.defaults().withDurability(UsageJournal.Durability.PROCESS)
                .withSyncIntervalMillis(200);
        List<UsageEvent> events = UsageJournalTest.events("p", 300);
        try (UsageJournal journal = UsageJournal.open(dir, process);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            UsageJournalTest.appendAll(journal, events);
            assertThat(journal.unsyncedRecords()).isPositive();
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(UsageDb.rows(db)).isEqualTo(300);
        }
    }

    @Test
    void underATrickleTheLingerGathersRecordsIntoFewTransactions() throws Exception {
        // 300 records, one every ~1 ms (each waits for its fsync), as a gateway under steady load appends them.
        UsageWriter.Options lingering = new UsageWriter.Options(5000, Duration.ofMillis(10), Duration.ofMillis(20),
                Duration.ofMillis(200), true, Duration.ofMillis(400));
        UsageWriter.Options eager = new UsageWriter.Options(5000, Duration.ofMillis(10), Duration.ofMillis(20),
                Duration.ofMillis(200), true, Duration.ZERO);
        long lingeringBatches = trickle(lingering, "l");
        long eagerBatches = trickle(eager, "e");
        assertThat(UsageDb.rows(db)).isEqualTo(600);
        // The eager writer commits as soon as anything is durable; the lingering one about once per 400 ms.
        assertThat(lingeringBatches).isLessThan(eagerBatches);
        assertThat(lingeringBatches).isLessThanOrEqualTo(1 + elapsedTrickleMs / 400 + 1);
    }

    private long elapsedTrickleMs;

    private long trickle(UsageWriter.Options options, String prefix) throws Exception {
        Path jdir = dir.resolve(prefix);
        try (UsageJournal journal = UsageJournal.open(jdir);
             UsageWriter writer = new UsageWriter(journal, db, options).start()) {
            long start = System.nanoTime();
            for (UsageEvent e : UsageJournalTest.events(prefix, 300)) {
                journal.append(e).join();
                Thread.sleep(1);
            }
            elapsedTrickleMs = Math.max(elapsedTrickleMs, (System.nanoTime() - start) / 1_000_000);
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.storedRecords()).isEqualTo(300);
            return writer.batches();
        }
    }

    static void drain(Path journalDir, DataSource db) throws Exception {
        try (UsageJournal journal = UsageJournal.open(journalDir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            assertThat(writer.awaitDrained(Duration.ofSeconds(60))).isTrue();
        }
    }

    static void exec(DataSource db, String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals("lock")) Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
