package dev.llmgateway.metering;

import static dev.llmgateway.metering.LedgerFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/** A record PostgreSQL refuses is set aside, never blocks the others, and can be replayed once the cause is fixed. */
class DeadLettersTest {
    private static final UsageWriter.Options FAST = new UsageWriter.Options(500, Duration.ofMillis(10),
            Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path dir;

    private final DataSource db = TestDatabase.fresh();

    @Test
    void recordsWithANulCharacterAreSetAsideAndEveryOtherRecordIsStored() throws Exception {
        // The case: PostgreSQL text cannot hold U+0000, so it refuses the whole batch.
        List<UsageEvent> events = new ArrayList<>(UsageJournalTest.events("nul", 1000));
        Random r = new Random(11);
        Set<String> poisoned = new java.util.TreeSet<>();
        for (int i = 0; i < 4; i++) {
            int at = r.nextInt(events.size());
            UsageEvent e = events.get(at);
            events.set(at, UsageEvent.builder(e.requestId(), e.time()).team(e.teamId(), e.keyId()).endUser("a\u0000b")
                    .route(e.route(), e.policy(), e.stage()).deployment(e.deployment(), e.provider(), e.upstreamModel(), e.deploymentClass())
                    .tokens(e.promptTokens(), e.completionTokens(), e.cachedTokens()).build());
            poisoned.add(e.requestId());
        }
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            UsageJournalTest.appendAll(journal, events.subList(0, 600));
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            UsageJournalTest.appendAll(journal, events.subList(600, 1000)); // later records still flow
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.deadLettered()).isEqualTo(poisoned.size());

            assertThat(UsageDb.rows(db)).isEqualTo(1000 - poisoned.size());
            List<DeadLetters.Letter> open = writer.deadLetters().list(Optional.of(DeadLetters.Status.OPEN), 100);
            assertThat(open).extracting(DeadLetters.Letter::requestId).containsExactlyInAnyOrderElementsOf(poisoned);
            assertThat(open).allSatisfy(l -> {
                assertThat(l.kind()).isEqualTo(DeadLetters.Kind.USAGE);
                assertThat(l.sqlState()).isEqualTo("22021");
                assertThat(l.reason()).contains("0x00");
                assertThat(l.event().endUser()).isEqualTo("a\u0000b"); // the record is kept exactly
            });

            // Replaying cannot fix this one: it stays open and the refusal is audited. Discarding closes it.
            long id = open.getFirst().id();
            assertThat(writer.deadLetters().replay(id, "ops-alice", null)).isInstanceOf(DeadLetters.ReplayResult.RefusedAgain.class);
            assertThat(writer.deadLetters().discard(id, "ops-alice", "client bug, NUL in user")).isTrue();
            assertThat(writer.deadLetters().discard(id, "ops-alice", "again")).isFalse();
            assertThat(writer.deadLetters().audit(id)).extracting(DeadLetters.AuditEntry::action, DeadLetters.AuditEntry::actor)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("created", "gateway"),
                            org.assertj.core.groups.Tuple.tuple("replay_failed", "ops-alice"),
                            org.assertj.core.groups.Tuple.tuple("discarded", "ops-alice"));
            assertThat(writer.deadLetters().openCount()).isEqualTo(poisoned.size() - 1);
        }
        assertThat(UsageDb.duplicateIds(db)).isZero();
    }

    @Test
    void aRefusedRecordIsReplayedOnceTheCauseIsFixedAndThenCountsOnce() throws Exception {
        UsageWriterTest.exec(db, "CREATE FUNCTION refuse_blocked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.route = 'blocked' THEN RAISE EXCEPTION 'route blocked by policy'; END IF; RETURN NEW; END $$;"
                + "CREATE TRIGGER refuse_blocked BEFORE INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION refuse_blocked();");
        Instant t = Instant.parse("2025-06-01T10:00:00Z");
        UsageEvent blocked = UsageEvent.builder("blocked-1", t).team("search", "k").route("blocked", null, null)
                .deployment("gpt-4o", "openai", "m", DeploymentClass.CLOSED).tokens(10, 20, 0).money(5, 7, 9).build();
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            journal.append(UsageFixtures.event("before", t, "search", 1, 2, 3)).join();
            journal.append(blocked).join();
            journal.append(UsageFixtures.event("after", t, "search", 1, 2, 3)).join();
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(UsageDb.rows(db)).isEqualTo(2);
            DeadLetters.Letter letter = writer.deadLetters().list(Optional.empty(), 10).getFirst();
            assertThat(letter.requestId()).isEqualTo("blocked-1");
            assertThat(letter.reason()).contains("route blocked by policy");

            UsageWriterTest.exec(db, "DROP TRIGGER refuse_blocked ON usage_events");
            var replayed = writer.deadLetters().replay(letter.id(), "ops-bob", null);
            assertThat(replayed).isInstanceOf(DeadLetters.ReplayResult.Replayed.class);
            assertThat(((DeadLetters.ReplayResult.Replayed) replayed).letter().status()).isEqualTo(DeadLetters.Status.REPLAYED);
            assertThat(((DeadLetters.ReplayResult.Replayed) replayed).letter().resolvedBy()).isEqualTo("ops-bob");
            assertThat(writer.deadLetters().replay(letter.id(), "ops-bob", null)).isInstanceOf(DeadLetters.ReplayResult.NotOpen.class);
            assertThat(new UsageQueries(db).byRequestId("blocked-1")).contains(blocked);
            assertThat(UsageDb.rows(db)).isEqualTo(3);
            assertThat(writer.deadLetters().openCount()).isZero();
        }
    }

    @Test
    void whenEvenTheDeadLetterRowIsRefusedTheRecordGoesToTheDeadLetterFile() throws Exception {
        UsageWriterTest.exec(db, "CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "RAISE EXCEPTION 'no dead letters today'; END $$;"
                + "CREATE TRIGGER refuse_all BEFORE INSERT ON dead_letters FOR EACH ROW EXECUTE FUNCTION refuse_all();");
        Instant t = Instant.parse("2025-06-01T10:00:00Z");
        UsageEvent nul = UsageEvent.builder("nul-1", t).team("search", "k").endUser("\u0000").route("chat", null, null)
                .deployment("gpt-4o", "openai", "m", DeploymentClass.CLOSED).build();
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            journal.append(nul).join();
            journal.append(UsageFixtures.event("fine", t, "search", 1, 2, 3)).join();
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(writer.deadLetters().fileRecords()).isEqualTo(1);
            assertThat(UsageDb.rows(db)).isEqualTo(1);
        }
        List<String> lines = Files.readAllLines(dir.resolve("dead-letters.log"));
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst()).contains("\tusage\t").contains("0x00").contains("no dead letters today");
    }

    @Test
    void aTransientFailureIsRetriedAndNeverDeadLettered() throws Exception {
        // An I/O error inside the server (class 58) is not the record's fault: the batch waits and is retried.
        UsageWriterTest.exec(db, "CREATE TABLE fail_now (n int); INSERT INTO fail_now VALUES (1);"
                + "CREATE FUNCTION fail_now() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF EXISTS (SELECT 1 FROM fail_now) THEN RAISE EXCEPTION 'disk trouble' USING ERRCODE = '58030'; END IF; "
                + "RETURN NEW; END $$;"
                + "CREATE TRIGGER fail_now BEFORE INSERT ON usage_events FOR EACH STATEMENT EXECUTE FUNCTION fail_now();");
        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db, FAST).start()) {
            UsageJournalTest.appendAll(journal, UsageJournalTest.events("tr", 50));
            Thread.sleep(300);
            assertThat(writer.failures()).isPositive();
            assertThat(writer.deadLettered()).isZero();
            UsageWriterTest.exec(db, "DELETE FROM fail_now");
            assertThat(writer.awaitDrained(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(UsageDb.rows(db)).isEqualTo(50);
        assertThat(UsageDb.scalar(db, "SELECT count(*) FROM dead_letters")).isZero();
    }

    @Test
    void failuresAreClassifiedByWhetherTheDataIsAtFault() {
        assertThat(DatabaseFailures.isTransient(new PSQLException("down", PSQLState.CONNECTION_FAILURE))).isTrue();
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "57P01"))).isTrue();  // admin shutdown
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "57014"))).isTrue();  // statement timeout
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "53100"))).isTrue();  // disk full
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "40001"))).isTrue();  // serialization
        assertThat(DatabaseFailures.isTransient(new SQLTransientConnectionException("pool timeout"))).isTrue();
        assertThat(DatabaseFailures.isTransient(new java.io.UncheckedIOException(new java.io.IOException("x")))).isTrue();
        assertThat(DatabaseFailures.isTransient(new StoreException("posting", new SQLException("x", "08006")))).isTrue();
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "22021"))).isFalse(); // invalid byte sequence
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "54000"))).isFalse(); // index row too large
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "23505"))).isFalse(); // unique violation
        assertThat(DatabaseFailures.isTransient(new SQLException("x", "P0001"))).isFalse(); // raised by a trigger
        assertThat(DatabaseFailures.isTransient(new StoreException("posting", new SQLException("x", "22001")))).isFalse();
    }

    @Test
    void aLedgerPostingPostgresRefusesIsSetAsideTheOthersArePostedAndItIsReplayedOnceFixed() throws Exception {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        DeadLetters letters = new DeadLetters(f.db, dir.resolve("dead-letters.log"));
        LedgerPoster poster = new LedgerPoster(f.db, letters);
        List<UsageEvent> stored = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            stored.add(open("l" + i, "2025-01-10T10:00:" + String.format("%02d", i) + "Z", "acme", "u" + i, "cloud-share", 1000));
        }
        try (Connection c = f.db.getConnection()) {
            UsageEventSql.insertNew(c, stored);
        }
        assertThat(f.tryExecute("CREATE FUNCTION refuse_l17() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.request_id = 'l17' THEN RAISE EXCEPTION 'l17 is disputed'; END IF; RETURN NEW; END $$;"
                + "CREATE TRIGGER refuse_l17 BEFORE INSERT ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION refuse_l17();")).isNull();

        LedgerPoster.PostReport r = poster.postPending();
        assertThat(r.posted()).isEqualTo(39);
        assertThat(poster.deadLettered()).isEqualTo(1);
        assertThat(poster.postPending().posted()).isZero(); // the refused one is not retried forever
        assertThat(poster.deadLettered()).isEqualTo(1);
        DeadLetters.Letter letter = letters.list(Optional.of(DeadLetters.Status.OPEN), 10).getFirst();
        assertThat(letter.kind()).isEqualTo(DeadLetters.Kind.LEDGER);
        assertThat(letter.requestId()).isEqualTo("l17");
        assertThat(f.ledger.trialBalance().balanced()).isTrue();

        assertThat(f.tryExecute("DROP TRIGGER refuse_l17 ON ledger_transactions")).isNull();
        assertThat(letters.replay(letter.id(), "ops", poster)).isInstanceOf(DeadLetters.ReplayResult.Replayed.class);
        assertThat(f.ledger.forRequest("l17")).isPresent();
        assertThat(f.scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'usage'")).isEqualTo(40);
        assertThat(f.ledger.balances()).containsEntry("author:mistral:payable", MicroUsd.ofMicros(-4000));
        assertThat(poster.postPending().posted()).isZero();
    }

    @Test
    void aLedgerPostingSetAsideInTheFileIsWrittenThereOnceAndTheOthersArePosted() throws Exception {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        DeadLetters letters = new DeadLetters(f.db, dir.resolve("dead-letters.log"));
        LedgerPoster poster = new LedgerPoster(f.db, letters);
        List<UsageEvent> stored = List.of(open("a", "2025-01-10T10:00:00Z", "acme", "u", "cloud-share", 1000),
                open("b", "2025-01-10T10:00:01Z", "acme", "u", "cloud-share", 1000),
                open("c", "2025-01-10T10:00:02Z", "acme", "u", "cloud-share", 1000));
        try (Connection c = f.db.getConnection()) {
            UsageEventSql.insertNew(c, stored);
        }
        assertThat(f.tryExecute("CREATE FUNCTION refuse_b() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.request_id = 'b' THEN RAISE EXCEPTION 'b refused'; END IF; RETURN NEW; END $$;"
                + "CREATE TRIGGER refuse_b BEFORE INSERT ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION refuse_b();"
                + "CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;"
                + "CREATE TRIGGER refuse_all BEFORE INSERT ON dead_letters FOR EACH ROW EXECUTE FUNCTION refuse_all();")).isNull();
        assertThat(poster.postPending().posted()).isEqualTo(2);
        assertThat(poster.postPending().posted()).isZero();
        assertThat(letters.fileRecords()).isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve("dead-letters.log"))).hasSize(1).allSatisfy(l -> assertThat(l).contains("\tledger\t"));
    }

    @Test
    void anEndUserOfAnyLengthIsCountedUnderAFixedLengthKey() {
        // The case: a 3000-character user overflowed the btree index of license_period_users and blocked posting.
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "mau", LedgerFixtures.mauThreshold(1, 1000));
        String longUser = "x".repeat(3000);
        LedgerPoster.PostReport r = f.poster.post(List.of(
                open("m1", "2025-01-10T10:00:00Z", "acme", longUser, "mau", 1000),
                open("m2", "2025-01-10T10:00:01Z", "acme", longUser, "mau", 1000),
                open("m3", "2025-01-10T10:00:02Z", "acme", "short", "mau", 1000)));
        assertThat(r.posted()).isEqualTo(3);
        assertThat(f.scalar("SELECT count(*) FROM license_period_users")).isEqualTo(2);
        assertThat(f.scalar("SELECT max(length(user_key)) FROM license_period_users")).isEqualTo(64);
        assertThat(f.scalar("SELECT active_users FROM license_period_figures WHERE license_id = 'mau'")).isEqualTo(2);
        assertThat(f.poster.post(List.of(open("m4", "2025-01-11T10:00:00Z", "acme", longUser, "mau", 1000))).posted()).isEqualTo(1);
        assertThat(f.scalar("SELECT active_users FROM license_period_figures WHERE license_id = 'mau'")).isEqualTo(2);
    }
}
