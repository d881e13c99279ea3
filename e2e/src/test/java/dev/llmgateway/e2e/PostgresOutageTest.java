package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL stopped for 30 s under the packaged gateway while clients keep sending: the gateway keeps answering
 * (keys are cached, usage goes to the journal) and, once PostgreSQL is back, every answer's usage is stored exactly
 * once.
 */
class PostgresOutageTest {
    static final long OUTAGE_MS = 30_000;

    @Test
    @Timeout(value = 180)
    void postgresqlDownForThirtySecondsUnderLoadLosesNoUsage() throws Exception {
        try (Harness h = new Harness("pg-outage", null)) {
            int pgPort = GatewayProcess.freePort();
            Path pgData = Files.createDirectories(h.path("postgres-data"));
            EmbeddedPostgres pg = startPostgres(pgPort, pgData);
            try {
                UsageDb db = new UsageDb(pgPort);
                try (GatewayProcess gw = GatewayProcess.start("gateway", h.settings("gateway", GatewayProcess.freePort(),
                        UsageDb.jdbcUrl(pgPort)))) {
                    String key = gw.createTeamAndKey("outage");
                    Load load = new Load(key, n -> new Load.Target(gw.uri("/v1/chat/completions"), n % 4 == 3, 0), 8, 10, 30_000).start();
                    long downAt;
                    long upAt;
                    try {
                        // The key is used (hence cached) well before the outage.
                        KillNineTest.awaitAcknowledged(load, 200, Duration.ofSeconds(20));
                        GatewayProcess.sleep(1_000);
                        gw.note("stopping PostgreSQL");
                        downAt = load.elapsedMs();
                        pg.close();
                        pg = null;
                        GatewayProcess.sleep(OUTAGE_MS);
                        gw.note("readiness during the outage: " + gw.readiness());
                        gw.note("starting PostgreSQL");
                        pg = startPostgres(pgPort, pgData);
                        upAt = load.elapsedMs();
                        GatewayProcess.sleep(3_000);
                    } finally {
                        load.stop();
                    }
                    Map<String, Integer> during = load.outcomesBetween(downAt, upAt);
                    System.out.printf("[pg-outage] %d requests sent, %d acknowledged; PostgreSQL down t=%d..%dms; outcomes during the "
                                    + "outage %s; failures %s %s%n%s", load.sent(), load.acknowledgedCount(), downAt, upAt, during,
                            load.failures(), load.failureExamples(), load.timeline());
                    Set<String> acknowledged = load.acknowledged();
                    Set<String> missing = db.awaitStored(acknowledged, 60_000, 2_000);
                    System.out.printf("[pg-outage] %d usage rows; readiness %s%n", db.rows(), gw.readiness());
                    assertThat(during.getOrDefault("200", 0)).as("requests answered while PostgreSQL was down").isGreaterThan(0);
                    assertThat(missing).as("acknowledged request ids missing from usage_events (log: %s)", gw.log()).isEmpty();
                    assertThat(db.duplicates()).as("request ids stored more than once").isEmpty();
                    assertThat(gw.alive()).isTrue();
                }
            } finally {
                if (pg != null) pg.close();
            }
        }
    }

    static EmbeddedPostgres startPostgres(int port, Path dataDir) throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false).start();
    }
}
