package dev.llmgateway.gateway.edge;

import dev.llmgateway.gateway.GatewaySettings;
import dev.llmgateway.gateway.auth.Authenticator;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.smallrye.health.SmallRyeHealthReporter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The first handler every HTTP request meets, before any body is read. It
 * <ul>
 * <li>answers 503 once more than {@code GATEWAY_EDGE_MAX_CONNECTIONS} connections are open;</li>
 * <li>authenticates {@code /v1} (team key) and {@code /admin} and operator surfaces under {@code /q} (admin key) from
 *     the headers alone: a missing or wrong key gets 401 at once and its body is never buffered;</li>
 * <li>throttles failed authentication per client address (429 with {@code Retry-After});</li>
 * <li>bounds how many request bodies one address may be sending at once, and how long a body may take;</li>
 * <li>answers {@code /q/health/live} and {@code /q/health/ready} without details unless the admin key is sent.</li>
 * </ul>
 */
@ApplicationScoped
public class EdgeGuard {
    /** Routing-context key of the request's body slot (released by whoever finishes reading the body). */
    public static final String BODY_SLOT = "gateway.edge.body-slot";
    /** Routing-context key of the authenticated {@link dev.llmgateway.metering.TeamStore.KeyOwner} of a /v1 request. */
    public static final String KEY_OWNER = "gateway.edge.key-owner";
    /** Feedback bodies are tiny; a larger declared one is refused before it is read. */
    static final long FEEDBACK_MAX_BODY_BYTES = 64 * 1024;
    /** A rejected request's body is discarded up to this size so a keep-alive client still reads the answer. */
    static final long DRAIN_MAX_BYTES = 64 * 1024;
    static final Duration DRAIN_MAX_TIME = Duration.ofSeconds(2);
    private static final int PRIORITY = 1_000_000;
    @Inject jakarta.inject.Provider<dev.llmgateway.gateway.auth.Authenticator> authenticator;
    // A Provider: filters are built at static init, before the runtime (and its configuration) may start.
    @Inject jakarta.inject.Provider<dev.llmgateway.gateway.runtime.AdminCredential> adminCredential;
    @Inject GatewaySettings settings;
    @Inject Vertx vertx;
    @Inject SmallRyeHealthReporter health;
    @Inject @org.eclipse.microprofile.health.Readiness jakarta.enterprise.inject.Instance<org.eclipse.microprofile.health.HealthCheck> readinessChecks;
    @Inject @org.eclipse.microprofile.health.Liveness jakarta.enterprise.inject.Instance<org.eclipse.microprofile.health.HealthCheck> livenessChecks;

    /** DOWN when any check says so or fails. */
    static boolean anyDown(Iterable<org.eclipse.microprofile.health.HealthCheck> checks) {
        for (org.eclipse.microprofile.health.HealthCheck c : checks) {
            try {
                if (c.call().getStatus() == org.eclipse.microprofile.health.HealthCheckResponse.Status.DOWN) return true;
            } catch (RuntimeException e) {
                return true;
            }
        }
        return false;
    }

    private final AtomicInteger openConnections = new AtomicInteger();
    private final Map<HttpConnection, Idle> connections = new ConcurrentHashMap<>();

    /** A connection's requests in progress and the timer that closes it once it has been idle too long between them. */
    private static final class Idle {
        int active;
        long timer = -1;
    }
    private final Map<String, AtomicInteger> bodyReads = new ConcurrentHashMap<>();
    private volatile AuthThrottle apiThrottle;
    private volatile AuthThrottle adminThrottle;

    /** Which surface a path belongs to. */
    enum Surface { API, ADMIN, OPERATOR, PROBE, PUBLIC }

    void register(@Observes Filters filters) {
        filters.register(this::handle, PRIORITY);
    }

