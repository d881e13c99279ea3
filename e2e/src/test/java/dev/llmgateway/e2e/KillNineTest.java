package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.testsupport.TestPostgres;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The packaged gateway killed with SIGKILL in the middle of load: every answer a client received in full has its usage
 * in PostgreSQL exactly once after a restart on the same data directory, whose usage journal is replayed at start. Run
 * for both metering durability modes ({@code GATEWAY_METERING_DURABILITY}): {@code machine} fsyncs a record before the
 * answer's last byte, {@code process} only writes it to the journal file (which a kill -9 of the gateway cannot undo).
 */
class KillNineTest {

    @ParameterizedTest(name = "durability {0}")
    @ValueSource(strings = {"machine", "process"})
    @Timeout(value = 200)
    void killNineUnderLoadLosesNoAcknowledgedUsageAndDoublesNone(String durability) throws Exception {
        // The database lives outside the gateway, so it survives the kill and shows what was stored before and after.
        try (Harness h = new Harness("kill-nine-" + durability, null)) {
            // The test PostgreSQL (embedded, or a container with -Dgateway.test.db=testcontainers), a fresh database.
            String database = TestPostgres.freshDatabase("e2e");
            UsageDb db = new UsageDb(TestPostgres.server(), database);
            String dbUrl = TestPostgres.server().jdbcUrl(database);
            int port = GatewayProcess.freePort();
            Set<String> acknowledged;
            Set<String> storedBeforeRestart;
            GatewayProcess.Settings settings = h.settings("gateway", port, dbUrl).withEnv("GATEWAY_METERING_DURABILITY", durability);
            try (GatewayProcess gw = GatewayProcess.start("gateway", settings)) {
                String key = gw.createTeamAndKey("crash");
                // 8 clients; one request in four streams (its usage must be durable before [DONE]).
                Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 2, 20_000).start();
                try {
                    awaitAcknowledged(load, 300, Duration.ofSeconds(60));
                    GatewayProcess.sleep(1_500);
                    int before;
                    long killedAt;
                    // For the last 1.5 s before the kill the usage writer is stuck behind a table lock: what is
                    // acknowledged then exists only in the journal, which the restarted gateway must replay.
                    try (AutoCloseable blocked = db.blockUsageInserts()) {
                        GatewayProcess.sleep(1_500);
                        before = load.acknowledgedCount();
                        gw.kill();
                        killedAt = load.elapsedMs();
                    }
                    GatewayProcess.sleep(500); // clients keep trying against the dead port
                    load.stop();
                    System.out.printf("[kill-nine %s] %d requests sent, %d acknowledged (%d when killed at t=%dms), failures %s%n%s",
                            durability, load.sent(), load.acknowledgedCount(), before, killedAt, load.failures(), load.timeline());
                } finally {
                    load.stop();
                }
                acknowledged = load.acknowledged();
                assertThat(acknowledged).as("acknowledged requests before the kill").hasSizeGreaterThan(300);
            }
            storedBeforeRestart = db.present(acknowledged);
            Set<String> pending = new HashSet<>(acknowledged);
            pending.removeAll(storedBeforeRestart);
            System.out.printf("[kill-nine %s] stored before the restart: %d of %d acknowledged; %d only in the journal%n",
                    durability, storedBeforeRestart.size(), acknowledged.size(), pending.size());
            assertThat(pending).as("acknowledged usage that only the journal holds at the kill (the replay has work to do)").isNotEmpty();

            try (GatewayProcess again = GatewayProcess.start("gateway", settings)) {
                assertThat(again.grepLog("Usage journal durability: " + durability, 5)).as("the mode in use, log %s", again.log()).isNotEmpty();
                Set<String> missing = db.awaitStored(acknowledged, 60_000, 2_000);
                System.out.printf("[kill-nine %s] after the restart: %d usage rows; readiness %s%n", durability, db.rows(), again.readiness());
                assertThat(missing).as("acknowledged request ids missing from usage_events (log: %s)", again.log()).isEmpty();
                assertThat(db.duplicates()).as("request ids stored more than once").isEmpty();
                assertThat(again.alive()).isTrue();
                // The replay line is logged by the metering library through java.lang.System.Logger: it must come out
                // of the packaged gateway in Quarkus's log format (level, then the [category]), not the JDK's default.
                assertThat(again.grepLog("records not yet stored in PostgreSQL will be replayed", 5))
                        .as("the journal's replay log line in %s", again.log())
                        .anySatisfy(l -> assertThat(l).containsPattern("INFO +\\[[\\w.]*UsageJournal\\]"));
            }
        }
    }

    static void awaitAcknowledged(Load load, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (load.acknowledgedCount() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + load.acknowledgedCount() + " requests acknowledged in " + timeout + "; failures "
                        + load.failures() + " " + load.failureExamples());
            }
            GatewayProcess.sleep(50);
        }
    }
}
