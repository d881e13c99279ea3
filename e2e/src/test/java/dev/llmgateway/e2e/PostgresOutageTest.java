package dev.llmgateway.e2e;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL stopped for 30 s under the packaged gateway while clients keep sending with a key they used before the
 * outage (team without a budget): the gateway keeps answering (keys are cached, usage goes to the journal) and, once
 * PostgreSQL is back on the same port and data, every answer's usage is stored exactly once within a bounded wait.
 *
 * <p>All properties are checked softly, so one run reports every broken one. If acknowledged usage is still missing
 * after the bounded wait, the gateway is restarted on the same data directory to tell "stuck in the journal" from
 * "lost": the test fails either way, but its message says which.
 */
class PostgresOutageTest {
    static final long OUTAGE_MS = 30_000;

    @Test
    @Timeout(value = 200)
    void postgresqlDownForThirtySecondsUnderLoadLosesNoUsage() throws Exception {
        try (Harness h = new Harness("pg-outage", null)) {
            int pgPort = GatewayProcess.freePort();
            Path pgData = Files.createDirectories(h.path("postgres-data"));
            EmbeddedPostgres pg = startPostgres(pgPort, pgData);
            SoftAssertions soft = new SoftAssertions();
            try {
                UsageDb db = new UsageDb(pgPort);
                GatewayProcess.Settings settings = h.settings("gateway", GatewayProcess.freePort(), UsageDb.jdbcUrl(pgPort));
                Set<String> acknowledged;
                Set<String> missing;
                try (GatewayProcess gw = GatewayProcess.start("gateway", settings)) {
                    String key = gw.createTeamAndKey("outage");
                    Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 10, 30_000).start();
                    long downAt;
                    long upAt;
                    long endAt;
                    try {
                        // The key is used (hence cached) well before the outage.
                        KillNineTest.awaitAcknowledged(load, 200, Duration.ofSeconds(20));
                        GatewayProcess.sleep(1_000);
                        gw.note("stopping PostgreSQL");
                        downAt = load.elapsedMs();
                        pg.close();
                        pg = null;
                        GatewayProcess.sleep(OUTAGE_MS);
                        gw.note("readiness at the end of the outage: " + gw.readiness());
                        gw.note("starting PostgreSQL");
                        pg = startPostgres(pgPort, pgData);
                        upAt = load.elapsedMs();
                        GatewayProcess.sleep(3_000);
                    } finally {
                        load.stop();
                    }
                    endAt = load.elapsedMs();
                    Map<String, Integer> before = load.outcomesBetween(0, downAt);
                    Map<String, Integer> during = load.outcomesBetween(downAt, upAt);
                    Map<String, Integer> after = load.outcomesBetween(upAt, endAt + 1);
                    System.out.printf("[pg-outage] %d requests sent, %d acknowledged; PostgreSQL down t=%d..%dms; outcomes before %s, "
                                    + "during %s, after %s; examples %s%n%s", load.sent(), load.acknowledgedCount(), downAt, upAt,
                            before, during, after, load.failureExamples(), load.timeline());
                    acknowledged = load.acknowledged();
                    missing = db.awaitStored(acknowledged, 30_000, 2_000);
                    System.out.printf("[pg-outage] 30 s after the load: %d usage rows, %d acknowledged ids missing; readiness %s%n",
                            db.rows(), missing.size(), gw.readiness());
                    soft.assertThat(during).as("outcomes while PostgreSQL was down (key used before the outage; log %s)", gw.log())
                            .containsOnlyKeys("200");
                    soft.assertThat(after).as("outcomes in the 3 s after PostgreSQL came back (log %s)", gw.log())
                            .containsOnlyKeys("200");
                    soft.assertThat(missing.size()).as("acknowledged usage not in PostgreSQL 30 s after it came back, without a gateway "
                            + "restart (of %d acknowledged; readiness %s)", acknowledged.size(), gw.readiness()).isZero();
                    soft.assertThat(gw.alive()).isTrue();
                    if (!missing.isEmpty()) gw.kill();
                }
                if (!missing.isEmpty()) {
                    // Lost or only stuck? A restarted gateway replays its journal into PostgreSQL.
                    try (GatewayProcess again = GatewayProcess.start("gateway", settings)) {
                        Set<String> stillMissing = db.awaitStored(acknowledged, 30_000, 2_000);
                        System.out.printf("[pg-outage] after a gateway restart on the same data dir: %d usage rows, %d acknowledged ids "
                                + "missing%n", db.rows(), stillMissing.size());
                        soft.assertThat(stillMissing).as("acknowledged usage missing even after a gateway restart replayed the journal")
                                .isEmpty();
                    }
                }
                soft.assertThat(db.duplicates()).as("request ids stored more than once").isEmpty();
            } finally {
                if (pg != null) pg.close();
            }
            soft.assertAll();
        }
    }

    static EmbeddedPostgres startPostgres(int port, Path dataDir) throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false).start();
    }
}
