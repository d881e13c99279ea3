package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

class JournalCrashTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(UsageJournal.Durability.class)
    void everyAcknowledgedRecordIsStoredExactlyOnceAfterKillMinus9(UsageJournal.Durability durability) throws Exception {
        DataSource db = TestDatabase.fresh();
        PGSimpleDataSource pg = (PGSimpleDataSource) db;
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                JournalCrashChild.class.getName(), dir.toString(), pg.getURL(), pg.getUser(),
                durability.name())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("ack ")) acked.add(line.substring(4));
                }
            } catch (Exception ignored) {
                // the pipe breaks when the child is killed
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acked.size() < 20_000 && System.nanoTime() < deadline && child.isAlive()) Thread.sleep(10);
        assertThat(child.isAlive()).as("child still running when killed").isTrue();
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        reader.join();
        assertThat(acked).hasSizeGreaterThan(1000);

        try (UsageJournal journal = UsageJournal.open(dir);
             UsageWriter writer = new UsageWriter(journal, db).start()) {
            assertThat(writer.awaitDrained(Duration.ofSeconds(60))).isTrue();
        }

        assertThat(UsageDb.duplicateIds(db)).isZero();
        assertThat(UsageDb.rows(db)).isEqualTo(UsageDb.scalar(db, "SELECT count(*) FROM usage_request_ids"));
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM usage_events WHERE request_id = ANY (?)")) {
            Array ids = c.createArrayOf("text", acked.toArray());
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("acknowledged ids stored exactly once").isEqualTo(acked.size());
            }
        }
    }
}
