package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Crashes on the gateway's embedded default (no GATEWAY_DB_URL: the gateway runs its own PostgreSQL as a child process,
 * its data in {@code <data dir>/postgres}). Every acknowledged request must have its usage stored exactly once, and
 * recovery must need no operator action: the first restart after {@code kill -9} of the gateway works, and a
 * {@code kill -9} of the embedded PostgreSQL is repaired by the gateway itself.
 */
class EmbeddedCrashTest {

    /** pid and port of the embedded postmaster, from its {@code postmaster.pid} (lines 1 and 4). */
    record Postmaster(long pid, int port) {
        static Optional<Postmaster> of(Path dataDir) {
            try {
                List<String> lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
                if (lines.size() < 4) return Optional.empty();
                return Optional.of(new Postmaster(Long.parseLong(lines.get(0).trim()), Integer.parseInt(lines.get(3).trim())));
            } catch (java.nio.file.NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        boolean alive() { return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); }

        /** Whatever happened in the test, no PostgreSQL of its data directory outlives it. */
        static void stopAny(Path dataDir, Postmaster... known) {
            List<Postmaster> all = new java.util.ArrayList<>(List.of(known));
            of(dataDir).ifPresent(all::add);
            for (Postmaster p : all) {
                ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive)
                        .filter(h -> h.info().commandLine().map(l -> l.contains(dataDir.toString())).orElse(false))
                        .ifPresent(h -> {
                            h.destroy();
                            try {
                                h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                            } catch (Exception e) {
                                h.destroyForcibly();
                            }
                        });
            }
        }
    }