    static Surface surface(String path, boolean apiDocsPublic) {
        if (path == null) return Surface.PUBLIC;
        if (path.equals("/v1") || path.startsWith("/v1/")) return Surface.API;
        if (path.equals("/admin") || path.startsWith("/admin/")) return Surface.ADMIN;
        if (path.equals("/q/health/live") || path.equals("/q/health/ready")) return Surface.PROBE;
        if (apiDocsPublic && (path.startsWith("/q/openapi") || path.startsWith("/q/swagger-ui"))) return Surface.PUBLIC;
        if (path.equals("/q") || path.startsWith("/q/")) return Surface.OPERATOR;
        return Surface.PUBLIC;
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        if (!admitConnection(req)) {
            reject(ctx, new GatewayError.ServiceUnavailable("the gateway has reached its connection limit ("
                    + settings.edgeMaxConnections() + " open connections); try again shortly"));
            return;
        }
        trackKeepAlive(ctx);
        String path = ctx.normalizedPath();
        Optional<String> authorization = Optional.ofNullable(req.getHeader("authorization"));
        String address = address(req);
        switch (surface(path, settings.apiDocs())) {
            case PUBLIC -> ctx.next();
            case PROBE -> probe(ctx, authorization);
            case ADMIN, OPERATOR -> {
                Optional<Duration> wait = adminThrottle().blocked(address);
                if (wait.isPresent()) {
                    reject(ctx, throttled(wait.get()));
                    return;
                }
                if (adminCredential.get().isAdminKey(Authenticator.bearer(authorization).orElse(null))) {
                    proceedToBody(ctx, address);
                } else {
                    adminThrottle().failed(address);
                    reject(ctx, new GatewayError.Unauthorized("A valid admin key is required (Authorization: Bearer <admin key>)."));
                }
            }
            case API -> {
                Authenticator auth = authenticator.get();
                // Anthropic SDKs (on /v1/messages) send the key as x-api-key.
                Optional<String> apiKey = authorization.isPresent() ? authorization
                        : Optional.ofNullable(req.getHeader("x-api-key")).map(k -> "Bearer " + k);
                Optional<Duration> wait = apiThrottle().blocked(address);
                // A throttled address still gets through with a key already known to be valid (no lookup needed), so
                // one abusive client behind a shared address does not lock out the others.
                if (wait.isPresent() && !auth.knownValid(apiKey)) {
                    reject(ctx, throttled(wait.get()));
                    return;
                }
                auth.authenticate(apiKey).onComplete(ar -> {
                    if (ar.succeeded()) {
                        ctx.put(KEY_OWNER, ar.result());
                        if (path.startsWith("/v1/feedback") && declaredLength(req) > FEEDBACK_MAX_BODY_BYTES) {
                            reject(ctx, new GatewayError.PayloadTooLarge(FEEDBACK_MAX_BODY_BYTES));
                            return;
                        }
                        proceedToBody(ctx, address);
                        return;
                    }
                    GatewayError err = ar.cause() instanceof GatewayError.Failure f ? f.error()
                            : new GatewayError.Internal("internal error");
                    if (err instanceof GatewayError.Unauthorized) apiThrottle().failed(address);
                    reject(ctx, err);
                });
            }
        }
    }

    /** Authenticated: bounds concurrent bodies per address and the time a body may take, then passes the request on. */
    private void proceedToBody(RoutingContext ctx, String address) {
        HttpServerRequest req = ctx.request();
        if (!expectsBody(req)) {
            ctx.next();
            return;
        }
        AtomicInteger reading = bodyReads.computeIfAbsent(address, a -> new AtomicInteger());
        if (reading.incrementAndGet() > settings.edgeBodyReadsPerAddress()) {
            release(address, reading);
            reject(ctx, new GatewayError.RateLimited("too many request bodies are being sent from your address at once (limit "
                    + settings.edgeBodyReadsPerAddress() + ")", Duration.ofSeconds(1)));
            return;
        }
        long timeoutMs = settings.edgeBodyTimeout().toMillis();
        AtomicBoolean released = new AtomicBoolean();
        long[] timer = {-1};
        Runnable done = () -> {
            if (released.compareAndSet(false, true)) {
                vertx.cancelTimer(timer[0]);
                release(address, reading);
            }
        };
        timer[0] = vertx.setTimer(timeoutMs, id -> {
            if (req.isEnded()) {
                done.run();
                return;
            }
            done.run();
            HttpServerResponse resp = ctx.response();
            if (!resp.headWritten() && !resp.ended() && !resp.closed()) {
                resp.putHeader("connection", "close");
                write(ctx, new GatewayError.BadRequest("the request body did not arrive within " + timeoutMs + " ms",
                        "request_timeout", Optional.empty()), 408).onComplete(v -> req.connection().close());
            } else {
                req.connection().close();
            }
        });
        ctx.put(BODY_SLOT, done);
        ctx.addEndHandler(v -> done.run());
        ctx.next();
    }

