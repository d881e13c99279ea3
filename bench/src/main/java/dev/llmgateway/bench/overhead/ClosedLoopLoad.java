package dev.llmgateway.bench.overhead;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Closed-loop load over {@code CONNECTIONS} keep-alive connections (as wrk does): each connection sends its next
 * request as soon as the previous answer is complete, for {@code SECONDS}. One event loop, latency histogram in
 * microseconds. Modes: {@code whole} (non-streaming chat completions; req/s, p50, p99) and {@code ttfb} (streaming
 * requests; the time from sending to the first SSE data line, i.e. the first chunk of the answer, and to the end of the
 * stream).
 * A request counts as ok on status 200 with a complete body. Prints one line of {@code key=value} pairs.
 * Usage: ClosedLoopLoad URL CONNECTIONS SECONDS whole|ttfb [HEADER:VALUE ...]
 */
public final class ClosedLoopLoad {
    private static final String BODY = "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"Say something short about foxes.\"}],\"max_tokens\":16%s}";

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int connections = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        boolean ttfb = args[3].equals("ttfb");
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
        for (int i = 4; i < args.length; i++) {
            int colon = args[i].indexOf(':');
            headers.add(args[i].substring(0, colon).trim(), args[i].substring(colon + 1).trim());
        }
        Buffer body = Buffer.buffer(String.format(BODY, ttfb ? ",\"stream\":true" : ""));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(connections).setKeepAlive(true)
                .setTcpNoDelay(true).setPipelining(false));
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setHeaders(headers);

        long[] first = new long[1_000_001]; // µs buckets up to 1 s (the last bucket holds everything slower)
        long[] whole = new long[1_000_001];
        long[] counts = new long[2]; // ok, failed (event loop thread only)
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        CountDownLatch done = new CountDownLatch(connections);
        for (int c = 0; c < connections; c++) {
            Runnable loop = new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() >= end) {
                        done.countDown();
                        return;
                    }
                    long t0 = System.nanoTime();
                    long[] firstAt = {0};
                    client.request(opts).compose(req -> req.send(body)).compose(resp -> {
                        if (ttfb) resp.handler(b -> {
                            if (firstAt[0] == 0 && hasData(b)) firstAt[0] = System.nanoTime();
                        });
                        return ttfb ? resp.end().map(v -> ok(resp, null)) : resp.body().map(b -> ok(resp, b));
                    }).onComplete(ar -> {
                        long now = System.nanoTime();
                        if (ar.succeeded() && ar.result()) {
                            counts[0]++;
                            whole[bucket(now - t0)]++;
                            if (ttfb) first[bucket((firstAt[0] == 0 ? now : firstAt[0]) - t0)]++;
                        } else {
                            counts[1]++;
                            if (counts[1] <= 3) System.err.println("failed: " + (ar.succeeded() ? "bad answer" : ar.cause()));
                        }
                        vertx.runOnContext(v -> run());
                    });
                }
            };
            vertx.runOnContext(v -> loop.run());
        }
        done.await(seconds + 60L, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long ok = counts[0];
        if (ttfb) {
            System.out.printf("ok=%d failed=%d req_per_s=%.0f ttfb_p50_us=%d ttfb_p99_us=%d total_p50_us=%d%n", ok, counts[1],
                    ok / elapsed, quantile(first, ok, 0.5), quantile(first, ok, 0.99), quantile(whole, ok, 0.5));
        } else {
            System.out.printf("ok=%d failed=%d req_per_s=%.0f p50_us=%d p99_us=%d%n", ok, counts[1], ok / elapsed,
                    quantile(whole, ok, 0.5), quantile(whole, ok, 0.99));
        }
        vertx.close();
    }

    private static boolean ok(HttpClientResponse resp, Buffer body) {
        return resp.statusCode() == 200 && (body == null || body.length() > 0);
    }

    /** Whether the bytes hold the start of an SSE data line (comments such as ": stream open" are not a chunk). */
    static boolean hasData(Buffer b) {
        for (int i = 0, n = b.length() - 4; i < n; i++) {
            if (b.getByte(i) == 'd' && b.getByte(i + 1) == 'a' && b.getByte(i + 2) == 't' && b.getByte(i + 3) == 'a'
                    && b.getByte(i + 4) == ':' && (i == 0 || b.getByte(i - 1) == '\n')) return true;
        }
        return false;
    }

    private static int bucket(long nanos) {
        return (int) Math.min(1_000_000, nanos / 1000);
    }

    private static long quantile(long[] hist, long n, double q) {
        long need = (long) Math.ceil(q * n), seen = 0;
        for (int i = 0; i < hist.length && n > 0; i++) {
            seen += hist[i];
            if (seen >= need) return i;
        }
        return -1;
    }
}
