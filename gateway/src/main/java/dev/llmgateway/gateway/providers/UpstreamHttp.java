package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig.Resilience;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends one upstream POST on a pooled, keep-alive Vert.x client with the deployment's connect, first-byte and total
 * timeouts. Shared by every HTTP adapter so that timeouts and error mapping behave the same everywhere.
 * <p>
 * Waiting for a pooled connection is the gateway's own capacity, not the upstream's health: a full wait queue or a wait
 * longer than the deployment's {@code timeouts.pool_wait} fails with {@link GatewayError.GatewayCapacity} (503
 * {@code gateway_capacity}), which the circuit breaker ignores. Only a failed TCP connect or TLS handshake, bounded by
 * the client's own connect timeout, is reported as an unreachable upstream.
 */
public final class UpstreamHttp {
    /** How soon a client may retry after a capacity rejection: pool slots free up as soon as any call finishes. */
    static final Duration CAPACITY_RETRY_AFTER = Duration.ofSeconds(1);

    /** Below this many connections per event loop the pool is not split (one shared client keeps exact limits). */
    static final int MIN_CONNECTIONS_PER_LOOP = 16;

    private final Vertx vertx;
    private final HttpClient shared;
    private final HttpClientOptions perLoopOptions;
    private final int loops;
    private final Map<Thread, HttpClient> byLoop = new ConcurrentHashMap<>();
    private final List<HttpClient> all = new CopyOnWriteArrayList<>();
    private final PoolLimits limits;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger inUse = new AtomicInteger();
    private final LongAdder rejectedQueueFull = new LongAdder();
    private final LongAdder rejectedWaitTimeout = new LongAdder();

    /** The limits of one provider's pool, named in capacity errors and exported as metrics. */
    public record PoolLimits(String provider, int maxConnections, int maxWaiting) {}

    /** One shared client (and pool) for every caller. */
    public UpstreamHttp(Vertx vertx, HttpClient client, PoolLimits limits) {
        this.vertx = vertx;
        this.shared = client;
        this.perLoopOptions = null;
        this.loops = 1;
        this.limits = limits;
        all.add(client);
    }

    /**
     * Clients built from {@code options}. Vert.x hands a request any idle pooled connection, and a connection's events
     * run on the event loop that opened it: a request from one event loop on another loop's connection costs two
     * cross-thread hand-offs (a wake-up each way). So when the pool is large enough, it is split evenly: one client per
     * event loop, each with {@code max_connections / loops} connections and {@code max_waiting / loops} waiters, used
     * only from its own loop, whose connections therefore stay on that loop. The total never passes the configured
     * limits. Small pools (fewer than {@link #MIN_CONNECTIONS_PER_LOOP} per loop) keep one shared client, so that a
     * limit such as {@code max_connections: 2} holds exactly.
     */
    public UpstreamHttp(Vertx vertx, HttpClientOptions options, PoolLimits limits) {
        this.vertx = vertx;
        this.limits = limits;
        int n = 0;
        for (var ignored : vertx.nettyEventLoopGroup()) n++;
        this.loops = Math.max(1, n);
        if (loops > 1 && limits.maxConnections() / loops >= MIN_CONNECTIONS_PER_LOOP) {
            int perLoop = limits.maxConnections() / loops;
            this.perLoopOptions = new HttpClientOptions(options).setMaxPoolSize(perLoop).setHttp2MaxPoolSize(perLoop)
                    .setMaxWaitQueueSize(limits.maxWaiting() <= 0 ? limits.maxWaiting() : Math.max(1, limits.maxWaiting() / loops));
            this.shared = vertx.createHttpClient(perLoopOptions);
        } else {
            this.perLoopOptions = null;
            this.shared = vertx.createHttpClient(options);
        }
        all.add(shared);
    }

    /** The calling event loop's own client when the pool is split, else (and off the event loops) the shared one. */
    private HttpClient client() {
        if (perLoopOptions == null || !Context.isOnEventLoopThread()) return shared;
        Thread t = Thread.currentThread();
        HttpClient c = byLoop.get(t);
        if (c != null) return c;
        synchronized (byLoop) {
            c = byLoop.get(t);
            if (c != null) return c;
            // The shared client is the first loop's; every further loop gets its own, up to the number of loops.
            if (byLoop.isEmpty()) c = shared;
            else if (byLoop.size() < loops) c = vertx.createHttpClient(perLoopOptions);
            else return shared;
            if (c != shared) all.add(c);
            byLoop.put(t, c);
            return c;
        }
    }

    /** Closes every client of this pool. */
    public void close() { all.forEach(HttpClient::close); }

