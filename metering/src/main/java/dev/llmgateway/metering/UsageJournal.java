package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.usage.CheckpointFile;
import dev.llmgateway.metering.internal.usage.Fsync;
import dev.llmgateway.metering.internal.usage.JournalFrames;
import dev.llmgateway.metering.internal.usage.UsageEventCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The local, append-only usage journal: a directory of segment files {@code usage-<n>.seg} of CRC-framed records.
 * In {@link Durability#MACHINE} mode one writer thread group-commits everything appended meanwhile with a single
 * write and fsync, and {@link #append} completes only after the record is fsynced. In {@link Durability#PROCESS} mode
 * {@link #append} writes the record to the file on the caller's own thread (the OS page cache: it survives a kill -9 of
 * this process) and returns a completed future, so no thread hand-off lies on a request's path; the writer thread
 * fsyncs in the background at most {@link Options#syncIntervalMillis()} ms later, or sooner when
 * {@link Options#maxGroupRecords()} records wait for it, outside the lock appenders take, so an fsync never blocks an
 * append (only a segment rotation, once per segment, fsyncs under it). A record that would not fit the active segment
 * goes through the writer thread, which rotates. Either way {@link UsageWriter} reads back only fsynced
 * records, so the checkpoint never passes the fsynced end and a segment is never deleted before its records are both
 * fsynced and stored. On open, a torn or corrupt tail is truncated. The total size is bounded: when
 * the bound is reached, appends fail at once with {@link JournalFullException}. {@link UsageWriter} reads stored
 * records back and moves the checkpoint, which deletes fully stored segments.
 *
 * <p>A failed write or fsync does not latch: the journal refuses records ({@link #accepting()} is false) while it probes
 * the directory every {@link #PROBE_INTERVAL_MS} ms (a small file written, fsynced and deleted, then a fresh segment
 * created); once a probe passes it accepts records again, without a restart.
 */
public final class UsageJournal implements AutoCloseable {
    private static final Logger LOG = System.getLogger(UsageJournal.class.getName());
    private static final String SEGMENT_PREFIX = "usage-", SEGMENT_SUFFIX = ".seg";
    /** How often a failed journal checks whether it can write again. */
    public static final long PROBE_INTERVAL_MS = 500;
    private static final int PROBE_BYTES = 4096;

    /** Opens the journal's segment files; replaceable to inject I/O faults in tests. */
    @FunctionalInterface
    public interface SegmentFiles {
        FileChannel open(Path path, java.nio.file.OpenOption... options) throws IOException;

        SegmentFiles REAL = FileChannel::open;
    }

    /** When {@link #append} completes: what a record survives once acknowledged. */
    public enum Durability {
        /** After the record is fsynced: it survives a crash of the process and of the machine (power loss). */
        MACHINE,
        /**
         * After the record is written to the file (page cache), fsynced in the background within
         * {@link Options#syncIntervalMillis()}: it survives a crash or kill -9 of the process; records acknowledged in
         * the last few ms before a power loss or kernel crash may be lost.
         */
        PROCESS;

        /** {@code machine} or {@code process} (case-insensitive). */
        public static Durability parse(String s) {
            return switch (s == null ? "" : s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "machine" -> MACHINE;
                case "process" -> PROCESS;
                default -> throw new IllegalArgumentException("durability must be machine or process, not '" + s + "'");
            };
        }
    }

    /**
     * Sizes: a segment is rotated when the next group would pass {@code segmentBytes}; appends fail when segments
     * plus queued records would pass {@code maxTotalBytes} (at least 4 segments); at most {@code maxGroupRecords}
     * per write (and, in {@link Durability#PROCESS} mode, an fsync as soon as that many records are not fsynced).
     * {@code syncIntervalMillis} bounds how long a written record waits for its fsync in {@link Durability#PROCESS} mode.
     */
    public record Options(long segmentBytes, long maxTotalBytes, int maxGroupRecords, Durability durability, long syncIntervalMillis) {
        /** The default background fsync bound of {@link Durability#PROCESS} mode. */
        public static final long DEFAULT_SYNC_INTERVAL_MILLIS = 5;

        public Options {
            if (segmentBytes < 4096) throw new IllegalArgumentException("segmentBytes must be at least 4096");
            if (maxTotalBytes < 4 * segmentBytes) throw new IllegalArgumentException("maxTotalBytes must be at least 4 x segmentBytes");
            if (maxGroupRecords < 1) throw new IllegalArgumentException("maxGroupRecords must be positive");
            java.util.Objects.requireNonNull(durability, "durability");
            if (syncIntervalMillis < 1) throw new IllegalArgumentException("syncIntervalMillis must be positive");
        }

        /** Machine durability (fsync before acknowledging). */
        public Options(long segmentBytes, long maxTotalBytes, int maxGroupRecords) {
            this(segmentBytes, maxTotalBytes, maxGroupRecords, Durability.MACHINE, DEFAULT_SYNC_INTERVAL_MILLIS);
        }

        /** 64 MiB segments, 2 GiB in total, 8192 records per write, machine durability. */
        public static Options defaults() { return new Options(64L << 20, 2L << 30, 8192); }

        public Options withDurability(Durability d) { return new Options(segmentBytes, maxTotalBytes, maxGroupRecords, d, syncIntervalMillis); }

        public Options withSyncIntervalMillis(long ms) { return new Options(segmentBytes, maxTotalBytes, maxGroupRecords, durability, ms); }
    }

    private record Pending(ByteBuffer frame, CompletableFuture<Void> done) {}

    /** Queued by a process-mode append to wake the writer thread when an fsync became due; carries no record. */
    private static final Pending WAKE = new Pending(ByteBuffer.allocate(0), null);
    private static final CompletableFuture<Void> WRITTEN = CompletableFuture.completedFuture(null);

    /**
     * Segment state: {@code durableEnd} is how far it is fsynced, {@code writtenEnd} how far it is written and
     * acknowledged (equal in machine mode); once {@code sealed}, they never change again.
     */
    private static final class Segment {
        final long seq;
        final Path path;
        volatile long durableEnd;
        volatile long writtenEnd;
        volatile boolean sealed;

        Segment(long seq, Path path, long durableEnd) {
            this.seq = seq;
            this.path = path;
            this.durableEnd = durableEnd;
            this.writtenEnd = durableEnd;
        }
    }

    /** Records read back for storing, and the position just after them. */
    record Batch(List<UsageEvent> events, JournalPosition next, long bytes) {}

    private final Path dir;
    private final Options options;
    private final SegmentFiles files;
    private final CheckpointFile checkpointFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writerThread;
    private final Object durableSignal = new Object();

    private final AtomicLong totalBytes = new AtomicLong();      // segment files + queued frames
    private final AtomicLong pendingRecords = new AtomicLong();  // appended, not yet acknowledged
    private final AtomicLong unsyncedRecords = new AtomicLong(); // acknowledged (written), not yet fsynced: process mode
    private long unsyncedBytes;                                  // under io
    private long syncDueAtNanos;                                 // under io: when the oldest unsynced write must be fsynced
    private final AtomicLong unstoredRecords = new AtomicLong(); // durable, not yet stored in PostgreSQL
    private final AtomicLong unstoredBytes = new AtomicLong();
    private final AtomicLong durableRecords = new AtomicLong();  // acknowledged since open (fsynced or, in process mode, written)
    private final AtomicLong fsyncs = new AtomicLong();
    private volatile long durableSeq;                            // bumps after every group commit
    private volatile JournalPosition stored;
    private volatile IOException failure;
    private volatile boolean closed;
    private final AtomicLong writeFailures = new AtomicLong();
    private long nextProbeAtNanos;
    private volatile boolean abandonRequested;                   // a caller's write failed: the writer thread cuts the tail
    private boolean handedToWriter;                              // under io: process-mode appends queue until the writer caught up

    /**
     * Guards the active segment (which one, its channel, size and written end) and the unsynced counts: taken by
     * process-mode appends on their own threads and by the writer thread. Never held during a background fsync.
     */
    private final java.util.concurrent.locks.ReentrantLock io = new java.util.concurrent.locks.ReentrantLock();
    private Segment active;
    private FileChannel activeChannel;
    private long activeSize;

    private UsageJournal(Path dir, Options options, SegmentFiles files) throws IOException {
        this.dir = dir;
        this.options = options;
        this.files = files;
        Files.createDirectories(dir);
        this.lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l = lockChannel.tryLock();
        if (l == null) {
            lockChannel.close();
            throw new IOException("usage journal " + dir + " is in use by another process");
        }
        this.lock = l;
        this.checkpointFile = new CheckpointFile(dir);
        recover();
        this.writerThread = Thread.ofPlatform().name("usage-journal-writer").daemon(true).start(this::writeLoop);
    }

    /** Opens (creating if needed) the journal in {@code dir}, truncating a torn tail left by a crash. */
    public static UsageJournal open(Path dir, Options options) throws IOException {
        return new UsageJournal(dir, options, SegmentFiles.REAL);
    }

    /** As {@link #open(Path, Options)}, writing segments through {@code files} (fault injection in tests). */
    public static UsageJournal open(Path dir, Options options, SegmentFiles files) throws IOException {
        return new UsageJournal(dir, options, files);
    }

    public static UsageJournal open(Path dir) throws IOException {
        return open(dir, Options.defaults());
    }

    /**
     * Appends a usage record. The future completes once the record is fsynced (machine mode: it then survives a
     * crash, kill -9 or power loss) or written to the file (process mode: it survives a crash or kill -9 of this
     * process, and is fsynced within {@link Options#syncIntervalMillis()}), or exceptionally: {@link JournalFullException} at once when the size bound is reached,
     * {@link IOException} (wrapped) when writing failed. In process mode the write happens on the caller's thread and
     * the returned future is normally complete already (a record that needs a new segment waits for the writer
     * thread). Futures completed later complete on the journal thread: chain blocking work with the {@code *Async} methods.
     */
    public CompletableFuture<Void> append(UsageEvent event) {
        CompletableFuture<Void> refused = refusal();
        if (refused != null) return refused;
        byte[] payload = UsageEventCodec.encode(event);
        if (payload.length > JournalFrames.MAX_PAYLOAD_BYTES) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("usage record too large: " + payload.length + " bytes"));
        }
        ByteBuffer frame = JournalFrames.frame(payload);
        long size = frame.remaining();
        long total = totalBytes.addAndGet(size);
        if (total > options.maxTotalBytes()) {
            totalBytes.addAndGet(-size);
            return CompletableFuture.failedFuture(new JournalFullException(total - size, options.maxTotalBytes()));
        }
        if (options.durability() == Durability.PROCESS) return writeHere(frame, size);
        return enqueue(frame);
    }

    /** A failed future while the journal is closed or failing, else null. */
    private CompletableFuture<Void> refusal() {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("usage journal is closed"));
        IOException f = failure;
        return f == null ? null : CompletableFuture.failedFuture(new UncheckedIOException("usage journal cannot write: " + f.getMessage(), f));
    }

    /** Hands a frame to the writer thread. */
    private CompletableFuture<Void> enqueue(ByteBuffer frame) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Pending pending = new Pending(frame, done);
        pendingRecords.incrementAndGet();
        queue.add(pending);
        if (closed && !writerThread.isAlive() && queue.remove(pending)) {
            failAll(List.of(pending), new IOException("usage journal closed"));
        }
        return done;
    }

    /**
     * Process mode: writes one frame to the active segment on the calling thread and returns a completed future. A
     * frame that does not fit the active segment goes to the writer thread, which rotates, and so do all frames after
     * it until the writer thread has caught up (records keep their order). A failed future when the journal is closed
     * or failing, or the write fails (the journal then refuses records and the writer thread cuts the torn tail).
     */
    private CompletableFuture<Void> writeHere(ByteBuffer frame, long size) {
        boolean wake;
        io.lock();
        try {
            CompletableFuture<Void> refused = refusal(); // again under io: a failure or close since append() looked
            if (refused != null) {
                totalBytes.addAndGet(-size);
                return refused;
            }
            if (handedToWriter || (activeSize > 0 && activeSize + size > options.segmentBytes())) {
                handedToWriter = true; // cleared by the writer thread, under io, once its queue holds no record
                return enqueue(frame);
            }
            try {
                while (frame.hasRemaining()) activeChannel.write(frame);
            } catch (IOException e) {
                totalBytes.addAndGet(-size);
                failedHere(e);
                return CompletableFuture.failedFuture(new UncheckedIOException("usage record not journaled", e));
            }
            activeSize += size;
            active.writtenEnd = activeSize; // acknowledged from here on
            wake = countUnsynced(1, size) || unsyncedRecords.get() == options.maxGroupRecords();
        } finally {
            io.unlock();
        }
        if (wake) queue.add(WAKE); // the writer thread may be asleep for longer than the sync interval
        return WRITTEN;
    }

    /** A write on a caller's thread failed: refuse records now; the writer thread cuts the tail and probes (see {@link #refuseRecords}). Under io. */
    private void failedHere(IOException e) {
        markFailed("write failed", e);
        abandonRequested = true;
        queue.add(WAKE);
    }

    /**
     * Counts records just written in process mode as unsynced (and acknowledged); true when they are the first
     * unsynced ones, which starts the fsync clock. Under io.
     */
    private boolean countUnsynced(int records, long bytes) {
        boolean first = unsyncedBytes == 0;
        if (first) syncDueAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.syncIntervalMillis());
        unsyncedRecords.addAndGet(records);
        unsyncedBytes += bytes;
        durableRecords.addAndGet(records);
        return first;
    }

    /** Bytes one record takes in the journal (its frame), to check {@link #hasRoomFor} before serving a request. */
    public static long frameBytes(UsageEvent event) {
        return JournalFrames.HEADER_BYTES + (long) UsageEventCodec.encode(event).length;
    }

    /** Largest record the journal takes, in frame bytes. */
    public static long maxFrameBytes() { return JournalFrames.HEADER_BYTES + (long) JournalFrames.MAX_PAYLOAD_BYTES; }

    /**
     * Whether an append of a record of {@code frameBytes} would be taken now: the journal is open and writable (no
     * unrecovered I/O failure), the record is not too large, and it fits the size bound (the same test {@link #append}
     * applies).
     */
    public boolean hasRoomFor(long frameBytes) {
        return accepting() && frameBytes <= maxFrameBytes() && totalBytes.get() + frameBytes <= options.maxTotalBytes();
    }

    /** False while a write or fsync failure is not yet cleared by a passing probe, or after close. */
    public boolean accepting() { return failure == null && !closed; }

    /** The unrecovered write failure's message, if any. */
    public java.util.Optional<String> failureMessage() {
        IOException f = failure;
        return f == null ? java.util.Optional.empty() : java.util.Optional.of(String.valueOf(f.getMessage()));
    }

    /** Write or fsync failures since open (each one refuses records until a probe passes). */
    public long writeFailures() { return writeFailures.get(); }

    /** Records appended but not yet acknowledged (not yet written, or in machine mode not yet fsynced). */
    public long pendingRecords() { return pendingRecords.get(); }

    /** Records acknowledged but not yet fsynced (process mode only; always 0 in machine mode). */
    public long unsyncedRecords() { return unsyncedRecords.get(); }

    public Durability durability() { return options.durability(); }

    /** Records fsynced but not yet stored in PostgreSQL: the writer's lag. */
    public long unstoredRecords() { return unstoredRecords.get(); }

    /** Bytes of records fsynced but not yet stored in PostgreSQL. */
    public long unstoredBytes() { return unstoredBytes.get(); }

    /** Bytes counted against the bound: segment files on disk plus queued records. */
    public long totalBytes() { return totalBytes.get(); }

    public long maxTotalBytes() { return options.maxTotalBytes(); }

    /** Records acknowledged since open (fsynced, or in process mode written). */
    public long durableRecords() { return durableRecords.get(); }

    /** fsyncs of segment data since open (one per group in machine mode; background ones in process mode). */
    public long fsyncCount() { return fsyncs.get(); }

    /** Number of segment files on disk. */
    public int segmentCount() { return segments.size(); }

    /** Everything before this position is stored in PostgreSQL. */
    public JournalPosition storedPosition() { return stored; }

    public Path directory() { return dir; }

    /** Stops accepting appends, commits and fsyncs what was queued or written, and closes the files. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            writerThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> late = new ArrayList<>();
        queue.drainTo(late);
        failAll(late, new IOException("usage journal closed"));
        io.lock();
        try {
            // A process-mode append that got in between the writer thread's last fsync and now.
            if (failure == null) syncOrFail();
            if (activeChannel != null) activeChannel.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing usage journal %s: %s".formatted(dir, e.getMessage()));
        } finally {
            io.unlock();
        }
    }

    // ---- reading back (UsageWriter) ----

    long durableSeq() { return durableSeq; }

    /** Waits up to {@code timeoutMs} for a group commit after the one numbered {@code seen}. */
    void awaitDurableAfter(long seen, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (durableSignal) {
            while (durableSeq == seen && !closed) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return;
                durableSignal.wait(left);
            }
        }
    }

    /** Reads up to {@code maxRecords} durable records starting at {@code from}. */
    Batch read(JournalPosition from, int maxRecords) throws IOException {
        List<UsageEvent> events = new ArrayList<>();
        long bytes = 0;
        long seq = from.segment();
        long offset = from.offset();
        while (events.size() < maxRecords) {
            Map.Entry<Long, Segment> e = segments.ceilingEntry(seq);
            if (e == null) break;
            Segment s = e.getValue();
            if (s.seq != seq) {
                seq = s.seq;
                offset = 0;
            }
            boolean sealed = s.sealed; // read before durableEnd: a sealed segment's end is final
            long end = s.durableEnd;
            if (offset >= end) {
                if (sealed && segments.higherKey(seq) != null) {
                    seq = segments.higherKey(seq);
                    offset = 0;
                    continue;
                }
                break;
            }
            long chunkEnd = Math.min(end, offset + (4L << 20));
            ByteBuffer buf = ByteBuffer.allocate((int) (chunkEnd - offset));
            try (FileChannel ch = FileChannel.open(s.path, StandardOpenOption.READ)) {
                JournalFrames.readFully(ch, buf, offset);
                buf.flip();
                while (events.size() < maxRecords && buf.remaining() >= JournalFrames.HEADER_BYTES) {
                    int start = buf.position();
                    int len = buf.getInt(start);
                    int crc = buf.getInt(start + 4);
                    if (len <= 0 || len > JournalFrames.MAX_PAYLOAD_BYTES) {
                        throw new IOException("corrupt usage journal record in " + s.path + " at " + (offset + start));
                    }
                    if (buf.remaining() < JournalFrames.HEADER_BYTES + len) {
                        if (start == 0) buf = readWhole(ch, offset, JournalFrames.HEADER_BYTES + len);
                        else break;
                        continue;
                    }
                    if (JournalFrames.crc(len, buf.array(), start + JournalFrames.HEADER_BYTES, len) != crc) {
                        throw new IOException("usage journal record fails its CRC in " + s.path + " at " + (offset + start));
                    }
                    events.add(UsageEventCodec.decode(buf.slice(start + JournalFrames.HEADER_BYTES, len)));
                    buf.position(start + JournalFrames.HEADER_BYTES + len);
                    bytes += JournalFrames.HEADER_BYTES + len;
                }
                offset += buf.position();
            }
        }
        return new Batch(events, new JournalPosition(seq, offset), bytes);
    }

    private static ByteBuffer readWhole(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        JournalFrames.readFully(ch, b, offset);
        return b.flip();
    }

    /** Records that everything before {@code batch.next()} is stored: durable checkpoint, then fully stored segments deleted. */
    void markStored(Batch batch) throws IOException {
        JournalPosition next = batch.next();
        checkpointFile.write(next.segment(), next.offset());
        stored = next;
        unstoredRecords.addAndGet(-batch.events().size());
        unstoredBytes.addAndGet(-batch.bytes());
        boolean deleted = false;
        for (Segment s : segments.headMap(next.segment()).values()) {
            if (!s.sealed) continue;
            Files.delete(s.path);
            segments.remove(s.seq);
            totalBytes.addAndGet(-s.durableEnd);
            deleted = true;
        }
        if (deleted) Fsync.directory(dir);
        Invariants.check(unstoredRecords.get() >= 0, "unstored usage records are not negative");
    }

    // ---- recovery and the writer thread ----

    private void recover() throws IOException {
        long[] cp = checkpointFile.read().orElse(new long[] {0, 0});
        List<Long> seqs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(SEGMENT_PREFIX) && n.endsWith(SEGMENT_SUFFIX))
                    .forEach(n -> seqs.add(Long.parseLong(n.substring(SEGMENT_PREFIX.length(), n.length() - SEGMENT_SUFFIX.length()))));
        }
        seqs.sort(null);
        long maxSeq = 0;
        for (long seq : seqs) {
            Path p = segmentPath(seq);
            maxSeq = Math.max(maxSeq, seq);
            if (seq < cp[0]) {
                Files.delete(p); // fully stored before the crash, deletion did not happen yet
                continue;
            }
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long countFrom = seq == cp[0] ? cp[1] : 0;
                JournalFrames.Scan scan = JournalFrames.scan(ch, countFrom);
                long size = ch.size();
                if (scan.validEnd() < size) {
                    LOG.log(Level.WARNING, "usage journal %s: dropping %d bytes of torn or corrupt tail after %d intact records".formatted(
                            p, size - scan.validEnd(), scan.records()));
                    ch.truncate(scan.validEnd());
                    ch.force(true);
                }
                Segment s = new Segment(seq, p, scan.validEnd());
                s.sealed = true;
                segments.put(seq, s);
                totalBytes.addAndGet(scan.validEnd());
                unstoredRecords.addAndGet(scan.recordsFrom());
                unstoredBytes.addAndGet(scan.bytesFrom());
            }
        }
        stored = new JournalPosition(cp[0], cp[1]);
        openSegment(Math.max(maxSeq, cp[0]) + 1);
        if (unstoredRecords.get() > 0) {
            LOG.log(Level.INFO, "usage journal %s: %d records not yet stored in PostgreSQL will be replayed".formatted(dir, unstoredRecords.get()));
        }
    }

    private Path segmentPath(long seq) {
        return dir.resolve(String.format("%s%016d%s", SEGMENT_PREFIX, seq, SEGMENT_SUFFIX));
    }

    private void openSegment(long seq) throws IOException {
        Path p = segmentPath(seq);
        FileChannel ch = files.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            Fsync.directory(dir); // the new file's directory entry must be durable before its records are acknowledged
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(p); // so that the next attempt can create it again
            throw e;
        }
        activeChannel = ch;
        active = new Segment(seq, p, 0);
        activeSize = 0;
        segments.put(seq, active);
    }

    /** Seals the active segment and opens the next. Writer thread, under io (process mode: appenders wait for this one fsync). */
    private void rotate() throws IOException {
        sync(); // process mode: fsync what is written before sealing (machine mode: nothing left to sync)
        active.sealed = true; // durableEnd == activeSize: everything written so far is fsynced
        activeChannel.close();
        openSegment(active.seq + 1);
    }

    private void writeLoop() {
        List<Pending> group = new ArrayList<>();
        ByteBuffer[] frames = new ByteBuffer[0];
        while (true) {
            try {
                if (abandonRequested) cutFailedTail();
                if (failure != null && System.nanoTime() - nextProbeAtNanos >= 0) probe();
                long waitNanos = TimeUnit.MILLISECONDS.toNanos(20);
                long due = syncDue();
                if (due != Long.MIN_VALUE) waitNanos = Math.max(0, Math.min(waitNanos, due - System.nanoTime()));
                Pending first = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
                if (first != null) {
                    group.add(first);
                    queue.drainTo(group, options.maxGroupRecords() - 1);
                    group.removeIf(p -> p == WAKE);
                }
                if (group.isEmpty()) {
                    if (syncNeeded()) syncOrFail();
                    if (first == null && closed && queue.isEmpty()) {
                        syncOrFail();
                        return;
                    }
                    continue;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failAll(group, new IOException("usage journal writer interrupted"));
                return;
            }
            long bytes = 0;
            if (frames.length < group.size()) frames = new ByteBuffer[Math.max(group.size(), frames.length * 2)];
            for (int i = 0; i < group.size(); i++) {
                frames[i] = group.get(i).frame();
                bytes += frames[i].remaining();
            }
            boolean syncNow = false, written = false;
            io.lock();
            try {
                if (failure == null) {
                    try {
                        if (activeSize > 0 && activeSize + bytes > options.segmentBytes()) rotate();
                        long left = bytes;
                        while (left > 0) left -= activeChannel.write(frames, 0, group.size());
                        activeSize += bytes;
                        if (options.durability() == Durability.MACHINE) {
                            activeChannel.force(false);
                            active.durableEnd = activeSize;
                            fsyncs.incrementAndGet();
                        }
                        active.writtenEnd = activeSize; // acknowledged from here on
                        written = true;
                    } catch (IOException e) {
                        refuseRecords("write failed", e);
                    }
                }
                if (handedToWriter && queue.stream().allMatch(p -> p == WAKE)) handedToWriter = false;
                if (written && options.durability() == Durability.PROCESS) {
                    countUnsynced(group.size(), bytes); // before the pending count falls (see below)
                    pendingRecords.addAndGet(-group.size());
                    syncNow = syncNeeded();
                }
            } finally {
                io.unlock();
            }
            if (!written) {
                // Never written (the journal was failing, or this write failed): a failure set afterwards by an
                // append on another thread does not concern a group that is in the file.
                IOException cause = failure;
                failAll(group, cause != null ? cause : new IOException("usage journal cannot write"));
            } else if (options.durability() == Durability.MACHINE) {
                int n = group.size();
                // A record moves pending -> (unsynced ->) unstored: the next count rises before the previous one falls,
                // so a reader that reads them in that order (UsageWriter.awaitDrained) never misses it.
                unstoredRecords.addAndGet(n);
                pendingRecords.addAndGet(-n);
                unstoredBytes.addAndGet(bytes);
                durableRecords.addAndGet(n);
                signalDurable();
                for (Pending p : group) p.done().complete(null);
            } else {
                for (Pending p : group) p.done().complete(null);
                if (syncNow) syncOrFail();
            }
            java.util.Arrays.fill(frames, 0, group.size(), null);
            group.clear();
        }
    }

    private void signalDurable() {
        synchronized (durableSignal) {
            durableSeq++;
            durableSignal.notifyAll();
        }
    }

    /**
     * Process mode: fsyncs the active segment's written records and hands them to the reader ({@link UsageWriter}
     * reads only fsynced records, so the checkpoint never passes what a power loss would keep). Writer thread only.
     */
    private void sync() throws IOException {
        Segment segment;
        FileChannel channel;
        long end, records, bytes, started;
        io.lock();
        try {
            if (unsyncedBytes == 0) return;
            segment = active;
            channel = activeChannel;
            end = active.writtenEnd;
            records = unsyncedRecords.get();
            bytes = unsyncedBytes;
            started = System.nanoTime();
        } finally {
            io.unlock();
        }
        // Outside io (unless a rotation holds it): appends go on meanwhile, after end; only this thread rotates or closes.
        channel.force(false);
        fsyncs.incrementAndGet();
        io.lock();
        try {
            published(segment, end, records, bytes);
            if (unsyncedBytes > 0) syncDueAtNanos = started + TimeUnit.MILLISECONDS.toNanos(options.syncIntervalMillis());
        } finally {
            io.unlock();
        }
    }

    /** Oldest unsynced write's fsync deadline, or Long.MIN_VALUE when nothing waits for an fsync. */
    private long syncDue() {
        io.lock();
        try {
            return unsyncedBytes > 0 ? syncDueAtNanos : Long.MIN_VALUE;
        } finally {
            io.unlock();
        }
    }

    /** Whether written records wait for an fsync that is due (by time, or by count). */
    private boolean syncNeeded() {
        io.lock();
        try {
            return unsyncedBytes > 0 && (unsyncedRecords.get() >= options.maxGroupRecords() || System.nanoTime() - syncDueAtNanos >= 0);
        } finally {
            io.unlock();
        }
    }

    /**
     * Marks {@code segment} fsynced up to {@code end}, which covers {@code records} records and {@code bytes} bytes
     * counted unsynced: moves them to the unstored counts. Under io.
     */
    private void published(Segment segment, long end, long records, long bytes) {
        segment.durableEnd = end;
        unstoredRecords.addAndGet(records); // before the unsynced count falls (see writeLoop)
        unsyncedRecords.addAndGet(-records);
        unstoredBytes.addAndGet(bytes);
        unsyncedBytes -= bytes;
        signalDurable();
    }

    /** {@link #sync()}; a failure refuses records until a probe passes, like a failed write. */
    private void syncOrFail() {
        if (failure != null) return; // sync() itself returns at once when nothing is unsynced
        try {
            sync();
        } catch (IOException e) {
            refuseRecords("background fsync failed", e);
        }
    }

    /** After a failed write or fsync the segment's state is unknown: refuse records until a probe passes. Writer thread only. */
    private void refuseRecords(String what, IOException e) {
        io.lock();
        try {
            markFailed(what, e);
        } finally {
            io.unlock();
        }
        cutFailedTail();
    }

    /** Records refuse from now on. Under io. */
    private void markFailed(String what, IOException e) {
        LOG.log(Level.ERROR, "usage journal %s: %s; usage records are refused until the journal can write again".formatted(dir, what), e);
        writeFailures.incrementAndGet();
        failure = e;
    }

    /** After a failure (here, or a process-mode append's, {@link #failedHere}): cut the torn tail, probe later. Writer thread only. */
    private void cutFailedTail() {
        abandonRequested = false;
        io.lock();
        try {
            abandonActiveSegment();
        } finally {
            io.unlock();
        }
        nextProbeAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_INTERVAL_MS);
    }

    /**
     * Seals the active segment at its last acknowledged end (the fsynced end in machine mode): what a failed write may
     * have left after it is cut off (best effort; if even that fails, the reader still stops at that end and a restart
     * truncates a torn tail). In process mode the records acknowledged but not yet fsynced stay in the segment and are
     * handed to the reader even if their fsync fails (they are readable from the page cache, so they still reach
     * PostgreSQL): the segment is never deleted before they are stored. Under io.
     */
    private void abandonActiveSegment() {
        if (active == null || active.sealed) return;
        try {
            activeChannel.truncate(active.writtenEnd);
            activeChannel.force(true);
            if (unsyncedBytes > 0) fsyncs.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "usage journal %s: could not cut the failed tail of %s: %s".formatted(dir, active.path, e.getMessage()));
        }
        if (unsyncedBytes > 0) published(active, active.writtenEnd, unsyncedRecords.get(), unsyncedBytes);
        try {
            activeChannel.close();
        } catch (IOException ignored) {
            // the channel is abandoned either way
        }
        activeSize = active.writtenEnd;
        active.sealed = true;
    }

    /** Writes, fsyncs and deletes a small file, then starts a fresh segment; clears the failure when all of that works. */
    private void probe() {
        Path probe = dir.resolve("probe.tmp");
        io.lock();
        try {
            abandonActiveSegment();
            try (FileChannel ch = files.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.allocate(PROBE_BYTES);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            } finally {
                Files.deleteIfExists(probe);
            }
            openSegment(active.seq + 1);
            LOG.log(Level.INFO, "usage journal %s: writing works again; usage records are accepted".formatted(dir));
            failure = null;
        } catch (IOException | RuntimeException e) {
            failure = e instanceof IOException ioe ? ioe : new IOException(e.getMessage(), e);
            nextProbeAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_INTERVAL_MS);
        } finally {
            io.unlock();
        }
    }

    private void failAll(List<Pending> group, IOException cause) {
        for (Pending p : group) {
            if (p == WAKE) continue;
            pendingRecords.decrementAndGet();
            totalBytes.addAndGet(-p.frame().capacity());
            p.done().completeExceptionally(new UncheckedIOException("usage record not journaled", cause));
        }
    }
}