    /** Called when a handler has read the whole body (or given up on it): frees the address's body slot. */
    public static void bodyRead(RoutingContext ctx) {
        Runnable slot = ctx.get(BODY_SLOT);
        if (slot != null) slot.run();
    }

    private void release(String address, AtomicInteger reading) {
        if (reading.decrementAndGet() <= 0) bodyReads.remove(address, reading);
    }

    /** Liveness and readiness answer only UP or DOWN, unless the admin key asks for the details. */
    private void probe(RoutingContext ctx, Optional<String> authorization) {
        if (adminCredential.get().isAdminKey(Authenticator.bearer(authorization).orElse(null))) {
            ctx.next();
            return;
        }
        boolean live = ctx.normalizedPath().endsWith("/live");
        // The checks themselves, called directly: the same verdict as the detailed answer, without its data.
        vertx.<Boolean>executeBlocking(() -> anyDown(live ? livenessChecks : readinessChecks), false)
                .onComplete(ar -> {
                    boolean down = ar.failed() || ar.result();
                    HttpServerResponse resp = ctx.response();
                    if (resp.ended() || resp.closed()) return;
                    resp.setStatusCode(down ? 503 : 200).putHeader("content-type", "application/json")
                            .putHeader("cache-control", "no-store").end(down ? "{\"status\":\"DOWN\"}" : "{\"status\":\"UP\"}");
                });
    }

    /**
     * Counts open connections (each counted once, on its first request) and refuses a new one past the limit. The
     * hard limit, quarkus.http.limits.max-connections, sits above it so that the refusal can still be a clear 503.
     */
    private boolean admitConnection(HttpServerRequest req) {
        HttpConnection c = req.connection();
        if (c == null || connections.containsKey(c)) return true;
        if (openConnections.incrementAndGet() > settings.edgeMaxConnections()) {
            openConnections.decrementAndGet();
            req.response().putHeader("connection", "close");
            return false;
        }
        if (!onClose(c, () -> {
            if (connections.remove(c) != null) openConnections.decrementAndGet();
        })) {
            openConnections.decrementAndGet();
            return true;
        }
        connections.put(c, new Idle());
        return true;
    }

    /**
     * A kept-alive connection that sends no next request within GATEWAY_EDGE_KEEP_ALIVE_TIMEOUT after its last answer
     * is closed, so idle connections (the usual way to hoard them) do not stay open for the whole idle timeout.
     */
    private void trackKeepAlive(RoutingContext ctx) {
        HttpConnection c = ctx.request().connection();
        Idle idle = c == null ? null : connections.get(c);
        if (idle == null) return;
        long keepAliveMs = settings.edgeKeepAliveTimeout().toMillis();
        synchronized (idle) {
            idle.active++;
            if (idle.timer >= 0) vertx.cancelTimer(idle.timer);
            idle.timer = -1;
        }
        ctx.addEndHandler(v -> {
            synchronized (idle) {
                if (--idle.active > 0 || keepAliveMs <= 0) return;
                idle.timer = vertx.setTimer(keepAliveMs, id -> {
                    synchronized (idle) {
                        if (idle.active == 0 && idle.timer == id) c.close();
                    }
                });
            }
        });
    }

    /** Netty's close future takes any number of listeners (HttpConnection.closeHandler has one slot, used by Quarkus). */
    private static boolean onClose(HttpConnection c, Runnable action) {
        if (c instanceof io.vertx.core.net.impl.ConnectionBase base) {
            base.channel().closeFuture().addListener(f -> action.run());
            return true;
        }
        return false;
    }

