package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.testsupport.FakeUpstream;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bursts of slow upstream calls against the gateway's connection pools: a burst larger than a deliberately small pool
 * gets 503 gateway_capacity with Retry-After for the overflow while the deployment stays healthy (breaker closed, no
 * errors counted); with the default pool, a burst of 1,000 concurrent calls at 500 ms upstream latency all succeed.
 */
@QuarkusTest
@QuarkusTestResource(value = PoolCapacityTest.Resource.class, restrictToAnnotatedClass = true)
class PoolCapacityTest {
    private HttpClient client;
    private String key;

    /**
     * A fake upstream and a gateway.yaml with two deliberately small pools and one on the defaults. Restricted to this
     * class; it starts after the module's global {@link GatewayTestResource}, so its settings win.
     */
    public static class Resource implements QuarkusTestResourceLifecycleManager {
        private FakeUpstream upstream;

        @Override
        public int order() { return 100; }

        @Override
        public Map<String, String> start() {
            upstream = FakeUpstream.start();
            String yaml = """
                    providers:
                      narrow:
                        type: openai-compatible
                        base_url: http://127.0.0.1:%1$d/v1
                        max_connections: 2
                        max_waiting: 2
                      narrow-wait:
                        type: openai-compatible
                        base_url: http://127.0.0.1:%1$d/v1
                        max_connections: 1
                      roomy:
                        type: openai-compatible
                        base_url: http://127.0.0.1:%1$d/v1
                    deployments:
                      narrow:
                        provider: narrow
                        model: narrow-model
                        class: closed
                        retry: {max_attempts: 3, backoff_initial: 10ms}
                        timeouts: {pool_wait: 30s}
                        circuit_breaker: {request_volume: 4, failure_ratio: 0.25, delay: 60s}
                      narrow-wait:
                        provider: narrow-wait
                        model: wait-model
                        class: closed
                        timeouts: {connect: 200ms, pool_wait: 300ms}
                        circuit_breaker: {request_volume: 2, failure_ratio: 0.25, delay: 60s}
                      roomy:
                        provider: roomy
                        model: roomy-model
                        class: closed
                        circuit_breaker: {request_volume: 20, failure_ratio: 0.25, delay: 60s}
                    routes:
                      narrow-route: {deployment: narrow}
                      wait-route: {deployment: narrow-wait}
                      roomy-route: {deployment: roomy}
                    """.formatted(upstream.port());
            try {
                Path dir = Files.createDirectories(Path.of("target", "test-gateway-pool-" + UUID.randomUUID()));
                Path config = dir.resolve("gateway.yaml");
                Files.writeString(config, yaml);
                return Map.of(
                        "gateway.config", config.toString(),
                        "gateway.data-dir", dir.resolve("data").toString(),
                        "gateway.admin-key", GatewayTestResource.ADMIN_KEY,
                        "test.upstream.port", Integer.toString(upstream.port()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stop() {
            if (upstream != null) upstream.close();
        }
    }

    @BeforeEach
    void setUp() {
        key = Http.newKey("pool-team");
        // HTTP/1.1: one client connection per concurrent request, like most SDKs under load.
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void tearDown() { client.shutdownNow(); }

    private List<HttpResponse<String>> burst(String route, int n, boolean stream) {
        String body = "{\"model\":\"" + route + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}";
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(120)).header("content-type", "application/json")
                    .header("authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
            futures.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private static String[] slow(int n, int ms) {
        String[] steps = new String[n];
        java.util.Arrays.fill(steps, "slow:" + ms);
        return steps;
    }

    private static double metric(String metrics, String name, String labels) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{" + labels + "\\} ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics);
        if (m.find()) return Double.parseDouble(m.group(1));
        throw new AssertionError("no " + name + "{" + labels + "} in /q/metrics:\n"
                + metrics.lines().filter(l -> l.startsWith(name)).collect(java.util.stream.Collectors.joining("\n")));
    }

    private static JsonNode deployment(String name) {
        JsonNode list = Http.json(Http.get(Http.gateway() + "/admin/deployments", GatewayTestResource.ADMIN_KEY).body()).path("data");
        for (JsonNode d : list) if (d.path("name").asText().equals(name)) return d;
        throw new AssertionError("no deployment " + name + " in " + list);
    }

    /** Waits until the usage writer has stored {@code requests} records of the deployment (it writes in the background). */
    private static JsonNode recentOnceStored(String name, int requests) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode d = deployment(name);
        while (d.path("recent").path("requests").asInt() < requests && System.nanoTime() < deadline) {
            Thread.sleep(200);
            d = deployment(name);
        }
        return d;
    }

    @Test
    void aBurstBeyondAFullWaitQueueGets503GatewayCapacityAndTheDeploymentStaysHealthy() throws Exception {
        // Vert.x counts a call whose new connection is still being opened as waiting, so open both connections first
        // (two overlapping calls) to make the split below exact.
        Http.script("narrow-model", slow(2, 300));
        assertThat(burst("narrow-route", 2, false)).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        // 2 connections + 2 waiting: of 10 simultaneous 3 s calls, 4 are served (2 at once, 2 after the first finish)
        // and the 6 beyond the wait queue are turned away at once, without touching the upstream.
        Http.script("narrow-model", slow(10, 3000));
        int upstreamBefore = Http.upstreamStats("narrow-model").path("requests").asInt();
        List<HttpResponse<String>> rs = burst("narrow-route", 10, false);

        List<Integer> statuses = rs.stream().map(HttpResponse::statusCode).toList();
        assertThat(Collections.frequency(statuses, 200)).as("served: %s", statuses).isEqualTo(4);
        assertThat(Collections.frequency(statuses, 503)).as("turned away: %s", statuses).isEqualTo(6);
        for (HttpResponse<String> r : rs) {
            if (r.statusCode() != 503) continue;
            JsonNode err = Http.json(r.body()).path("error");
            assertThat(err.path("code").asText()).isEqualTo("gateway_capacity");
            assertThat(err.path("type").asText()).isEqualTo("api_error");
            assertThat(err.path("message").asText()).contains("all 2 connections to provider 'narrow'")
                    .contains("providers.narrow.max_connections").contains("2 requests are already waiting")
                    .contains("providers.narrow.max_waiting");
            assertThat(r.headers().firstValue("retry-after")).contains("1");
            // Not retried against the same full pool, and named as the gateway's capacity, not the upstream's failure.
            assertThat(r.headers().firstValue("x-gateway-attempts")).contains("narrow:gateway_capacity");
        }
        assertThat(Http.upstreamStats("narrow-model").path("requests").asInt() - upstreamBefore).isEqualTo(4);

        String metrics = Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body();
        assertThat(metric(metrics, "gateway_circuit_state", "deployment=\"narrow\"")).isEqualTo(0.0);
        assertThat(metric(metrics, "gateway_upstream_pool_rejected_total", "provider=\"narrow\",reason=\"queue_full\"")).isEqualTo(6.0);
        assertThat(metric(metrics, "gateway_upstream_pool_max_connections", "provider=\"narrow\"")).isEqualTo(2.0);
        assertThat(metric(metrics, "gateway_upstream_pool_max_waiting", "provider=\"narrow\"")).isEqualTo(2.0);
        assertThat(metric(metrics, "gateway_upstream_pool_in_use", "provider=\"narrow\"")).isEqualTo(0.0);
        assertThat(metric(metrics, "gateway_upstream_pool_waiting", "provider=\"narrow\"")).isEqualTo(0.0);

        // Healthy afterwards: the breaker (4 calls, 25% failures would open it) stayed closed, the next call is served,
        // and the 503s are not counted as the deployment's errors.
        HttpResponse<String> after = burst("narrow-route", 1, false).get(0);
        assertThat(after.statusCode()).isEqualTo(200);
        JsonNode d = recentOnceStored("narrow", 13);
        assertThat(d.path("circuit").asText()).isEqualTo("closed");
        assertThat(d.path("recent").path("requests").asInt()).isEqualTo(13);
        assertThat(d.path("recent").path("errors").asInt()).isZero();
    }

    @Test
    void aWaitForAPooledConnectionThatExpiresIs503GatewayCapacityNotAnUpstreamFailure() throws Exception {
        // One connection, held 2 s by the first call; the others give up after pool_wait (300 ms) + connect (200 ms),
        // streaming or not, and the circuit (2 calls, 25%) would have opened had they counted as failures.
        Http.script("wait-model", slow(4, 2000));
        List<HttpResponse<String>> rs = new ArrayList<>(burst("wait-route", 2, false));
        List<Integer> statuses = rs.stream().map(HttpResponse::statusCode).toList();
        assertThat(statuses).containsExactlyInAnyOrder(200, 503);
        HttpResponse<String> rejected = rs.stream().filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
        JsonNode err = Http.json(rejected.body()).path("error");
        assertThat(err.path("code").asText()).isEqualTo("gateway_capacity");
        assertThat(err.path("message").asText()).contains("all 1 connections to provider 'narrow-wait'")
                .contains("no connection became free within").contains("deployments.narrow-wait.timeouts.pool_wait: 300 ms");
        assertThat(rejected.headers().firstValue("retry-after")).contains("1");

        List<HttpResponse<String>> streamed = burst("wait-route", 2, true);
        assertThat(streamed.stream().map(HttpResponse::statusCode).toList()).containsExactlyInAnyOrder(200, 503);
        HttpResponse<String> ok = streamed.stream().filter(r -> r.statusCode() == 200).findFirst().orElseThrow();
        assertThat(ok.body()).contains("wait-model").endsWith("data: [DONE]\n\n");

        String metrics = Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body();
        assertThat(metric(metrics, "gateway_upstream_pool_rejected_total", "provider=\"narrow-wait\",reason=\"wait_timeout\"")).isEqualTo(2.0);
        assertThat(metric(metrics, "gateway_circuit_state", "deployment=\"narrow-wait\"")).isEqualTo(0.0);
        assertThat(burst("wait-route", 1, false).get(0).statusCode()).isEqualTo(200);
        assertThat(recentOnceStored("narrow-wait", 5).path("recent").path("errors").asInt()).isZero();
    }

    @Test
    void withTheDefaultPoolAThousandConcurrentCallsAt500msAllSucceed() {
        // The reproduction: 64 pooled connections turned 59% of such a burst into 503s and opened the breaker.
        Http.script("roomy-model", slow(1000, 500));
        long start = System.nanoTime();
        List<HttpResponse<String>> rs = burst("roomy-route", 1000, false);
        long ms = (System.nanoTime() - start) / 1_000_000;
        List<Integer> notOk = rs.stream().map(HttpResponse::statusCode).filter(s -> s != 200).toList();
        assertThat(notOk).as("statuses other than 200 out of 1000 (burst took %d ms)", ms).isEmpty();
        assertThat(rs).allSatisfy(r -> assertThat(r.body()).contains("roomy-model"));
        String metrics = Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body();
        assertThat(metric(metrics, "gateway_upstream_pool_max_connections", "provider=\"roomy\"")).isEqualTo(4096.0);
        assertThat(metric(metrics, "gateway_upstream_pool_rejected_total", "provider=\"roomy\",reason=\"queue_full\"")).isZero();
        assertThat(metric(metrics, "gateway_upstream_pool_rejected_total", "provider=\"roomy\",reason=\"wait_timeout\"")).isZero();
        assertThat(metric(metrics, "gateway_circuit_state", "deployment=\"roomy\"")).isEqualTo(0.0);
    }
}
