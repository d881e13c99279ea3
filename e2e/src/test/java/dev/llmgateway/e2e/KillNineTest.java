package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged gateway killed with SIGKILL in the middle of load: every answer a client received in full has its usage
 * in PostgreSQL exactly once after a restart on the same data directory, whose usage journal is replayed at start.
 */
class KillNineTest {

    @Test
    @Timeout(value = 150)
    void killNineUnderLoadLosesNoAcknowledgedUsageAndDoublesNone() throws Exception {
        // The database lives outside the gateway, so it survives the kill and shows what was stored before and after.
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             Harness h = new Harness("kill-nine", null)) {
            UsageDb db = new UsageDb(pg.getPort());
            String dbUrl = UsageDb.jdbcUrl(pg.getPort());
            int port = GatewayProcess.freePort();
            Set<String> acknowledged;
            Set<String> storedBeforeRestart;
            try (GatewayProcess gw = GatewayProcess.start("gateway", h.settings("gateway", port, dbUrl))) {
                String key = gw.createTeamAndKey("crash");
                // 8 clients; one request in four streams (its usage must be durable before [DONE]).
                Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 2, 20_000).start();
                try {
                    awaitAcknowledged(load, 300, Duration.ofSeconds(20));
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
                    System.out.printf("[kill-nine] %d requests sent, %d acknowledged (%d when killed at t=%dms), failures %s%n%s",
                            load.sent(), load.acknowledgedCount(), before, killedAt, load.failures(), load.timeline());
                } finally {
                    load.stop();
                }
                acknowledged = load.acknowledged();
                assertThat(acknowledged).as("acknowledged requests before the kill").hasSizeGreaterThan(300);
            }
            storedBeforeRestart = db.present(acknowledged);
            Set<String> pending = new HashSet<>(acknowledged);
            pending.removeAll(storedBeforeRestart);
            System.out.printf("[kill-nine] stored before the restart: %d of %d acknowledged; %d only in the journal%n",
                    storedBeforeRestart.size(), acknowledged.size(), pending.size());
            assertThat(pending).as("acknowledged usage that only the journal holds at the kill (the replay has work to do)").isNotEmpty();

            try (GatewayProcess again = GatewayProcess.start("gateway", h.settings("gateway", port, dbUrl))) {
                Set<String> missing = db.awaitStored(acknowledged, 60_000, 2_000);
                System.out.printf("[kill-nine] after the restart: %d usage rows; readiness %s%n", db.rows(), again.readiness());
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