    /** How many clients (pools) serve this provider: 1, or one per event loop in use. */
    public int clientCount() { return all.size(); }

    public PoolLimits limits() { return limits; }

    /** Requests waiting for a connection (or for one being opened). */
    public int waiting() { return waiting.get(); }

    /** Requests holding a connection (HTTP/1.1) or a stream (HTTP/2) right now. */
    public int inUse() { return inUse.get(); }

    public long rejectedQueueFull() { return rejectedQueueFull.sum(); }

    public long rejectedWaitTimeout() { return rejectedWaitTimeout.sum(); }

    /** An accepted (2xx) upstream response, paused; {@link #finish} or {@link #cancel} it exactly once. */
    public static final class Exchange {
        private final Vertx vertx;
        private final HttpClientRequest request;
        private final HttpClientResponse response;
        private final long totalTimer;
        private final AtomicReference<GatewayError> timedOut;

        Exchange(Vertx vertx, HttpClientRequest request, HttpClientResponse response, long totalTimer, AtomicReference<GatewayError> timedOut) {
            this.vertx = vertx;
            this.request = request;
            this.response = response;
            this.totalTimer = totalTimer;
            this.timedOut = timedOut;
        }

        public HttpClientResponse response() { return response; }

        /** The error to report for a failure of the response stream: the timeout if we caused it, else a broken connection. */
        public GatewayError.Failure failure(String deployment, Throwable cause) {
            GatewayError t = timedOut.get();
            if (t != null) return new GatewayError.Failure(t);
            return new GatewayError.Failure(new GatewayError.UpstreamUnavailable(deployment,
                    "upstream '" + deployment + "' broke the connection: " + cause.getClass().getSimpleName()));
        }

        public void finish() { vertx.cancelTimer(totalTimer); }

        /**
         * Streams the response body into {@code parser}: a broken connection or timeout fails {@code done}; at the end
         * of the body the exchange is finished, the parser flushed, then {@code onEnd} runs.
         */
        public void pump(String deployment, SseParser parser, io.vertx.core.Promise<?> done, Runnable onEnd) {
            pump(deployment, parser, done, onEnd, new UpstreamStream.ChunkSink() {
                @Override
                public void chunk(Buffer json) { }
            }, java.time.Duration.ZERO);
        }

        /**
         * As above, with backpressure and an inter-chunk idle timeout: while {@code sink} is full the upstream
         * response is paused (and the idle clock stopped, since the wait is the client's); if the upstream sends
         * nothing for {@code idle} (zero: no limit) the stream fails with an {@code upstream_timeout} error.
         */
        public void pump(String deployment, SseParser parser, io.vertx.core.Promise<?> done, Runnable onEnd,
                         UpstreamStream.ChunkSink sink, java.time.Duration idle) {
            long[] idleTimer = {-1};
            Runnable stopIdle = () -> {
                if (idleTimer[0] >= 0) vertx.cancelTimer(idleTimer[0]);
                idleTimer[0] = -1;
            };
            Runnable armIdle = () -> {
                stopIdle.run();
                if (idle.isZero() || idle.isNegative()) return;
                idleTimer[0] = vertx.setTimer(idle.toMillis(), id -> {
                    timedOut.compareAndSet(null, new GatewayError.UpstreamTimeout(deployment, "upstream '" + deployment
                            + "' sent nothing for " + idle.toMillis() + " ms in the middle of the stream"));
                    request.reset(0, new TimeoutException());
                    done.tryFail(new GatewayError.Failure(timedOut.get()));
                });
            };
            response.handler(buf -> {
                armIdle.run();
                parser.feed(buf);
                if (sink.full()) {
                    stopIdle.run();
                    response.pause();
                    sink.onDrain(() -> {
                        armIdle.run();
                        response.resume();
                    });
                }
            });
            response.exceptionHandler(e -> {
                stopIdle.run();
                done.tryFail(failure(deployment, e));
            });
            response.endHandler(v -> {
                stopIdle.run();
                finish();
                parser.end();
                onEnd.run();
            });
            armIdle.run();
            response.resume();
        }

        public void cancel() {
            vertx.cancelTimer(totalTimer);
            request.reset();
        }
    }