    @Test
    @Timeout(value = 300)
    void killNineOfTheGatewayUnderLoadThenTheFirstRestartWorksAndKeepsEveryAcknowledgedRecord() throws Exception {
        try (Harness h = new Harness("embedded-kill-nine", null)) {
            int port = GatewayProcess.freePort();
            GatewayProcess.Settings settings = h.settings("gateway", port, null);
            Set<String> acknowledged;
            Postmaster orphan = null;
            try {
                try (GatewayProcess gw = GatewayProcess.start("gateway", settings)) {
                    orphan = Postmaster.of(settings.dataDir()).orElseThrow();
                    assertDurableSettings(new UsageDb(orphan.port()));

                    // A second gateway on the same data directory must refuse to start, naming the holder.
                    GatewayProcess second = GatewayProcess.launch("gateway-second",
                            new GatewayProcess.Settings(settings.config(), settings.dataDir(), GatewayProcess.freePort(), null, h.path("gateway-second.log")));
                    try {
                        assertThat(second.awaitExitCode(Duration.ofSeconds(90))).as("a second gateway on the same data directory exits").isPresent();
                        assertThat(String.join("\n", second.grepLog("is in use by another gateway", 5)))
                                .contains("is in use by another gateway (pid " + gw.pid() + ")");
                    } finally {
                        second.close();
                    }
                    assertThat(gw.readinessStatus().getKey()).as("the first gateway still serves").isEqualTo(200);

                    String key = gw.createTeamAndKey("crash-embedded");
                    Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 2, 20_000).start();
                    try {
                        KillNineTest.awaitAcknowledged(load, 400, Duration.ofSeconds(90));
                        // For the last 1.5 s before the kill a table lock holds the usage writer back, so acknowledged usage
                        // exists only in the journal at the kill and the first restart must replay it.
                        try (AutoCloseable blocked = new UsageDb(orphan.port()).blockUsageInserts()) {
                            GatewayProcess.sleep(1_500);
                            gw.kill();
                        }
                        GatewayProcess.sleep(500);
                        load.stop();
                        System.out.printf("[embedded-kill-nine] %d sent, %d acknowledged, failures %s%n%s", load.sent(),
                                load.acknowledgedCount(), load.failures(), load.timeline());
                    } finally {
                        load.stop();
                    }
                    acknowledged = load.acknowledged();
                }
                // The scenario of the bug: the killed gateway's PostgreSQL lives on as an orphan holding the data directory.
                assertThat(orphan.alive()).as("the embedded PostgreSQL outlives a kill -9 of its gateway").isTrue();
                Set<String> pending = new java.util.HashSet<>(acknowledged);
                pending.removeAll(new UsageDb(orphan.port()).present(acknowledged));
                System.out.printf("[embedded-kill-nine] %d of %d acknowledged only in the journal at the kill%n", pending.size(), acknowledged.size());
                assertThat(pending).as("acknowledged usage only the journal holds at the kill (the replay has work to do)").isNotEmpty();

                try (GatewayProcess again = GatewayProcess.start("gateway", settings)) {
                    Postmaster now = Postmaster.of(settings.dataDir()).orElseThrow();
                    assertThat(now.pid()).isNotEqualTo(orphan.pid());
                    assertThat(orphan.alive()).as("the orphan was stopped by the first restart").isFalse();
                    assertThat(again.grepLog("left running on", 3)).as("the restart says what it did").isNotEmpty();
                    UsageDb db = new UsageDb(now.port());
                    Set<String> missing = db.awaitStored(acknowledged, 60_000, 2_000);
                    System.out.printf("[embedded-kill-nine] after the first restart: %d usage rows for %d acknowledged%n", db.rows(), acknowledged.size());
                    assertThat(missing).as("acknowledged request ids missing from usage_events (log: %s)", again.log()).isEmpty();
                    assertThat(db.duplicates()).as("request ids stored more than once").isEmpty();
                    assertDurableSettings(db);
                }
            } finally {
                Postmaster.stopAny(settings.dataDir(), orphan == null ? new Postmaster[0] : new Postmaster[] {orphan});
            }
        }
    }

    @Test
    @Timeout(value = 300)
    void killNineOfTheEmbeddedPostgresUnderLoadIsRepairedByTheGatewayWithNothingLost() throws Exception {
        try (Harness h = new Harness("embedded-pg-kill-nine", null)) {
            Path dataDir = h.path("gateway-data");
            try (GatewayProcess gw = GatewayProcess.start("gateway", h.settings("gateway", GatewayProcess.freePort(), null))) {
                killNineOfTheEmbeddedPostgres(gw, dataDir);
            } finally {
                Postmaster.stopAny(dataDir);
            }
        }
    }

    private static void killNineOfTheEmbeddedPostgres(GatewayProcess gw, Path dataDir) throws Exception {
        Postmaster before = Postmaster.of(dataDir).orElseThrow();
        String key = gw.createTeamAndKey("pg-crash-embedded");
        Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 2, 30_000).start();
        Map<String, Integer> readinessSeen = new LinkedHashMap<>();
        Map<String, Integer> publicSeen = new LinkedHashMap<>();
        Postmaster after;
        try {
            KillNineTest.awaitAcknowledged(load, 300, Duration.ofSeconds(90));
            int ackAtKill = load.acknowledgedCount();
            gw.note("kill -9 of the embedded PostgreSQL pid " + before.pid());
            ProcessHandle.of(before.pid()).orElseThrow().destroyForcibly();
            long killedAt = load.elapsedMs();

            // The gateway notices, reports DOWN, restarts it (with WAL recovery) and reports UP again, on its own.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            boolean sawDown = false;
            boolean upAgain = false;
            while (System.nanoTime() < deadline && !upAgain) {
                var r = gw.readinessStatus();
                readinessSeen.merge(Integer.toString(r.getKey()), 1, Integer::sum);
                // What a load balancer or Kubernetes sees: the public, detail-free probe.
                publicSeen.merge(Integer.toString(gw.publicReadinessStatus()), 1, Integer::sum);
                if (r.getKey() == 503 && r.getValue().contains("embedded PostgreSQL is down")) sawDown = true;
                Optional<Postmaster> pm = Postmaster.of(dataDir);
                upAgain = sawDown && r.getKey() == 200 && pm.isPresent() && pm.get().pid() != before.pid();
                GatewayProcess.sleep(50);
            }
            long backAt = load.elapsedMs();
            assertThat(sawDown).as("readiness was DOWN while PostgreSQL was being restarted (seen %s)", readinessSeen).isTrue();
            assertThat(upAgain).as("readiness UP again with a new postmaster within 90 s (seen %s; log %s)", readinessSeen, gw.log()).isTrue();
            // Keep the load going after the recovery: new usage must be stored as well as the journal's backlog.
            KillNineTest.awaitAcknowledged(load, load.acknowledgedCount() + 200, Duration.ofSeconds(60));
            load.stop();
            System.out.printf("[embedded-pg-kill-nine] killed at t=%dms with %d acknowledged; ready again at t=%dms; %d sent, %d acknowledged, "
                    + "failures %s; readiness polls %s%n%s", killedAt, ackAtKill, backAt, load.sent(), load.acknowledgedCount(),
                    load.failures(), readinessSeen + ", public probe " + publicSeen, load.timeline());
            after = Postmaster.of(dataDir).orElseThrow();
        } finally {
            load.stop();
        }
        assertThat(gw.alive()).as("the gateway itself was never restarted").isTrue();
        assertThat(before.alive()).isFalse();
        UsageDb db = new UsageDb(after.port());
        Set<String> acknowledged = load.acknowledged();
        Set<String> missing = db.awaitStored(acknowledged, 60_000, 2_000);
        System.out.printf("[embedded-pg-kill-nine] %d usage rows for %d acknowledged; missing %d%n", db.rows(), acknowledged.size(), missing.size());
        assertThat(missing).as("acknowledged request ids missing from usage_events without any restart of the gateway (log: %s)", gw.log()).isEmpty();
        assertThat(db.duplicates()).as("request ids stored more than once").isEmpty();
        assertThat(gw.grepLog("Embedded PostgreSQL restarted", 3)).isNotEmpty();
    }

    /** fsync, full_page_writes and synchronous_commit are on (zonky's test defaults turn the first and last off). */
    private static void assertDurableSettings(UsageDb db) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (String name : List.of("fsync", "full_page_writes", "synchronous_commit")) {
                try (ResultSet rs = s.executeQuery("SHOW " + name)) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                }
            }
        }
        assertThat(settings).isEqualTo(Map.of("fsync", "on", "full_page_writes", "on", "synchronous_commit", "on"));
    }
}
