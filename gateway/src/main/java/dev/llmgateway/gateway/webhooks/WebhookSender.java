package dev.llmgateway.gateway.webhooks;

import dev.llmgateway.metering.WebhookDeliveryStore;
import dev.llmgateway.metering.WebhookDeliveryStore.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Delivers webhook events: every attempt has a timeout, failures (no answer, non-2xx) are retried with exponential
 * backoff and jitter, and each request is signed: {@code X-Gateway-Signature: v1=<hex HMAC-SHA256(secret,
 * timestamp + "." + body)>} with the Unix-seconds {@code X-Gateway-Timestamp}, so a receiver can check origin and
 * reject replays. The state of every delivery is kept in {@link WebhookDeliveryStore} for the admin API.
 */
public final class WebhookSender {
    private static final Logger LOG = Logger.getLogger(WebhookSender.class);

    /** Timeout per attempt, attempts in total, and the backoff between them (doubling from initial up to max). */
    public record Policy(Duration timeout, int maxAttempts, Duration backoffInitial, Duration backoffMax) {
        public static Policy defaults() { return new Policy(Duration.ofSeconds(5), 6, Duration.ofSeconds(1), Duration.ofMinutes(1)); }

        /** The wait before attempt {@code next} (2, 3, ...): initial x 2^(next-2), capped, with up to 20% jitter. */
        Duration backoffBefore(int next) {
            long base = backoffInitial.toMillis() << Math.min(20, Math.max(0, next - 2));
            long capped = Math.min(base, backoffMax.toMillis());
            return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1));
        }
    }

    private final Vertx vertx;
    private final HttpClient client;
    private final String url;
    private final byte[] secret;
    private final WebhookDeliveryStore store;
    private final Executor blocking;
    private final Policy policy;
    private final Supplier<Long> epochSeconds;

    public WebhookSender(Vertx vertx, String url, String secret, WebhookDeliveryStore store, Executor blocking, Policy policy) {
        this(vertx, url, secret, store, blocking, policy, () -> System.currentTimeMillis() / 1000);
    }

    WebhookSender(Vertx vertx, String url, String secret, WebhookDeliveryStore store, Executor blocking, Policy policy,
                  Supplier<Long> epochSeconds) {
        this.vertx = vertx;
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) policy.timeout().toMillis()));
        this.url = url;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.store = store;
        this.blocking = blocking;
        this.policy = policy;
        this.epochSeconds = epochSeconds;
    }

    /** {@code v1=<hex>}: HMAC-SHA256 with the secret over {@code timestamp + "." + body}. */
    public static String signature(byte[] secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Records the event and delivers it in the background; completes with the delivery id once recorded. */
    public Future<Long> send(String eventType, JsonObject payload) {
        Buffer body = payload.toBuffer();
        return Future.<Long>fromCompletionStage(java.util.concurrent.CompletableFuture.supplyAsync(
                () -> store.create(eventType, body.toString()), blocking)).onSuccess(id -> vertx.runOnContext(v -> attempt(id, eventType, body, 1)))
                .onFailure(e -> LOG.warnf("webhook %s could not be recorded (%s); sending it once without a record", eventType, e.getMessage()));
    }

    private void attempt(long id, String eventType, Buffer body, int n) {
        long ts = epochSeconds.get();
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .setTimeout(policy.timeout().toMillis())
                .putHeader("content-type", "application/json")
                .putHeader("user-agent", "llm-gateway-webhooks")
                .putHeader("x-gateway-event", eventType)
                .putHeader("x-gateway-delivery", Long.toString(id))
                .putHeader("x-gateway-timestamp", Long.toString(ts))
                .putHeader("x-gateway-signature", signature(secret, ts, body.getBytes()));
        client.request(opts).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> resp.statusCode()))
                .onComplete(ar -> {
                    OptionalInt status = ar.succeeded() ? OptionalInt.of(ar.result()) : OptionalInt.empty();
                    boolean ok = ar.succeeded() && ar.result() / 100 == 2;
                    Optional<String> error = ok ? Optional.empty() : Optional.of(ar.succeeded() ? "answered " + ar.result()
                            : ar.cause().getClass().getSimpleName() + (ar.cause().getMessage() == null ? "" : ": " + ar.cause().getMessage()));
                    Status next = ok ? Status.DELIVERED : n >= policy.maxAttempts() ? Status.FAILED : Status.PENDING;
                    blocking.execute(() -> {
                        try {
                            store.attempted(id, n, next, status, error);
                        } catch (RuntimeException e) {
                            LOG.warnf("webhook delivery %d: could not record attempt %d: %s", id, n, e.getMessage());
                        }
                    });
                    if (next == Status.PENDING) {
                        vertx.setTimer(policy.backoffBefore(n + 1).toMillis(), t -> attempt(id, eventType, body, n + 1));
                    } else if (next == Status.FAILED) {
                        LOG.warnf("webhook delivery %d (%s) failed after %d attempts: %s", id, eventType, n, error.orElse(""));
                    }
                });
    }

    public void close() { client.close(); }
}
