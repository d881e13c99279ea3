package dev.llmgateway.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's embedded PostgreSQL as a real child process: durable settings, exclusive data directory, supervision. */
class EmbeddedPostgresServerTest {
    @TempDir Path dataDir;

    private static Connection connect(EmbeddedPostgresServer pg) throws SQLException {
        return DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
    }

    @Test
    @Timeout(180)
    void runsDurablyLocksItsDataDirectoryAndIsRestartedWhenKilledWithCommittedDataIntact() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dataDir, Duration.ofSeconds(60))) {
            assertThat(pg.running()).isTrue();
            Map<String, String> settings = new LinkedHashMap<>();
            try (Connection c = connect(pg); Statement s = c.createStatement()) {
                for (String name : List.of("fsync", "full_page_writes", "synchronous_commit")) {
                    try (ResultSet rs = s.executeQuery("SHOW " + name)) {
                        rs.next();
                        settings.put(name, rs.getString(1));
                    }
                }
                s.execute("CREATE TABLE acknowledged (id int PRIMARY KEY)");
                s.execute("INSERT INTO acknowledged SELECT generate_series(1, 1000)");
            }
            assertThat(settings).isEqualTo(Map.of("fsync", "on", "full_page_writes", "on", "synchronous_commit", "on"));
            assertThat(Files.readString(dataDir.resolve("postgres.lock")).trim()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
            assertThat(Files.readString(pg.logFile())).contains("database system is ready to accept connections");

            // A second gateway on the same data directory is refused, naming the holder.
            assertThatThrownBy(() -> EmbeddedPostgresServer.start(dataDir, Duration.ofSeconds(60)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is in use by another gateway (pid " + ProcessHandle.current().pid() + ")");
            assertThat(pg.running()).as("the refused start left the running server alone").isTrue();

            // kill -9 of the postmaster: the supervisor notices, readiness is down, and it comes back by itself.
            long killed = pg.pid();
            ProcessHandle.of(killed).orElseThrow().destroyForcibly();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
            boolean sawDown = false;
            while (Instant.now().isBefore(deadline) && !(sawDown && pg.running())) {
                if (!pg.running()) {
                    sawDown = true;
                    assertThat(pg.problem()).contains("exited");
                }
                Thread.sleep(20);
            }
            assertThat(sawDown).isTrue();
            assertThat(pg.running()).as("restarted within 90 s; log:%n%s", Files.readString(pg.logFile())).isTrue();
            assertThat(pg.pid()).isNotEqualTo(killed).isPositive();
            assertThat(pg.restarts()).isEqualTo(1);
            try (Connection c = connect(pg); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM acknowledged")) {
                rs.next();
                assertThat(rs.getInt(1)).as("committed rows survive the crash").isEqualTo(1000);
            }
        }
        // Closed: the lock is released and the cluster starts again on the same data directory.
        try (EmbeddedPostgresServer again = EmbeddedPostgresServer.start(dataDir, Duration.ofSeconds(60));
             Connection c = connect(again); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM acknowledged")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1000);
        }
    }

    @Test
    @Timeout(120)
    void aStalePostmasterPidFileOfAProcessThatIsGoneIsRemovedAndTheServerStarts() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dataDir, Duration.ofSeconds(60))) {
            assertThat(pg.running()).isTrue();
        }
        // What a power loss leaves: a postmaster.pid naming a process that no longer exists.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(dataDir.resolve("postgres/postmaster.pid"), gone.pid() + "\n" + dataDir.resolve("postgres") + "\n0\n5432\n");
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dataDir, Duration.ofSeconds(60))) {
            assertThat(pg.running()).isTrue();
        }
    }
}
