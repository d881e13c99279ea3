package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.config.GatewayConfig.Provider;
import dev.llmgateway.gateway.config.GatewayConfig.Resilience;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PfxOptions;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider client as Backends builds it, against real loopback servers: HTTP/2 by ALPN when the server offers it
 * (many calls multiplexed over few connections), HTTP/1.1 when it does not, and a refused connection still reported as
 * an unreachable upstream (which counts against the circuit breaker), unlike a full pool.
 */
class UpstreamPoolTest {
    private static final String PASSWORD = "test-only";
    private static Vertx vertx;
    @TempDir static Path dir;
    private static Path keystore;

    @BeforeAll
    static void setUp() throws Exception {
        vertx = Vertx.vertx();
        // A self-signed certificate for 127.0.0.1, made with the JDK's own keytool (no extra test dependency).
        keystore = dir.resolve("server.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        assertThat(Files.size(keystore)).isPositive();
    }

    @AfterAll
    static void tearDown() { vertx.close(); }

    /** A TLS server answering every POST after {@code delayMs}, counting its connections. */
    private static HttpServer tlsServer(List<HttpVersion> alpn, long delayMs, Set<Object> connections) throws Exception {
        HttpServerOptions o = new HttpServerOptions().setSsl(true).setUseAlpn(true).setAlpnVersions(alpn)
                .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD));
        return vertx.createHttpServer(o)
                .connectionHandler(connections::add)
                .requestHandler(req -> req.body().onSuccess(b -> vertx.setTimer(delayMs, id -> req.response()
                        .putHeader("content-type", "application/json").end("{\"version\":\"" + req.version() + "\"}"))))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Provider provider(String url, boolean http2, int maxConnections) {
        return new Provider("p", "openai-compatible", Optional.of(URI.create(url)), Optional.empty(), Map.of(),
                maxConnections, 100, http2);
    }

    private static UpstreamHttp client(Provider p) {
        // Trusting the test's self-signed certificate is the only change to the options the gateway uses.
        HttpClientOptions o = Backends.clientOptions(p, Duration.ofSeconds(5)).setTrustAll(true).setVerifyHost(false);
        return new UpstreamHttp(vertx, vertx.createHttpClient(o), new UpstreamHttp.PoolLimits(p.name(), p.maxConnections(), p.maxWaiting()));
    }

