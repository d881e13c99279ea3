package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Moves journaled usage into PostgreSQL: a background thread reads records after the checkpoint, inserts them in
 * batches (skipping request ids already stored), commits, then advances the journal's durable checkpoint, which
 * deletes fully stored segments. Starts by replaying whatever the journal holds. When PostgreSQL is unreachable it
 * retries the same batch with exponential backoff while the journal grows; replay is idempotent on the request id.
 * A batch PostgreSQL refuses for a reason in the data (not a transient one, see {@link DatabaseFailures}) is bisected
 * until the refused records are alone; those become {@link DeadLetters} and every other record is stored. Batches go
 * in with COPY, grouped by monthly partition (see {@link UsageEventSql#copyNew}); the request id stays the once-only
 * key across months, replays and concurrent writers.
 */
public final class UsageWriter implements AutoCloseable {
    private static final Logger LOG = System.getLogger(UsageWriter.class.getName());

    /**
     * Records per transaction, how long to wait for new records when idle, the retry backoff range, whether batches
     * are written with COPY ({@link UsageEventSql#copyNew}, the default) or with the one-statement insert
     * ({@link UsageEventSql#insertNew}; same rows, more PostgreSQL CPU per row), and the linger: after a batch that
     * was not full, how long to let records accumulate before reading the next one. The records are already durable
     * in the journal, so the linger delays only when they show up in PostgreSQL; it turns a transaction (commit,
     * WAL flush, checkpoint file) per few records under steady load into one per linger interval.
     */
    public record Options(int batchRecords, Duration idleWait, Duration retryMin, Duration retryMax, boolean bulkCopy,
                          Duration linger) {
        public Options {
            if (batchRecords < 1) throw new IllegalArgumentException("batchRecords must be positive");
            if (retryMin.isNegative() || retryMax.compareTo(retryMin) < 0) throw new IllegalArgumentException("bad retry range");
            if (linger.isNegative()) throw new IllegalArgumentException("linger must not be negative");
        }

        /** With the given write path and a linger equal to the idle wait. */
        public Options(int batchRecords, Duration idleWait, Duration retryMin, Duration retryMax, boolean bulkCopy) {
            this(batchRecords, idleWait, retryMin, retryMax, bulkCopy, idleWait);
        }

        /** With COPY and a linger equal to the idle wait. */
        public Options(int batchRecords, Duration idleWait, Duration retryMin, Duration retryMax) {
            this(batchRecords, idleWait, retryMin, retryMax, true);
        }

        /** 5000 records per batch, 50 ms idle wait, 100 ms linger, retries from 100 ms doubling up to 10 s, COPY. */
        public static Options defaults() {
            return new Options(5000, Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(10), true,
                    Duration.ofMillis(100));
        }
    }

    private final UsageJournal journal;
    private final DataSource db;
    private final Options options;
    private final Set<YearMonth> ensuredMonths = ConcurrentHashMap.newKeySet();
    private final Object wakeUp = new Object();
    private final AtomicLong storedRecords = new AtomicLong();
    private final AtomicLong duplicateRecords = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final DeadLetters deadLetters;
    private volatile String lastError;
    private volatile Instant lastStoredAt;
    private volatile boolean running;
    private Thread thread;
    private Connection connection;

    public UsageWriter(UsageJournal journal, DataSource db, Options options) {
        this.journal = journal;
        this.db = db;
        this.options = options;
        this.deadLetters = new DeadLetters(db, journal.directory().resolve("dead-letters.log"));
    }

    public UsageWriter(UsageJournal journal, DataSource db) {
        this(journal, db, Options.defaults());
    }

    /** Starts the background thread (which first replays what the journal holds). */
    public synchronized UsageWriter start() {
        if (thread != null) throw new IllegalStateException("usage writer already started");
        running = true;
        thread = Thread.ofPlatform().name("usage-writer").daemon(true).start(this::run);
        return this;
    }

    /**
     * Stores one batch now, on the calling thread (for tools and tests; do not mix with {@link #start()}).
     * Returns the number of records read from the journal (0 when nothing is waiting).
     */
    public int storeOneBatch() throws SQLException, IOException {
        UsageJournal.Batch batch = journal.read(journal.storedPosition(), options.batchRecords());
        if (batch.events().isEmpty()) {
            if (!batch.next().equals(journal.storedPosition())) journal.markStored(batch);
            return 0;
        }
        store(batch);
        return batch.events().size();
    }

    /** Waits until everything acknowledged by the journal so far is stored (ending a linger early); false on timeout. */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        // In the order a record moves (pending, unsynced in process durability, unstored), so none is missed in flight.
        while (journal.pendingRecords() > 0 || journal.unsyncedRecords() > 0 || journal.unstoredRecords() > 0) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(5);
        }
        return true;
    }

    /** Rows inserted into usage_events since start (request ids seen before are not counted). */
    public long storedRecords() { return storedRecords.get(); }

    /** Records skipped because their request id was already stored (replays, retries). */
    public long duplicateRecords() { return duplicateRecords.get(); }

    /** Committed batches since start. */
    public long batches() { return batches.get(); }

    /** Failed attempts (PostgreSQL or journal errors) since start. */
    public long failures() { return failures.get(); }

    /** Usage records refused by PostgreSQL and set aside as dead letters since start. */
    public long deadLettered() { return deadLettered.get(); }

    /** Where refused records go. */
    public DeadLetters deadLetters() { return deadLetters; }

    /** The last failure's message, if any attempt failed since the last success. */
    public Optional<String> lastError() { return Optional.ofNullable(lastError); }

    /** When a batch was last committed. */
    public Optional<Instant> lastStoredAt() { return Optional.ofNullable(lastStoredAt); }

    /** Stops the thread after its current batch; what is not stored stays in the journal for the next start. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        if (t != null) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeConnection();
    }

    private void run() {
        long backoffMs = options.retryMin().toMillis();
        while (running) {
            try {
                long seen = journal.durableSeq();
                int read = storeOneBatch();
                if (read == 0) {
                    journal.awaitDurableAfter(seen, options.idleWait().toMillis());
                } else if (read < options.batchRecords() && !options.linger().isZero()) {
                    pause(options.linger().toMillis()); // caught up: let the next batch gather (a backlog is read at once)
                }
                backoffMs = options.retryMin().toMillis();
            } catch (InterruptedException e) {
                return;
            } catch (SQLException | IOException | RuntimeException e) {
                failures.incrementAndGet();
                boolean first = lastError == null;
                lastError = e.getMessage();
                closeConnection();
                if (first || failures.get() % 20 == 0) {
                    LOG.log(Level.WARNING, ("storing usage in PostgreSQL failed (%d failures, %d records waiting in the journal), "
                            + "retrying in %d ms: %s").formatted(failures.get(), journal.unstoredRecords(), backoffMs, e.getMessage()));
                }
                pause(backoffMs);
                backoffMs = Math.min(backoffMs * 2, options.retryMax().toMillis());
            }
        }
    }

    private void store(UsageJournal.Batch batch) throws SQLException, IOException {
        Connection c = connection();
        Set<YearMonth> months = new TreeSet<>();
        for (UsageEvent e : batch.events()) months.add(UsageEventSql.monthOf(e.time()));
        for (YearMonth m : months) {
            if (ensuredMonths.contains(m)) continue;
            try {
                c.setAutoCommit(true);
                UsageEventSql.ensureMonth(c, m);
                ensuredMonths.add(m);
            } catch (SQLException e) {
                // The default partition still takes the rows; creating the partition is retried with the next batch.
                LOG.log(Level.WARNING, "creating the usage partition for %s failed: %s".formatted(m, e.getMessage()));
                if (c.isClosed() || !c.isValid(2)) throw e;
            }
        }
        c.setAutoCommit(false);
        int inserted = insertOrIsolate(c, batch.events());
        Invariants.check(inserted <= batch.events().size(), "a batch inserts at most one row per record");
        journal.markStored(batch); // only after the commit: a crash in between replays, and replay skips stored ids
        storedRecords.addAndGet(inserted);
        duplicateRecords.addAndGet(batch.events().size() - inserted);
        batches.incrementAndGet();
        lastStoredAt = Instant.now();
        if (lastError != null) {
            LOG.log(Level.INFO, "storing usage in PostgreSQL works again; %d records waiting".formatted(journal.unstoredRecords()));
            lastError = null;
        }
    }

    /**
     * Inserts {@code events} in one transaction; when PostgreSQL refuses them for a reason in the data, halves the list
     * and tries each half, down to single records, which are set aside as dead letters. Transient failures propagate
     * (the whole batch is retried; halves already committed are skipped then, by request id).
     */
    private int insertOrIsolate(Connection c, List<UsageEvent> events) throws SQLException, IOException {
        try {
            int n = options.bulkCopy() ? UsageEventSql.copyNew(c, events) : UsageEventSql.insertNew(c, events);
            c.commit();
            return n;
        } catch (SQLException e) {
            rollback(c);
            if (DatabaseFailures.isTransient(e) || !c.isValid(2)) throw e;
            if (events.size() == 1) {
                c.setAutoCommit(true);
                deadLetters.record(c, DeadLetters.Kind.USAGE, events.getFirst(), e);
                c.setAutoCommit(false);
                deadLettered.incrementAndGet();
                return 0;
            }
            int half = events.size() / 2;
            return insertOrIsolate(c, events.subList(0, half)) + insertOrIsolate(c, events.subList(half, events.size()));
        } catch (RuntimeException e) {
            rollback(c);
            throw e;
        }
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is discarded by the caller
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) connection = db.getConnection();
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    private void pause(long ms) {
        synchronized (wakeUp) {
            if (!running) return;
            try {
                wakeUp.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
