package dev.llmgateway.bench.metering;

import dev.llmgateway.metering.DeploymentClass;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageJournal;
import dev.llmgateway.metering.UsageWriter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * PostgreSQL CPU per usage row written by {@link UsageWriter} (issue 18): fills the journal with N records, then lets the
 * writer drain them into an embedded PostgreSQL (fsync and synchronous_commit on) and reads the CPU time of every
 * PostgreSQL process (postmaster, its live children, and the children that exited meanwhile) from /proc before and
 * after. The writer's own (Java) CPU is reported too.
 *
 * <pre>
 * java -cp ... dev.llmgateway.bench.metering.UsageWriterCpuBenchmark [rows] [rounds] [batchRecords] [copy|statement]
 * </pre>
 * {@code copy} (default) is the writer's COPY path, {@code statement} the one-statement {@code unnest} insert.
 * One warm-up round of {@code rows} (JIT, partitions, caches), then {@code rounds} measured rounds of {@code rows} each,
 * every round into a table that already holds the earlier rounds' rows.
 */
public final class UsageWriterCpuBenchmark {
    private static final long CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : UsageWriter.Options.defaults().batchRecords();
        boolean bulkCopy = args.length <= 3 || args[3].equals("copy");
        orderedIds = args.length <= 4 || !args[4].equals("random");
        Path work = Files.createTempDirectory("usage-writer-cpu");
        Path pgData = work.resolve("pg");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setDataDirectory(pgData)
                .start()) {
            DataSource db = pg.getPostgresDatabase();
            Schema.migrate(db);
            long postmaster = Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).getFirst().trim());
            UsageJournal journal = UsageJournal.open(work.resolve("journal"));
            var opts = UsageWriter.Options.defaults();
            UsageWriter writer = new UsageWriter(journal, db,
                    new UsageWriter.Options(batch, opts.idleWait(), opts.retryMin(), opts.retryMax(), bulkCopy));
            SplittableRandom random = new SplittableRandom(18);
            Instant base = Instant.now();
            long seq = 0;
            var threads = ManagementFactory.getThreadMXBean();
            for (int round = 0; round <= rounds; round++) {
                List<CompletableFuture<Void>> acks = new java.util.ArrayList<>(rows);
                for (int i = 0; i < rows; i++) acks.add(journal.append(event(seq++, base, random)));
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
                Thread.sleep(500); // let checkpointer / walwriter settle
                long pg0 = pgCpuTicks(postmaster);
                long t0 = System.nanoTime();
                long java0 = threads.getCurrentThreadCpuTime();
                int stored = 0;
                while (stored < rows) stored += writer.storeOneBatch();
                long javaNs = threads.getCurrentThreadCpuTime() - java0;
                long wallNs = System.nanoTime() - t0;
                long pgTicks = pgCpuTicks(postmaster) - pg0;
                double pgUsPerRow = pgTicks * (1_000_000.0 / CLK_TCK) / rows;
                System.out.printf("%s round %d: %d rows in %.0f ms (%.0f rows/s); PostgreSQL CPU %.1f µs/row; writer thread CPU %.1f µs/row%n",
                        round == 0 ? "warm-up" : "measured", round, rows, wallNs / 1e6, rows / (wallNs / 1e9), pgUsPerRow,
                        javaNs / 1000.0 / rows);
            }
            try (Connection c = db.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM usage_events")) {
                rs.next();
                System.out.printf("rows in usage_events: %d (expected %d); batch %d records, %s; cpus=%d%n", rs.getLong(1), seq, batch,
                        bulkCopy ? "COPY" : "statement",
                        Runtime.getRuntime().availableProcessors());
            }
            writer.close();
            journal.close();
        }
    }

    /** Request ids as the gateway makes them: time-ordered (milliseconds first) unless "random" ids are asked for. */
    private static boolean orderedIds;

    private static UsageEvent event(long n, Instant base, SplittableRandom random) {
        byte[] id = new byte[12];
        random.nextBytes(id);
        if (orderedIds) {
            long ms = base.toEpochMilli() + n / 1000;
            for (int i = 0; i < 6; i++) id[i] = (byte) (ms >>> (40 - 8 * i));
        }
        return UsageEvent.builder("req_" + HexFormat.of().formatHex(id), base.plusNanos(n * 1000))
                .team("team-" + (n % 20), "key-" + (n % 100))
                .endUser(n % 3 == 0 ? null : "user-" + (n % 5000))
                .route(n % 3 == 0 ? "summarize" : "chat", "gradual", "25%")
                .deployment(n % 4 == 0 ? "llama-70b" : "gpt-4o", n % 4 == 0 ? "vllm" : "openai", "model-x",
                        n % 4 == 0 ? DeploymentClass.OPEN : DeploymentClass.CLOSED)
                .tokens(1200 + n % 800, 300 + n % 200, n % 500)
                .money(4500 + n % 100, 4600 + n % 100, 9000)
                .timing(700 + (int) (n % 300), 90)
                .outcome(200, null)
                .streamed(n % 2 == 0)
                .licenseId(n % 4 == 0 ? "llama-3-community" : null)
                .build();
    }

    /** utime + stime of the postmaster and its live children, plus cutime + cstime (children that exited), in ticks. */
    static long pgCpuTicks(long postmaster) throws IOException {
        long total = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long pid = Long.parseLong(p.getFileName().toString());
                long ppid = Long.parseLong(f[1]);
                // fields after ')': state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
                if (pid == postmaster) {
                    total += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                } else if (ppid == postmaster) {
                    total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        return total;
    }
}
