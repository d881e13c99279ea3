package dev.llmgateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway ({@code gateway/target/quarkus-app/quarkus-run.jar}) as a child process: {@code java -jar} with
 * environment variables only, stdout and stderr appended to a log file under {@code e2e/target/e2e-logs/}.
 * {@link #kill()} is SIGKILL ({@link Process#destroyForcibly()}); {@link #close()} always ends the process.
 */
final class GatewayProcess implements AutoCloseable {
    static final String ADMIN_KEY = "e2e-admin-key-0123456789abcdef0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        // If the test JVM itself is stopped, do not leave gateways behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "e2e-gateway-reaper"));
    }

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Settings of one gateway process; a null {@code dbUrl} means the gateway's embedded PostgreSQL (its default). */
    record Settings(Path config, Path dataDir, int port, String dbUrl, Path logFile, Map<String, String> extraEnv) {
        Settings(Path config, Path dataDir, int port, String dbUrl, Path logFile) {
            this(config, dataDir, port, dbUrl, logFile, Map.of());
        }

        /** The same settings plus one more environment variable of the gateway process. */
        Settings withEnv(String name, String value) {
            Map<String, String> env = new java.util.LinkedHashMap<>(extraEnv);
            env.put(name, value);
            return new Settings(config, dataDir, port, dbUrl, logFile, Map.copyOf(env));
        }
    }

    /** Starts the gateway and waits until {@code /q/health/ready} answers 200. */
    static GatewayProcess start(String name, Settings s) {
        GatewayProcess g = launch(name, s);
        try {
            g.awaitReady(Duration.ofSeconds(90));
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** Starts the gateway process without waiting for it (for tests of a start that must fail). */
    static GatewayProcess launch(String name, Settings s) {
        Path jar = jar();
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx384m", "-XX:ActiveProcessorCount=2", "-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        try {
            Files.createDirectories(s.logFile().getParent());
            Files.createDirectories(s.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(s.logFile().toFile()));
        pb.directory(s.dataDir().getParent().toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.startsWith("QUARKUS_"));
        env.put("GATEWAY_CONFIG", s.config().toString());
        env.put("GATEWAY_DATA_DIR", s.dataDir().toString());
        env.put("GATEWAY_ADMIN_KEY", ADMIN_KEY);
        if (s.dbUrl() != null) {
            env.put("GATEWAY_DB_URL", s.dbUrl());
            env.put("GATEWAY_DB_USER", "postgres");
            env.put("GATEWAY_DB_PASSWORD", "");
        }
        env.put("QUARKUS_HTTP_PORT", Integer.toString(s.port()));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.putAll(s.extraEnv());
        Process p;
        try {
            Files.writeString(s.logFile(), "\n===== e2e: starting " + name + " on port " + s.port() + " at " + java.time.Instant.now()
                    + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + cmd, e);
        }
        LIVE.add(p);
        return new GatewayProcess(name, p, s.port(), s.logFile());
    }

    /** Waits for the process to exit by itself; its exit code, or empty if it is still running after the timeout. */
    java.util.OptionalInt awaitExitCode(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) return java.util.OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.OptionalInt.empty();
        }
        LIVE.remove(process);
        return java.util.OptionalInt.of(process.exitValue());
    }

    /** HTTP status of {@code /q/health/ready} (0 when there is no answer) and its body, with details (admin key). */
    Map.Entry<Integer, String> readinessStatus() {
        try {
            HttpResponse<String> r = admin.send(HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(3))
                            .header("authorization", "Bearer " + ADMIN_KEY).build(),
                    HttpResponse.BodyHandlers.ofString());
            return Map.entry(r.statusCode(), r.body());
        } catch (Exception e) {
            return Map.entry(0, e.toString());
        }
    }

    /** HTTP status of the public, detail-free {@code /q/health/ready} (0 when there is no answer). */
    int publicReadinessStatus() {
        try {
            return admin.send(HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return 0;
        }
    }

    /** The packaged gateway; a clear failure if the gateway module was not built first. */
    static Path jar() {
        String override = System.getProperty("gateway.jar");
        if (override != null) return requireFile(List.of(Path.of(override)));
        String root = System.getProperty("gateway.project.root");
        List<Path> candidates = new ArrayList<>();
        if (root != null) {
            Path r = Path.of(root).toAbsolutePath().normalize();
            candidates.add(r.resolve("gateway/target/quarkus-app/quarkus-run.jar"));
            // mvn -f e2e/pom.xml without a .mvn folder makes maven.multiModuleProjectDirectory the e2e folder itself.
            if (r.getParent() != null) candidates.add(r.getParent().resolve("gateway/target/quarkus-app/quarkus-run.jar"));
        }
        candidates.add(Path.of("..", "gateway/target/quarkus-app/quarkus-run.jar").toAbsolutePath().normalize());
        return requireFile(candidates);
    }

    private static Path requireFile(List<Path> candidates) {
        for (Path c : candidates) if (Files.isRegularFile(c)) return c;
        throw new IllegalStateException("The packaged gateway is missing (looked for " + candidates + "). Build it first: "
                + "mvn -B -o -q install -DskipTests -pl gateway -am (the e2e module must run after the gateway module), "
                + "or pass -Dgateway.jar=/path/to/quarkus-run.jar");
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() { return name; }

    int port() { return port; }

    URI uri(String path) { return URI.create("http://127.0.0.1:" + port + path); }

    boolean alive() { return process.isAlive(); }

    long pid() { return process.pid(); }

    Path log() { return log; }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready; log " + log
                        + ":\n" + tail(60));
            }
            try {
                HttpResponse<String> r = admin.send(HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            sleep(200);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout + " (last: " + last + "); log " + log + ":\n" + tail(60));
    }

    /** The readiness document (200 or 503), for diagnostics. */
    String readiness() {
        try {
            HttpResponse<String> r = admin.send(HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().replaceAll("\\s+", " ");
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** Calls the admin API; fails unless the status is 2xx. */
    JsonNode admin(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                    .header("authorization", "Bearer " + ADMIN_KEY).header("content-type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = admin.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
            return r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Creates a team and returns the secret of a new key of it. */
    String createTeamAndKey(String team) {
        admin("POST", "/admin/teams", "{\"id\":\"" + team + "\"}");
        return admin("POST", "/admin/teams/" + team + "/keys", "{\"name\":\"e2e\"}").path("key").asText();
    }

    /** SIGKILL, like {@code kill -9}: no shutdown hook, no flush, no checkpoint. */
    void kill() {
        note("kill -9 (destroyForcibly)");
        process.destroyForcibly();
        awaitExit();
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) throw new IllegalStateException(name + " did not exit");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }

    /** Appends a marker line to this process's log, so the log shows what the test did when. */
    void note(String what) {
        try {
            Files.writeString(log, "===== e2e: " + what + " at " + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // diagnostics only
        }
    }

    /** The last lines of the log. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Log lines of this process containing {@code needle}, at most {@code max}. */
    List<String> grepLog(String needle, int max) {
        try (var s = Files.lines(log)) {
            return s.filter(l -> l.contains(needle)).limit(max).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of("(log unreadable: " + e + ")");
        }
    }

    /**
     * An orderly stop (SIGTERM: the gateway shuts down, stopping its embedded PostgreSQL if it runs one), SIGKILL only
     * if it has not exited after 30 s. A SIGKILL here would leave an embedded PostgreSQL running as an orphan.
     */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        awaitExit();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
