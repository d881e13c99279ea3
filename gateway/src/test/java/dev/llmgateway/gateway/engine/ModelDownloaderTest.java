package dev.llmgateway.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.engine.ModelConfig;
import dev.llmgateway.gateway.config.GatewayConfig.EngineModel.HuggingFace;
import dev.llmgateway.gateway.providers.embedded.ModelDownloader;
import dev.llmgateway.gateway.providers.embedded.ModelDownloader.ModelDownloadException;
import dev.llmgateway.gateway.testing.TestConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelDownloader} against a fake Hugging Face on loopback that serves the real test model. Nothing here talks
 * to the real Hugging Face.
 */
class ModelDownloaderTest {
    private static final String REPO = "test-org/Tiny-GGUF";
    private static final String FILE = "llama-2-tiny-random.gguf";
    private static final String PATH = "/" + REPO + "/resolve/main/" + FILE;

    private static byte[] model;
    private static String sha256;

    @TempDir Path dataDir;
    private HttpServer hub;
    private HttpServer cdn;
    /** Requests per path, and the Authorization header each one carried ("" when none). */
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void readModel() throws Exception {
        model = Files.readAllBytes(TestConfig.testModel());
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
    }

    @BeforeEach
    void startServers() throws IOException {
        cdn = server();
        cdn.createContext("/blobs/", ex -> serve(ex, "cdn", model));
        hub = server();
        hub.createContext("/", ex -> {
            String path = ex.getRequestURI().getRawPath();
            switch (path) {
                case PATH -> serve(ex, "hub", model);
                case "/" + REPO + "/resolve/main/redirected.gguf" -> {
                    // Like huggingface.co for an LFS file: 302 to a signed CDN URL on another host.
                    record(ex, "hub");
                    ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + sha256 + "?X-Signature=abc");
                    ex.sendResponseHeaders(302, -1);
                    ex.close();
                }
                case "/" + REPO + "/resolve/main/relative.gguf" -> {
                    record(ex, "hub");
                    ex.getResponseHeaders().add("Location", PATH);
                    ex.sendResponseHeaders(307, -1);
                    ex.close();
                }
                default -> {
                    record(ex, "hub");
                    ex.sendResponseHeaders(404, -1);
                    ex.close();
                }
            }
        });
    }

    @AfterEach
    void stopServers() {
        hub.stop(0);
        cdn.stop(0);
    }

    private static HttpServer server() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.setExecutor(Executors.newCachedThreadPool());
        s.start();
        return s;
    }

    private void record(HttpExchange ex, String host) {
        hits.computeIfAbsent(host + " " + ex.getRequestURI().getRawPath(), k -> new AtomicInteger()).incrementAndGet();
        authorizations.add(host + " " + Optional.ofNullable(ex.getRequestHeaders().getFirst("Authorization")).orElse(""));
    }

    private void serve(HttpExchange ex, String host, byte[] body) throws IOException {
        record(ex, host);
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private int requests() { return hits.values().stream().mapToInt(AtomicInteger::get).sum(); }

    private ModelDownloader downloader(Optional<String> token) {
        return new ModelDownloader(dataDir.resolve("models"), URI.create("http://127.0.0.1:" + hub.getAddress().getPort() + "/"), token);
    }

    private static HuggingFace hf(String file, String sha) { return new HuggingFace(REPO, file, "main", sha); }

    private List<String> modelsDirFiles() throws IOException {
        try (Stream<Path> s = Files.list(dataDir.resolve("models"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsOnceVerifiesAndTheEngineAcceptsIt() throws Exception {
        Path path = downloader(Optional.empty()).resolve(hf(FILE, sha256));

        assertThat(path).isEqualTo(dataDir.resolve("models").resolve(sha256 + ".gguf").toAbsolutePath());
        assertThat(Files.readAllBytes(path)).isEqualTo(model);
        assertThat(Files.readString(path.resolveSibling(sha256 + ".ok"))).isEqualTo(Long.toString(model.length));
        assertThat(modelsDirFiles()).containsExactly(sha256 + ".gguf", sha256 + ".lock", sha256 + ".ok");
        assertThat(hits).containsOnlyKeys("hub " + PATH);
        assertThat(authorizations).containsExactly("hub ");

        // A restart (a new downloader) finds the verified file and does not ask the server again.
        assertThat(downloader(Optional.empty()).resolve(hf(FILE, sha256))).isEqualTo(path);
        assertThat(requests()).isEqualTo(1);

        // The engine accepts the file (it checks the GGUF magic and header at start). Not loaded into llama.cpp here: its
        // native library can belong to one class loader per JVM, and the @QuarkusTest classes share this JVM.
        try (LocalEngine engine = LocalEngine.start(List.of(new ModelConfig("tiny", path, 256, 1, 1, 0, 0, Duration.ZERO, false, Optional.empty())))) {
            assertThat(engine.models()).containsExactly("tiny");
        }
    }

    @Test
    void wrongSha256FailsNamingRepoFileAndBothHashesAndLeavesNoFile() throws IOException {
        String wrong = "0".repeat(64);
        assertThatThrownBy(() -> downloader(Optional.empty()).resolve(hf(FILE, wrong)))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining(REPO).hasMessageContaining(FILE)
                .hasMessageContaining("expected " + wrong).hasMessageContaining("got " + sha256);
        assertThat(modelsDirFiles()).containsExactly(wrong + ".lock");
        assertThat(requests()).isEqualTo(1);
    }

    @Test
    void redirectIsFollowedAndTheTokenIsSentOnlyToTheEndpoint() throws IOException {
        Path path = downloader(Optional.of("hf_secret")).resolve(hf("redirected.gguf", sha256));

        assertThat(Files.readAllBytes(path)).isEqualTo(model);
        assertThat(authorizations).containsExactly("hub Bearer hf_secret", "cdn ");
        assertThat(hits).containsOnlyKeys("hub /" + REPO + "/resolve/main/redirected.gguf", "cdn /blobs/" + sha256);
    }

    @Test
    void relativeRedirectOnTheEndpointKeepsTheToken() {
        downloader(Optional.of("hf_secret")).resolve(hf("relative.gguf", sha256));
        assertThat(authorizations).containsExactly("hub Bearer hf_secret", "hub Bearer hf_secret");
    }

    @Test
    void notFoundIsAClearErrorAndLeavesNoFile() throws IOException {
        assertThatThrownBy(() -> downloader(Optional.empty()).resolve(hf("missing.gguf", sha256)))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining(REPO + "/missing.gguf@main").hasMessageContaining("HTTP 404").hasMessageContaining("check repo, file and revision");
        assertThat(modelsDirFiles()).containsExactly(sha256 + ".lock");
    }

    @Test
    void concurrentResolvesDownloadOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Path>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return downloader(Optional.empty()).resolve(hf(FILE, sha256));
                }));
            }
            go.countDown();
            for (Future<Path> f : results) assertThat(Files.readAllBytes(f.get())).isEqualTo(model);
        } finally {
            pool.shutdownNow();
        }
        assertThat(requests()).isEqualTo(1);
    }

    @Test
    void aFileWithoutMarkerIsHashedOnceAndACorruptOneIsReplaced() throws IOException {
        Path models = Files.createDirectories(dataDir.resolve("models"));
        Path target = models.resolve(sha256 + ".gguf");

        Files.write(target, model);                       // copied in by hand: hashed, marked, no download
        assertThat(downloader(Optional.empty()).resolve(hf(FILE, sha256))).isEqualTo(target.toAbsolutePath());
        assertThat(models.resolve(sha256 + ".ok")).exists();
        assertThat(requests()).isZero();

        Files.delete(models.resolve(sha256 + ".ok"));
        byte[] corrupt = model.clone();
        corrupt[corrupt.length - 1] ^= 1;
        Files.write(target, corrupt);                     // same size, wrong content: downloaded again
        downloader(Optional.empty()).resolve(hf(FILE, sha256));
        assertThat(Files.readAllBytes(target)).isEqualTo(model);
        assertThat(requests()).isEqualTo(1);

        Files.write(target, new byte[10]);                // truncated after marking: size differs from the marker
        downloader(Optional.empty()).resolve(hf(FILE, sha256));
        assertThat(Files.readAllBytes(target)).isEqualTo(model);
        assertThat(requests()).isEqualTo(2);
    }
}