    public Future<Exchange> post(String deployment, String url, MultiMap headers, Buffer body, Resilience r, CancelToken cancel) {
        // Vert.x's per-request "connect timeout" bounds the wait for a pooled connection plus opening one; opening one
        // is bounded on its own by the client's TCP connect and TLS handshake timeouts (see Backends), so when this
        // timer fires the request has spent at least pool_wait waiting for a free connection.
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .setHeaders(headers).setConnectTimeout(r.poolWait().toMillis() + r.connectTimeout().toMillis());
        Promise<Exchange> result = Promise.promise();
        AtomicReference<GatewayError> timedOut = new AtomicReference<>();
        long waitStart = System.nanoTime();
        waiting.incrementAndGet();
        client().request(options).onComplete(acquired -> {
            waiting.decrementAndGet();
            if (acquired.failed()) {
                result.tryFail(acquireFailure(deployment, r, acquired.cause(), (System.nanoTime() - waitStart) / 1_000_000));
                return;
            }
            HttpClientRequest req = acquired.result();
            inUse.incrementAndGet();
            AtomicBoolean held = new AtomicBoolean(true);
            Runnable release = () -> {
                if (held.compareAndSet(true, false)) inUse.decrementAndGet();
            };
            long total = vertx.setTimer(r.totalTimeout().toMillis(), id -> {
                timedOut.compareAndSet(null, new GatewayError.UpstreamTimeout(deployment,
                        "upstream '" + deployment + "' exceeded the total timeout of " + r.totalTimeout().toMillis() + " ms"));
                req.reset(0, new TimeoutException());
            });
            long firstByte = vertx.setTimer(r.firstByteTimeout().toMillis(), id -> {
                timedOut.compareAndSet(null, new GatewayError.UpstreamTimeout(deployment,
                        "upstream '" + deployment + "' sent nothing within " + r.firstByteTimeout().toMillis() + " ms"));
                req.reset(0, new TimeoutException());
            });
            cancel.onCancel(() -> {
                vertx.cancelTimer(total);
                req.reset();
            });
            req.send(body).onComplete(ar -> {
                vertx.cancelTimer(firstByte);
                if (ar.failed()) {
                    release.run();
                    vertx.cancelTimer(total);
                    GatewayError t = timedOut.get();
                    result.tryFail(t != null ? new GatewayError.Failure(t) : connectFailure(deployment, ar.cause()));
                    return;
                }
                HttpClientResponse resp = ar.result();
                // The connection (or stream) is back in the pool once the response has ended, or failed / was reset.
                resp.end().onComplete(v -> release.run());
                if (resp.statusCode() / 100 == 2) {
                    resp.pause();
                    result.tryComplete(new Exchange(vertx, req, resp, total, timedOut));
                } else {
                    resp.body().onComplete(b -> {
                        vertx.cancelTimer(total);
                        result.tryFail(UpstreamErrors.fromStatus(deployment, resp.statusCode(), resp.headers(),
                                b.succeeded() ? b.result() : null, UpstreamErrors.credentials(headers)));
                    });
                }
            });
        });
        return result.future();
    }

    /** Reads a whole (non-streaming) 2xx body. */
    public static Future<Buffer> body(String deployment, Exchange x) {
        Promise<Buffer> p = Promise.promise();
        x.response().body().onComplete(ar -> {
            x.finish();
            if (ar.succeeded()) p.complete(ar.result());
            else p.fail(x.failure(deployment, ar.cause()));
        });
        x.response().resume();
        return p.future();
    }

    /** Why no connection was obtained: our own pool's limits (capacity), or the upstream could not be reached. */
    private GatewayError.Failure acquireFailure(String deployment, Resilience r, Throwable e, long waitedMs) {
        String pool = "all " + limits.maxConnections() + " connections to provider '" + limits.provider()
                + "' (providers." + limits.provider() + ".max_connections) are busy";
        if (e instanceof ConnectionPoolTooBusyException) {
            rejectedQueueFull.increment();
            return capacity(deployment, "gateway capacity: " + pool + " and " + limits.maxWaiting()
                    + " requests are already waiting (providers." + limits.provider() + ".max_waiting); retry shortly");
        }
        if (e instanceof TimeoutException) {
            rejectedWaitTimeout.increment();
            return capacity(deployment, "gateway capacity: " + pool + "; no connection became free within " + waitedMs
                    + " ms (deployments." + deployment + ".timeouts.pool_wait: " + r.poolWait().toMillis() + " ms); retry shortly");
        }
        return connectFailure(deployment, e);
    }

    private static GatewayError.Failure capacity(String deployment, String message) {
        return new GatewayError.Failure(new GatewayError.GatewayCapacity(deployment, message, CAPACITY_RETRY_AFTER));
    }

    private static GatewayError.Failure connectFailure(String deployment, Throwable e) {
        String what = e instanceof ConnectException || (e.getMessage() != null && e.getMessage().contains("onnect"))
                ? "cannot connect to upstream '" + deployment + "'"
                : "upstream '" + deployment + "' failed: " + e.getClass().getSimpleName();
        return new GatewayError.Failure(new GatewayError.UpstreamUnavailable(deployment, what));
    }
}
