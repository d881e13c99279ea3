package dev.llmgateway.gateway.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.WebhookDeliveryStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Webhook deliveries against a real receiver on loopback: timeouts, retries with backoff, signatures, status. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class WebhookSenderTest {
    private static final String SECRET = "whsec-test-0123456789abcdef";
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject Vertx vertx;

    /** One received request. */
    record Received(Map<String, String> headers, String body, long atMs) {}

    /** A receiver that answers the given statuses in turn ("hang" never answers), then 200. */
    private HttpServer receiver(ConcurrentLinkedQueue<Received> got, String... answers) throws Exception {
        AtomicInteger n = new AtomicInteger();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            Map<String, String> h = new java.util.TreeMap<>();
            req.headers().forEach(e -> h.put(e.getKey().toLowerCase(), e.getValue()));
            got.add(new Received(h, b.toString(), System.currentTimeMillis()));
            int i = n.getAndIncrement();
            String answer = i < answers.length ? answers[i] : "200";
            if (answer.equals("hang")) return;
            req.response().setStatusCode(Integer.parseInt(answer)).end();
        }));
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private WebhookSender sender(HttpServer server, int attempts) {
        return new WebhookSender(vertx, "http://127.0.0.1:" + server.actualPort() + "/hook?token=abc", SECRET,
                new WebhookDeliveryStore(database.dataSource()), Executors.newVirtualThreadPerTaskExecutor(),
                new WebhookSender.Policy(Duration.ofMillis(500), attempts, Duration.ofMillis(100), Duration.ofMillis(400)));
    }

    private static String hmac(String ts, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "v1=" + HexFormat.of().formatHex(mac.doFinal((ts + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    private static com.fasterxml.jackson.databind.JsonNode delivery(long id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        com.fasterxml.jackson.databind.JsonNode last = null;
        while (System.nanoTime() < deadline) {
            var list = Http.json(Http.get(Http.gateway() + "/admin/webhooks/deliveries?limit=100", GatewayTestResource.ADMIN_KEY).body());
            for (var d : list.path("data")) if (d.path("id").asLong() == id) last = d;
            if (last != null && last.path("status").asText().equals(status)) return last;
            Thread.sleep(50);
        }
        throw new AssertionError("delivery " + id + " did not become " + status + ": " + last);
    }

    @Test
    void failuresAndTimeoutsAreRetriedWithBackoffAndEveryAttemptIsSigned() throws Exception {
        ConcurrentLinkedQueue<Received> got = new ConcurrentLinkedQueue<>();
        HttpServer server = receiver(got, "500", "hang", "503");
        WebhookSender sender = sender(server, 6);
        long id = sender.send("budget.threshold", new JsonObject().put("team", "t").put("threshold_percent", 80))
                .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        var d = delivery(id, "delivered");
        assertThat(d.path("attempts").asInt()).isEqualTo(4);
        assertThat(d.path("last_status").asInt()).isEqualTo(200);
        assertThat(d.path("payload").path("team").asText()).isEqualTo("t");
        assertThat(d.toString()).as("the URL (it may carry a token) is not shown").doesNotContain("token=abc");

        List<Received> rs = List.copyOf(got);
        assertThat(rs).hasSize(4);
        for (Received r : rs) {
            assertThat(r.headers().get("x-gateway-event")).isEqualTo("budget.threshold");
            assertThat(r.headers().get("x-gateway-delivery")).isEqualTo(Long.toString(id));
            assertThat(r.headers().get("x-gateway-signature")).isEqualTo(hmac(r.headers().get("x-gateway-timestamp"), r.body()));
            assertThat(Long.parseLong(r.headers().get("x-gateway-timestamp"))).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(30L));
        }
        // Backoff: >= 100 ms before the 2nd attempt, >= 200 ms before the 4th; the hung 2nd attempt waited for its 500 ms timeout.
        assertThat(rs.get(1).atMs() - rs.get(0).atMs()).isGreaterThanOrEqualTo(100);
        assertThat(rs.get(2).atMs() - rs.get(1).atMs()).isGreaterThanOrEqualTo(500 + 200);
        assertThat(rs.get(3).atMs() - rs.get(2).atMs()).isGreaterThanOrEqualTo(400);
        sender.close();
        server.close();
    }

    @Test
    void aReceiverThatNeverSucceedsEndsFailedAfterTheLastAttempt() throws Exception {
        ConcurrentLinkedQueue<Received> got = new ConcurrentLinkedQueue<>();
        HttpServer server = receiver(got, "500", "500", "500", "500", "500");
        WebhookSender sender = sender(server, 3);
        long id = sender.send("budget.threshold", new JsonObject().put("team", "u"))
                .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        var d = delivery(id, "failed");
        assertThat(d.path("attempts").asInt()).isEqualTo(3);
        assertThat(d.path("last_error").asText()).contains("500");
        Thread.sleep(600);
        assertThat(got).as("no attempt after the last").hasSize(3);
        sender.close();
        server.close();
    }

    @Test
    void aSignatureOverADifferentBodyOrTimestampDoesNotMatch() {
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        String sig = WebhookSender.signature(secret, 1_764_300_000L, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(sig).startsWith("v1=").hasSize(3 + 64);
        assertThat(WebhookSender.signature(secret, 1_764_300_001L, "{\"a\":1}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(sig);
        assertThat(WebhookSender.signature(secret, 1_764_300_000L, "{\"a\":2}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(sig);
    }
}
