package dev.llmgateway.bench.metering;

import dev.llmgateway.metering.DeploymentClass;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageJournal;
import dev.llmgateway.metering.UsageWriter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * Sustained usage ingest: producers append to the journal (group commit, fsync), the writer stores batches in an
 * embedded PostgreSQL with fsync and synchronous_commit on. Reports acknowledged and stored records per second and
 * append latency (append call to fsync acknowledgement).
 *
 * <pre>
 * java -cp ... dev.llmgateway.bench.metering.UsageIngestBenchmark [max|rate=N] [seconds] [producers] [inFlightPerProducer]
 * </pre>
 * {@code max}: closed loop, each producer keeps up to inFlight appends outstanding (throughput).
 * {@code rate=N}: open loop at N records/s offered (latency at a given load).
 */
public final class UsageIngestBenchmark {
    private static final int MAX_SAMPLES = 10_000_000;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "max";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int producers = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        Path work = Files.createTempDirectory("usage-ingest-bench");

        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setDataDirectory(work.resolve("pg"))
                .start()) {
            DataSource db = pg.getPostgresDatabase();
            Schema.migrate(db);
            UsageJournal journal = UsageJournal.open(work.resolve("journal"));
            UsageWriter writer = new UsageWriter(journal, db).start();

            long[] latencyNanos = new long[MAX_SAMPLES];
            AtomicLong samples = new AtomicLong();
            AtomicLong seq = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            Instant base = Instant.now();

            Thread[] threads = new Thread[producers];
            if (mode.startsWith("rate=")) {
                long rate = Long.parseLong(mode.substring(5));
                long perProducerIntervalNanos = 1_000_000_000L * producers / rate;
                for (int p = 0; p < producers; p++) {
                    threads[p] = Thread.ofPlatform().start(() -> {
                        long next = System.nanoTime();
                        while (!stop.get()) {
                            next += perProducerIntervalNanos;
                            long wait = next - System.nanoTime();
                            if (wait > 0) LockSupport.parkNanos(wait);
                            appendOne(journal, seq, base, measuring, latencyNanos, samples, failed, null);
                        }
                    });
                }
            } else {
                for (int p = 0; p < producers; p++) {
                    threads[p] = Thread.ofPlatform().start(() -> {
                        Semaphore window = new Semaphore(inFlight);
                        while (!stop.get()) {
                            window.acquireUninterruptibly();
                            appendOne(journal, seq, base, measuring, latencyNanos, samples, failed, window);
                        }
                    });
                }
            }

            Thread.sleep(5_000); // warm-up: JIT, partitions, page cache
            long acked0 = journal.durableRecords(), stored0 = writer.storedRecords(), fsync0 = journal.fsyncCount();
            long batches0 = writer.batches();
            long t0 = System.nanoTime();
            measuring.set(true);
            long maxLag = 0;
            for (int s = 0; s < seconds * 10; s++) {
                Thread.sleep(100);
                maxLag = Math.max(maxLag, journal.unstoredRecords());
            }
            measuring.set(false);
            long t1 = System.nanoTime();
            long acked = journal.durableRecords() - acked0, stored = writer.storedRecords() - stored0;
            long fsyncs = journal.fsyncCount() - fsync0, batches = writer.batches() - batches0;
            stop.set(true);
            for (Thread t : threads) t.join();
            long drainStart = System.nanoTime();
            boolean drained = writer.awaitDrained(Duration.ofMinutes(5));
            long drainMs = (System.nanoTime() - drainStart) / 1_000_000;
            writer.close();
            journal.close();

            double secs = (t1 - t0) / 1e9;
            int n = (int) Math.min(samples.get(), MAX_SAMPLES);
            long[] lat = Arrays.copyOf(latencyNanos, n);
            Arrays.sort(lat);
            long rows;
            try (Connection c = db.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM usage_events")) {
                rs.next();
                rows = rs.getLong(1);
            }
            System.out.printf("mode=%s producers=%d inFlight=%d window=%.1fs cpus=%d%n", mode, producers, inFlight, secs,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf("acknowledged (journal fsynced): %.0f records/s%n", acked / secs);
            System.out.printf("stored in PostgreSQL:           %.0f records/s (%d batches, %.0f records/batch)%n",
                    stored / secs, batches, batches == 0 ? 0.0 : (double) stored / batches);
            System.out.printf("group commits: %.0f fsync/s, %.1f records/fsync%n", fsyncs / secs, fsyncs == 0 ? 0.0 : (double) acked / fsyncs);
            System.out.printf("append latency (append -> fsync ack): p50=%.2f ms p99=%.2f ms p99.9=%.2f ms max=%.2f ms (%d samples)%n",
                    pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), n == 0 ? 0.0 : lat[n - 1] / 1e6, n);
            System.out.printf("max writer lag: %d records; drain after stop: %d ms (drained=%s); failed appends: %d%n",
                    maxLag, drainMs, drained, failed.get());
            System.out.printf("rows in usage_events: %d, records appended in total: %d%n", rows, seq.get());
        }
    }

    private static void appendOne(UsageJournal journal, AtomicLong seq, Instant base, AtomicBoolean measuring,
                                  long[] latencyNanos, AtomicLong samples, AtomicLong failed, Semaphore window) {
        long n = seq.getAndIncrement();
        UsageEvent e = UsageEvent.builder("bench-" + n, base.plusNanos(n * 1000))
                .team("team-" + (n % 20), "key-" + (n % 100))
                .endUser("user-" + (n % 5000))
                .route(n % 3 == 0 ? "summarize" : "chat", "gradual", "25%")
                .deployment(n % 4 == 0 ? "llama-70b" : "gpt-4o", n % 4 == 0 ? "vllm" : "openai", "model-x",
                        n % 4 == 0 ? DeploymentClass.OPEN : DeploymentClass.CLOSED)
                .tokens(1200 + n % 800, 300 + n % 200, n % 500)
                .money(4500 + n % 100, 4600 + n % 100, 9000)
                .timing(700 + (int) (n % 300), 90)
                .streamed(n % 2 == 0)
                .build();
        boolean sample = measuring.get();
        long start = System.nanoTime();
        journal.append(e).whenComplete((ok, err) -> {
            if (window != null) window.release();
            if (err != null) {
                failed.incrementAndGet();
                return;
            }
            if (sample) {
                long i = samples.getAndIncrement();
                if (i < MAX_SAMPLES) latencyNanos[(int) i] = System.nanoTime() - start;
            }
        });
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0.0;
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1e6;
    }
}