    /** The number of connections the edge counts as open now. */
    public int openConnections() { return openConnections.get(); }

    private static GatewayError throttled(Duration wait) {
        return new GatewayError.RateLimited("too many failed authentication attempts from your address; try again later",
                wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait);
    }

    /**
     * Answers before the body is read. A small body is discarded after the answer (so a keep-alive client reads it on a
     * healthy connection); a large, unknown or slow one gets {@code Connection: close} and the connection is closed.
     */
    private void reject(RoutingContext ctx, GatewayError err) {
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        if (resp.ended() || resp.closed()) return;
        long declared = declaredLength(req);
        boolean pending = expectsBody(req);
        boolean http2 = req.version() == io.vertx.core.http.HttpVersion.HTTP_2;
        // HTTP/2 has no Connection header and other streams share the connection: flow control bounds what is sent.
        boolean drain = pending && !http2 && declared >= 0 && declared <= DRAIN_MAX_BYTES;
        boolean close = pending && !http2 && !drain;
        if (close) resp.putHeader("connection", "close");
        io.vertx.core.Future<Void> written = write(ctx, err, ErrorResponses.shape(err).status());
        if (close) {
            written.onComplete(v -> req.connection().close());
        } else if (drain) {
            long[] seen = {0};
            long timer = vertx.setTimer(DRAIN_MAX_TIME.toMillis(), id -> {
                if (!req.isEnded()) req.connection().close();
            });
            req.handler(b -> {
                seen[0] += b.length();
                if (seen[0] > DRAIN_MAX_BYTES) req.connection().close();
            });
            req.endHandler(v -> vertx.cancelTimer(timer));
            req.exceptionHandler(e -> vertx.cancelTimer(timer));
        }
    }

    /** Whether a body is still to come (a paused request may not have seen its end yet even when it has none). */
    static boolean expectsBody(HttpServerRequest req) {
        if (req.isEnded()) return false;
        long declared = declaredLength(req);
        if (declared >= 0) return declared > 0;
        if (req.getHeader("transfer-encoding") != null) return true;
        // HTTP/1.1 without either header has no body; HTTP/2 may stream one without a declared length.
        return req.version() == io.vertx.core.http.HttpVersion.HTTP_2 && req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD;
    }

    private static long declaredLength(HttpServerRequest req) {
        String h = req.getHeader("content-length");
        if (h == null) return -1;
        try {
            return Long.parseLong(h.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The error in the format of the API the client speaks (Anthropic's on /v1/messages, OpenAI's elsewhere). */
    private static io.vertx.core.Future<Void> write(RoutingContext ctx, GatewayError err, int status) {
        HttpServerResponse resp = ctx.response();
        ErrorResponses.Shape shape = ErrorResponses.shape(err);
        shape.retryAfter().ifPresent(d -> resp.putHeader("retry-after", Long.toString(Math.max(1, (d.toMillis() + 999) / 1000))));
        String path = ctx.normalizedPath();
        String body = path != null && path.startsWith("/v1/messages")
                ? dev.llmgateway.gateway.api.messages.MessagesChannel.errorBody(err) : ErrorResponses.body(err).toString();
        return resp.setStatusCode(status).putHeader("x-request-id", dev.llmgateway.gateway.http.ApiRoutes.requestId(ctx.request()))
                .putHeader("content-type", "application/json").end(body);
    }

    private static String address(HttpServerRequest req) {
        var a = req.remoteAddress();
        return a == null || a.hostAddress() == null ? "unknown" : a.hostAddress();
    }

    private AuthThrottle apiThrottle() {
        if (apiThrottle == null) {
            synchronized (this) {
                if (apiThrottle == null) apiThrottle = new AuthThrottle(settings.edgeAuthFailures(), settings.edgeAuthFailureWindow());
            }
        }
        return apiThrottle;
    }

    private AuthThrottle adminThrottle() {
        if (adminThrottle == null) {
            synchronized (this) {
                if (adminThrottle == null) adminThrottle = new AuthThrottle(settings.edgeAdminAuthFailures(), settings.edgeAuthFailureWindow());
            }
        }
        return adminThrottle;
    }
}
