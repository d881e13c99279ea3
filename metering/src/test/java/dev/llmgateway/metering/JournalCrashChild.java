package dev.llmgateway.metering;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Run in a child JVM by {@link JournalCrashTest}: appends usage under load while a writer stores it, printing
 * "ack <id>" after each acknowledgement, until it is killed. Args: journal dir, JDBC URL, user, durability.
 */
public final class JournalCrashChild {
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource db = new PGSimpleDataSource();
        db.setURL(args[1]);
        db.setUser(args[2]);
        UsageJournal journal = UsageJournal.open(Path.of(args[0]),
                UsageJournal.Options.defaults().withDurability(UsageJournal.Durability.parse(args[3])));
        new UsageWriter(journal, db, new UsageWriter.Options(300, java.time.Duration.ofMillis(5),
                java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(200))).start();
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        Instant base = Instant.now();
        System.out.println("ready");
        System.out.flush();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            Thread.ofPlatform().start(() -> {
                Semaphore inFlight = new Semaphore(64);
                for (long n = 0; ; n++) {
                    inFlight.acquireUninterruptibly();
                    String id = "crash-" + thread + "-" + n;
                    journal.append(UsageFixtures.event(id, base.plusNanos(n * 1000), "search", n % 1000, n % 1000, 2 * (n % 1000)))
                            .whenComplete((ok, err) -> {
                                inFlight.release();
                                if (err == null) ack(out, id);
                            });
                }
            });
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void ack(BufferedWriter out, String id) {
        synchronized (out) {
            try {
                out.write("ack ");
                out.write(id);
                out.write('\n');
                out.flush(); // only what the parent has read counts as acknowledged
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