    /** {@code n} concurrent calls; the HTTP version each one used. */
    private static List<HttpVersion> calls(UpstreamHttp http, String url, int n) throws Exception {
        List<Future<HttpVersion>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(http.post("d", url, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{}"), Resilience.DEFAULTS, new CancelToken())
                    .compose(x -> UpstreamHttp.body("d", x).map(b -> x.response().version())));
        }
        return Future.all(fs).map(cf -> fs.stream().map(Future::result).toList())
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Test
    void aLargePoolIsSplitPerEventLoopSoEachCallStaysOnItsOwnLoop() throws Exception {
        Vertx twoLoops = Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(2));
        try {
            Set<Object> connections = ConcurrentHashMap.newKeySet();
            HttpServer server = twoLoops.createHttpServer().connectionHandler(connections::add)
                    .requestHandler(req -> req.body().onSuccess(b -> req.response().end("{}")))
                    .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            String url = "http://127.0.0.1:" + server.actualPort() + "/v1/chat/completions";
            Provider p = provider("http://127.0.0.1:" + server.actualPort() + "/v1", false, 64);
            UpstreamHttp split = new UpstreamHttp(twoLoops, Backends.clientOptions(p, Duration.ofSeconds(5)),
                    new UpstreamHttp.PoolLimits(p.name(), p.maxConnections(), p.maxWaiting()));
            // Calls from both event loops, several rounds (so pooled connections are reused): each answer is handled on
            // the thread that sent the call, never on the other loop's.
            // Event-loop contexts are handed out round robin over the loops: two consecutive ones are on different loops.
            io.vertx.core.impl.VertxInternal internal = (io.vertx.core.impl.VertxInternal) twoLoops;
            List<io.vertx.core.impl.ContextInternal> loops = List.of(internal.createEventLoopContext(), internal.createEventLoopContext());
            assertThat(loops.get(0).nettyEventLoop()).isNotSameAs(loops.get(1).nettyEventLoop());
            List<String> mismatches = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int round = 0; round < 5; round++) {
                List<Future<?>> fs = new ArrayList<>();
                for (io.vertx.core.impl.ContextInternal ctx : loops) {
                    for (int i = 0; i < 10; i++) {
                        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
                        ctx.runOnContext(v -> {
                            Thread caller = Thread.currentThread();
                            split.post("d", url, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{}"), Resilience.DEFAULTS, new CancelToken())
                                    .compose(x -> UpstreamHttp.body("d", x))
                                    .onComplete(ar -> {
                                        if (Thread.currentThread() != caller) mismatches.add(caller.getName() + " -> " + Thread.currentThread().getName());
                                        if (ar.succeeded()) done.complete(); else done.fail(ar.cause());
                                    });
                        });
                        fs.add(done.future());
                    }
                }
                Future.all(fs).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            assertThat(mismatches).isEmpty();
            assertThat(split.clientCount()).isEqualTo(2);
            assertThat(connections.size()).isLessThanOrEqualTo(64);
            assertThat(split.inUse()).isZero();

            // A small pool is not split: max_connections 2 holds across both loops.
            UpstreamHttp small = new UpstreamHttp(twoLoops, Backends.clientOptions(provider(url, false, 2), Duration.ofSeconds(5)),
                    new UpstreamHttp.PoolLimits("p", 2, 100));
            Set<Object> before = Set.copyOf(connections);
            List<Future<?>> fs = new ArrayList<>();
            for (io.vertx.core.impl.ContextInternal ctx : loops) {
                for (int i = 0; i < 10; i++) {
                    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
                    ctx.runOnContext(v -> small.post("d", url, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{}"), Resilience.DEFAULTS,
                            new CancelToken()).compose(x -> UpstreamHttp.body("d", x)).onComplete(ar -> done.complete()));
                    fs.add(done.future());
                }
            }
            Future.all(fs).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(small.clientCount()).isEqualTo(1);
            assertThat(connections.size() - before.size()).isLessThanOrEqualTo(2);
            split.close();
            small.close();
            server.close();
        } finally {
            twoLoops.close();
        }
    }

    @Test
    void http2IsNegotiatedByAlpnAndMultiplexesManyCallsOverFewConnections() throws Exception {
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        HttpServer server = tlsServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1), 300, connections);
        String url = "https://127.0.0.1:" + server.actualPort() + "/v1/chat/completions";
        UpstreamHttp http = client(provider("https://127.0.0.1:" + server.actualPort() + "/v1", true, 4096));
        // Vert.x opens a connection for every call that finds no connection with a free stream, which includes calls
        // arriving while the first handshake is still running; once a connection is up, calls share it.
        assertThat(calls(http, url, 1)).containsOnly(HttpVersion.HTTP_2);
        List<HttpVersion> versions = calls(http, url, 50);
        assertThat(versions).hasSize(50).containsOnly(HttpVersion.HTTP_2);
        assertThat(connections.size()).as("connections for 1 + 50 concurrent calls").isLessThanOrEqualTo(2);
        assertThat(http.inUse()).isZero();
        server.close();
    }

    @Test
    void withoutHttp2AtTheProviderAlpnFallsBackToHttp11WithTheFullPool() throws Exception {
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        HttpServer server = tlsServer(List.of(HttpVersion.HTTP_1_1), 300, connections);
        String url = "https://127.0.0.1:" + server.actualPort() + "/v1/chat/completions";
        UpstreamHttp http = client(provider("https://127.0.0.1:" + server.actualPort() + "/v1", true, 4096));
        long start = System.nanoTime();
        List<HttpVersion> versions = calls(http, url, 20);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(versions).hasSize(20).containsOnly(HttpVersion.HTTP_1_1);
        // One call per HTTP/1.1 connection: 20 concurrent calls open 20 connections rather than queueing behind a
        // pool sized for HTTP/2.
        assertThat(connections).hasSize(20);
        assertThat(ms).as("20 concurrent 300 ms calls ran side by side").isLessThan(20 * 300);
        server.close();
    }

    @Test
    void http11OnlyClientsStayOnHttp11() throws Exception {
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        HttpServer server = tlsServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1), 10, connections);
        String url = "https://127.0.0.1:" + server.actualPort() + "/v1/chat/completions";
        UpstreamHttp http = client(provider("https://127.0.0.1:" + server.actualPort() + "/v1", false, 4096));
        assertThat(calls(http, url, 3)).containsOnly(HttpVersion.HTTP_1_1);
        server.close();
    }

    @Test
    void aRefusedConnectionIsAnUnreachableUpstreamNotGatewayCapacity() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UpstreamHttp http = client(provider("http://127.0.0.1:" + port + "/v1", false, 4096));
        Throwable failure = http.post("d", "http://127.0.0.1:" + port + "/v1/chat/completions", MultiMap.caseInsensitiveMultiMap(),
                Buffer.buffer("{}"), Resilience.DEFAULTS, new CancelToken()).toCompletionStage().toCompletableFuture()
                .handle((x, e) -> e).get(30, TimeUnit.SECONDS);
        Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
        assertThat(cause).isInstanceOf(GatewayError.Failure.class);
        GatewayError err = ((GatewayError.Failure) cause).error();
        assertThat(err).isInstanceOf(GatewayError.UpstreamUnavailable.class);
        assertThat(err.message()).contains("cannot connect to upstream 'd'");
        assertThat(CircuitBreakers.countsAsFailure(cause)).isTrue();
        assertThat(CircuitBreakers.countsAsFailure(new GatewayError.Failure(
                new GatewayError.GatewayCapacity("d", "full", Duration.ofSeconds(1))))).isFalse();
        assertThat(http.waiting()).isZero();
        assertThat(http.inUse()).isZero();
    }
}
