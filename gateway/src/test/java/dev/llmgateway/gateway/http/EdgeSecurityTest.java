package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The edge as a hostile client meets it: keys are checked from the headers before any body is read, failed
 * authentication is throttled per address, bodies are bounded in time and per address, connections are capped with a
 * clear 503. Runs its own gateway with small limits; each test speaks from its own loopback address (127.0.0.x).
 */
@QuarkusTest
@TestProfile(EdgeSecurityTest.SmallLimits.class)
public class EdgeSecurityTest {
    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(10);

    /** Small limits, so that tests reach them quickly. */
    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.edge-auth-failures", "5", "gateway.edge-admin-auth-failures", "3",
                    "gateway.edge-auth-failure-window", "60s", "gateway.edge-body-timeout", "1s",
                    "gateway.edge-body-reads-per-address", "2", "gateway.edge-max-connections", "40",
                    "gateway.edge-keep-alive-timeout", "1s");
        }
    }
    @Inject dev.llmgateway.gateway.auth.Authenticator authenticator;

    private static InetAddress freshAddress() throws IOException {
        return InetAddress.getByName("127.0.0." + NEXT_ADDRESS.getAndIncrement());
    }

    private static Socket connect(InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", URI.create(Http.gateway()).getPort()), 3000);
        s.setSoTimeout(5000);
        return s;
    }

    /** Sends only the request head (declaring a body that never comes) and returns what arrives within the timeout. */
    private static String headOnly(InetAddress from, String method, String path, String authorization, long declaredLength) throws IOException {
        try (Socket s = connect(from)) {
            String head = method + " " + path + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: "
                    + declaredLength + "\r\n" + (authorization == null ? "" : "Authorization: Bearer " + authorization + "\r\n") + "\r\n";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    /** Reads until the server closes the connection (or the socket times out). */
    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) out.write(buf, 0, n);
        } catch (SocketTimeoutException e) {
            // whatever arrived is the answer
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> postFrom(InetAddress from, String path, String auth, String body) throws Exception {
        HttpClient client = HttpClient.newBuilder().localAddress(from).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Http.gateway() + path)).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("authorization", "Bearer " + auth);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDeclaredBodyWithoutAKeyIsAnsweredAt401AtOnceAndNeverRead() throws Exception {
        InetAddress from = freshAddress();
        for (String path : List.of("/v1/chat/completions", "/v1/feedback", "/v1/embeddings", "/v1/messages", "/v1/responses", "/admin/config/validate")) {
            long started = System.nanoTime();
            String answer = headOnly(from, "POST", path, null, 3_000_000);
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(answer).as(path).startsWith("HTTP/1.1 401");
            assertThat(answer.toLowerCase()).as(path + ": the unread body means the connection is closed").contains("connection: close");
            assertThat(tookMs).as(path + ": answered without waiting for the body (and the server closed the socket)").isLessThan(4000);
        }
    }

    @Test
    void anUnknownKeyIsAnswered401BeforeItsBodyAndRememberedAsUnknown() throws Exception {
        InetAddress from = freshAddress();
        long before = authenticator.unknownKeys();
        String answer = headOnly(from, "POST", "/v1/chat/completions", "gw-made-up-" + System.nanoTime(), 3_000_000);
        assertThat(answer).startsWith("HTTP/1.1 401").contains("invalid_api_key");
        assertThat(authenticator.unknownKeys()).isEqualTo(before + 1);
        String admin = headOnly(from, "POST", "/admin/config/validate", "not-the-admin-key-but-long-enough-000000", 3_000_000);
        assertThat(admin).startsWith("HTTP/1.1 401");
    }

    @Test
    void failedAuthenticationIsThrottledPerAddressButAKnownKeyStillPasses() throws Exception {
        String key = Http.newKey("edge-throttle-team");
        String chat = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        InetAddress from = freshAddress();
        assertThat(postFrom(from, "/v1/chat/completions", key, chat).statusCode()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            assertThat(postFrom(from, "/v1/chat/completions", "gw-guess-" + i, chat).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> blocked = postFrom(from, "/v1/chat/completions", "gw-guess-next", chat);
        assertThat(blocked.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(blocked.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
        assertThat(Http.json(blocked.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(postFrom(from, "/v1/chat/completions", key, chat).statusCode()).as("a key known to be valid still passes").isEqualTo(200);
        assertThat(postFrom(freshAddress(), "/v1/chat/completions", "gw-guess-elsewhere", chat).statusCode())
                .as("other addresses are not affected").isEqualTo(401);
    }

    @Test
    void failedAdminAuthenticationIsThrottledPerAddress() throws Exception {
        InetAddress from = freshAddress();
        for (int i = 0; i < 3; i++) {
            assertThat(postFrom(from, "/admin/teams", "wrong-admin-key-" + i, "{\"id\":\"x\"}").statusCode()).isEqualTo(401);
        }
        HttpResponse<String> blocked = postFrom(from, "/admin/teams", GatewayTestResource.ADMIN_KEY, "{\"id\":\"edge-admin-team\"}");
        assertThat(blocked.statusCode()).as("even the right key waits once an address has guessed too often").isEqualTo(429);
        assertThat(blocked.headers().firstValue("retry-after")).isPresent();
        assertThat(postFrom(freshAddress(), "/admin/teams", GatewayTestResource.ADMIN_KEY, "{\"id\":\"edge-admin-team\"}").statusCode())
                .isIn(200, 201);
    }

    @Test
    void anAuthenticatedBodyThatStallsGets408AfterTheBodyTimeout() throws Exception {
        String key = Http.newKey("edge-slow-team");
        InetAddress from = freshAddress();
        try (Socket s = connect(from)) {
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
                    + "Authorization: Bearer " + key + "\r\n\r\n{\"model\":";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long started = System.nanoTime();
            String answer = readAll(s.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 408").contains("did not arrive within 1000 ms");
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(500L, 4000L);
        }
    }

    @Test
    void oneAddressMayOnlySendALimitedNumberOfBodiesAtOnce() throws Exception {
        String key = Http.newKey("edge-bodies-team");
        InetAddress from = freshAddress();
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = connect(from);
                open.add(s);
                s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Length: 100\r\nAuthorization: Bearer "
                        + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            Thread.sleep(200);
            String third = headOnly(from, "POST", "/v1/chat/completions", key, 100);
            assertThat(third).startsWith("HTTP/1.1 429").contains("too many request bodies");
            assertThat(headOnly(freshAddress(), "POST", "/v1/chat/completions", key, 100)).as("another address is not limited")
                    .startsWith("HTTP/1.1 408");
        } finally {
            for (Socket s : open) s.close();
        }
    }

    @Test
    void pastTheConnectionLimitNewConnectionsGetAClear503() throws Exception {
        InetAddress from = freshAddress();
        List<Socket> open = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                Socket s = connect(from);
                open.add(s);
                s.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: gateway\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                byte[] buf = new byte[2048];
                int n = s.getInputStream().read(buf);
                answers.add(new String(buf, 0, Math.max(n, 0), StandardCharsets.UTF_8));
            }
        } finally {
            for (Socket s : open) s.close();
        }
        assertThat(answers.get(0)).startsWith("HTTP/1.1 200");
        assertThat(answers).anySatisfy(a -> assertThat(a).startsWith("HTTP/1.1 503").contains("connection limit"));
        // Closed connections are forgotten: new ones are served again.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int status = 0;
        while (System.nanoTime() < deadline && status != 200) {
            status = Http.get(Http.gateway() + "/q/health/live", null).statusCode();
            if (status != 200) Thread.sleep(100);
        }
        assertThat(status).isEqualTo(200);
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
        try (Socket s = connect(freshAddress())) {
            s.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: gateway\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] buf = new byte[2048];
            int n = s.getInputStream().read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200");
            long started = System.nanoTime();
            assertThat(s.getInputStream().read(buf)).as("closed by the gateway").isEqualTo(-1);
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(500L, 4000L);
        }
    }

    @Test
    void operatorSurfacesNeedTheAdminKeyAndProbesCarryNoDetails() throws Exception {
        for (String path : List.of("/q/metrics", "/q/health", "/q/health/started", "/q/openapi", "/q/swagger-ui/", "/q/health-ui/")) {
            HttpClient client = HttpClient.newBuilder().localAddress(freshAddress()).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(Http.gateway() + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.body()).as(path).doesNotContain("gateway_").doesNotContain("database");
        }
        assertThat(Http.get(Http.gateway() + "/q/metrics", GatewayTestResource.ADMIN_KEY).body()).contains("gateway_");
        assertThat(Http.get(Http.gateway() + "/q/health/ready", null).body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(Http.get(Http.gateway() + "/q/health/live", null).body()).isEqualTo("{\"status\":\"UP\"}");
    }
}
