package dev.llmgateway.gateway.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The embedded PostgreSQL as a durable, supervised child process of the gateway.
 *
 * <ul>
 *   <li>Durable: {@code fsync}, {@code full_page_writes} and {@code synchronous_commit} on (zonky's test defaults turn
 *       them off, which can corrupt the cluster on an OS crash or power loss).</li>
 *   <li>Exclusive: an OS file lock on {@code <data dir>/postgres.lock}, holding the owner's pid, so two gateways never
 *       share one data directory; the second fails with the holder's pid. The kernel drops the lock when its owner dies,
 *       also on {@code kill -9}.</li>
 *   <li>Stale postmaster: a postmaster left running by a killed gateway (its {@code postmaster.pid} names a live
 *       {@code postgres} process while we hold the lock, so no gateway owns it) is shut down before the start, so the
 *       first restart after {@code kill -9} works.</li>
 *   <li>Supervised: when the child dies, it is started again with backoff (1 s doubling to 30 s) on the same port;
 *       {@link #running()} is false meanwhile (readiness DOWN). The connection pool validates connections, so it
 *       reconnects by itself once the server is back.</li>
 *   <li>Its output goes to {@code <data dir>/postgres.log}.</li>
 * </ul>
 * The binaries are zonky's (PostgreSQL 14); as root they run in a user namespace ({@code unshare -U}) because PostgreSQL
 * refuses to run as root, exactly as zonky does.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedPostgresServer.class);
    static final Duration FIRST_RESTART = Duration.ofSeconds(1);
    static final Duration MAX_RESTART = Duration.ofSeconds(30);
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final Path pgData;
    private final Path logFile;
    private final Duration startTimeout;
    private final File binaries;
    private final int port;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ScheduledExecutorService supervisor;
    private volatile Process postmaster;
    private volatile boolean ready;
    private volatile boolean closing;
    private boolean closed;
    private volatile String lastProblem = "";
    private volatile Instant downSince;
    private volatile int restarts;

    private EmbeddedPostgresServer(Path dataDir, Duration startTimeout, FileChannel lockChannel, FileLock lock) throws IOException {
        this.dataDir = dataDir;
        this.pgData = dataDir.resolve("postgres");
        this.logFile = dataDir.resolve("postgres.log");
        this.startTimeout = startTimeout;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.binaries = binaries();
        this.port = freePort();
        this.supervisor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("embedded-postgres-supervisor").factory());
    }

    /**
     * Locks the data directory, stops a stale postmaster, creates the cluster on first use and starts PostgreSQL,
     * waiting up to {@code startTimeout} for it to accept connections.
     *
     * @param dataDir the gateway's data directory; the cluster lives in {@code <dataDir>/postgres}
     * @throws IllegalStateException naming the problem (data directory in use by pid N, start timeout with the log's tail)
     */
    public static EmbeddedPostgresServer start(Path dataDir, Duration startTimeout) {
        Path dir = dataDir.toAbsolutePath().normalize();
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            Path lockFile = dir.resolve("postgres.lock");
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
                channel.close();
                throw new IllegalStateException("the data directory " + dir + " is in use by another gateway (pid "
                        + (holder.isEmpty() ? "unknown" : holder) + "): two gateways never share one embedded PostgreSQL. Give each "
                        + "its own GATEWAY_DATA_DIR, or run replicas on an external PostgreSQL (GATEWAY_DB_URL)");
            }
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(dir, startTimeout, channel, lock);
            try {
                server.startOnce();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            server.supervise();
            // Also when the JVM ends without the gateway's orderly shutdown (e.g. a failed start after this point).
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "embedded-postgres-stop"));
            return server;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new IllegalStateException("could not start the embedded PostgreSQL in " + dir.resolve("postgres") + ": " + e.getMessage(), e);
        }
    }

    /** JDBC URL of the {@code postgres} database (user {@code postgres}, trust authentication, loopback only). */
    public String jdbcUrl() { return "jdbc:postgresql://127.0.0.1:" + port + "/postgres"; }

    public int port() { return port; }

    public Path pgData() { return pgData; }

    public Path logFile() { return logFile; }

    /** True while the server accepts connections; false while it is being restarted after it died. */
    public boolean running() { return ready; }

    /** Why it is not running (the last failure), empty when it is. */
    public String problem() { return ready ? "" : lastProblem; }

    /** When it went down, if it is down. */
    public Optional<Instant> downSince() { return ready ? Optional.empty() : Optional.ofNullable(downSince); }

    /** How often it was restarted after dying. */
    public int restarts() { return restarts; }

    /** The postmaster's pid (for operators and tests), or -1 while none runs. */
    public long pid() {
        Process p = postmaster;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    private void startOnce() {
        try {
            stopStalePostmaster();
            if (!Files.isRegularFile(pgData.resolve("PG_VERSION"))) initdb();
            Process p = launch();
            postmaster = p;
            awaitReady(p);
            ready = true;
            lastProblem = "";
            LOG.infof("Embedded PostgreSQL is up (pid %d, port %d, data %s, log %s; fsync and synchronous_commit on)", p.pid(), port, pgData, logFile);
        } catch (IOException e) {
            throw new IllegalStateException("could not start the embedded PostgreSQL in " + pgData + ": " + e.getMessage() + tail(), e);
        }
    }

    /** Restarts the postmaster whenever it exits unexpectedly, with backoff. */
    private void supervise() {
        Process p = postmaster;
        p.onExit().thenRun(() -> {
            if (closing) return;
            ready = false;
            downSince = Instant.now();
            lastProblem = "the embedded PostgreSQL (pid " + p.pid() + ") exited with code " + p.exitValue();
            LOG.errorf("%s; restarting it (readiness is DOWN meanwhile, usage waits in the journal)%s", lastProblem, tail());
            scheduleRestart(FIRST_RESTART);
        });
    }

    private void scheduleRestart(Duration backoff) {
        if (closing) return;
        supervisor.schedule(() -> {
            if (closing) return;
            try {
                startOnce();
                restarts++;
                LOG.infof("Embedded PostgreSQL restarted after %d s down", Duration.between(downSince, Instant.now()).toSeconds());
                supervise();
            } catch (RuntimeException e) {
                Process failed = postmaster;
                if (failed != null && failed.isAlive()) failed.destroyForcibly();
                lastProblem = e.getMessage();
                Duration next = backoff.multipliedBy(2).compareTo(MAX_RESTART) > 0 ? MAX_RESTART : backoff.multipliedBy(2);
                LOG.errorf("Restarting the embedded PostgreSQL failed (%s); next attempt in %d s", e.getMessage(), next.toSeconds());
                scheduleRestart(next);
            }
        }, backoff.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A postmaster.pid naming a live postgres process means a killed gateway left its PostgreSQL running (we hold the
     * data directory's lock, so no live gateway owns it): shut it down (fast mode), killing it only if it does not stop.
     * A postmaster.pid of a process that is gone (or is no postgres) is removed.
     */
    private void stopStalePostmaster() throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        List<String> lines;
        try {
            lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.isEmpty() ? "" : lines.get(0).trim());
        } catch (NumberFormatException e) {
            LOG.warnf("Removing an unreadable %s", pidFile);
            Files.deleteIfExists(pidFile);
            return;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        boolean isPostgres = handle.flatMap(h -> h.info().command()).map(c -> c.endsWith("/postgres")).orElse(false)
                // a reused pid running some other cluster is not ours to stop
                && handle.flatMap(h -> h.info().commandLine()).map(l -> l.contains(pgData.toString())).orElse(true);
        if (handle.isEmpty() || !isPostgres) {
            LOG.infof("Removing the stale %s (pid %d is not running PostgreSQL)", pidFile, pid);
            Files.deleteIfExists(pidFile);
            return;
        }
        ProcessHandle h = handle.get();
        List<ProcessHandle> children = h.descendants().toList();
        LOG.warnf("A PostgreSQL (pid %d) left running on %s by a gateway that was killed: stopping it before starting our own", pid, pgData);
        signal(pid, "INT"); // fast shutdown: disconnect clients, checkpoint, exit
        if (!awaitExit(h, STOP_WAIT)) {
            LOG.warnf("PostgreSQL pid %d did not stop within %d s; killing it (WAL recovery on start)", pid, STOP_WAIT.toSeconds());
            h.destroyForcibly();
            awaitExit(h, Duration.ofSeconds(10));
        }
        // Its backends notice the postmaster's end and exit; the new one cannot start while they hold shared memory.
        for (ProcessHandle c : children) {
            if (!awaitExit(c, Duration.ofSeconds(10))) c.destroyForcibly();
        }
        if (h.isAlive()) throw new IOException("the stale PostgreSQL pid " + pid + " on " + pgData + " does not stop");
    }

    private void initdb() throws IOException {
        LOG.infof("Creating the embedded PostgreSQL cluster in %s", pgData);
        Files.createDirectories(pgData.getParent());
        List<String> cmd = command("initdb", "-A", "trust", "-U", "postgres", "-D", pgData.toString(), "-E", "UTF-8");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        try {
            if (!p.waitFor(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("initdb did not finish within " + startTimeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running initdb", e);
        }
        if (p.exitValue() != 0) throw new IOException("initdb failed with exit code " + p.exitValue());
    }

    private Process launch() throws IOException {
        List<String> cmd = command("postgres", "-D", pgData.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=",
                "-c", "max_connections=200",
                "-c", "timezone=UTC",
                // Durability: never trade it for speed in the database holding the ledger, keys and budgets.
                "-c", "fsync=on",
                "-c", "full_page_writes=on",
                "-c", "synchronous_commit=on");
        Files.writeString(logFile, "===== " + Instant.now() + " starting PostgreSQL on port " + port + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    }

    private void awaitReady(Process p) throws IOException {
        Instant deadline = Instant.now().plus(startTimeout);
        SQLException last = null;
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", "2");
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) throw new IOException("PostgreSQL exited with code " + p.exitValue() + " while starting");
            try (Connection c = DriverManager.getConnection(jdbcUrl(), props); Statement s = c.createStatement()) {
                s.execute("SELECT 1");
                return;
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for PostgreSQL", e);
            }
        }
        p.destroyForcibly();
        throw new IOException("PostgreSQL did not accept connections within " + startTimeout.toSeconds()
                + " s (GATEWAY_DB_START_TIMEOUT)" + (last == null ? "" : ": " + last.getMessage()));
    }

    /** The command, run in a user namespace when we are root (PostgreSQL refuses to run as root), as zonky does. */
    private List<String> command(String binary, String... args) {
        List<String> cmd = new ArrayList<>();
        if (runningAsRoot() && LinuxUtils.isUnshareAvailable()) {
            cmd.add("unshare");
            cmd.add("-U");
        }
        cmd.add(new File(binaries, "bin/" + binary).getPath());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** zonky's PostgreSQL binaries, unpacked once into its working directory (shared with its other users). */
    private static File binaries() throws IOException {
        try {
            var m = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
            m.setAccessible(true);
            return (File) m.invoke(null, DefaultPostgresBinaryResolver.INSTANCE, null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            throw new IOException("cannot unpack the embedded PostgreSQL binaries: " + cause, cause);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean awaitExit(ProcessHandle h, Duration max) {
        try {
            h.onExit().get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !h.isAlive();
        } catch (Exception e) {
            return !h.isAlive();
        }
    }

    /** The last lines of PostgreSQL's log, for error messages. */
    private String tail() {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - 1500);
            byte[] buf = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "" : "\n--- last lines of " + logFile + " ---\n" + text;
        } catch (IOException e) {
            return "";
        }
    }

    /** Fast shutdown of the child (pool closed first), then releases the data directory's lock. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closing = true;
        ready = false;
        supervisor.shutdownNow();
        Process p = postmaster;
        if (p != null && p.isAlive()) {
            signal(p.pid(), "INT");
            try {
                if (!p.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warnf("The embedded PostgreSQL (pid %d) did not stop within %d s; killing it", p.pid(), STOP_WAIT.toSeconds());
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        try {
            if (lock.isValid()) lock.release();
        } catch (IOException e) {
            LOG.warn("releasing the data directory lock failed", e);
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
