package dev.llmgateway.bench.overhead;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a proxy adds to a stream's time to first byte, measured without the noise of separate runs: one load process,
 * one keep-alive connection per target, and the targets asked in turn, one streaming request at a time (direct, then
 * the gateway, then optionally a second proxy), so every target sees the same machine state and a warm client. Each
 * request's time is from sending to the first SSE {@code data:} line. After {@code WARMUP} seconds of the same
 * rotation (not counted) it runs {@code SECONDS} and prints, per target, the median and p99, and the medians' difference
 * to the direct path; the same for the median of the per-rotation differences (direct and proxy asked back to back).
 * Usage: TtfbPairs SECONDS WARMUP DIRECT_URL GATEWAY_URL GATEWAY_AUTHORIZATION [FLOOR_URL]
 */
public final class TtfbPairs {
    private static final Buffer BODY = Buffer.buffer("{\"model\":\"bench\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Say something short about foxes.\"}],\"max_tokens\":16}");

    private record Target(String name, HttpClient client, RequestOptions options, List<Long> micros) {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int warmup = Integer.parseInt(args[1]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        List<Target> targets = new ArrayList<>();
        targets.add(target(vertx, "direct", args[2], null));
        targets.add(target(vertx, "gateway", args[3], args[4]));
        if (args.length > 5) targets.add(target(vertx, "floor", args[5], null));

        long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long[] failed = {0};
        vertx.runOnContext(v -> rotate(vertx, targets, warmEnd, warmEnd + TimeUnit.SECONDS.toNanos(seconds), failed, done));
        done.get(seconds + warmup + 120L, TimeUnit.SECONDS);

        StringBuilder out = new StringBuilder("rotations=" + targets.get(0).micros().size() + " failed=" + failed[0]);
        long direct = median(targets.get(0).micros());
        for (Target t : targets) {
            out.append(' ').append(t.name()).append("_ttfb_p50_us=").append(median(t.micros()))
                    .append(' ').append(t.name()).append("_ttfb_p99_us=").append(quantile(t.micros(), 0.99));
            if (t != targets.get(0)) {
                out.append(' ').append(t.name()).append("_added_us=").append(median(t.micros()) - direct);
                List<Long> diffs = new ArrayList<>();
                for (int i = 0; i < Math.min(t.micros().size(), targets.get(0).micros().size()); i++) {
                    diffs.add(t.micros().get(i) - targets.get(0).micros().get(i));
                }
                out.append(' ').append(t.name()).append("_added_paired_us=").append(median(diffs));
            }
        }
        System.out.println(out);
        vertx.close();
    }

    private static Target target(Vertx vertx, String name, String url, String authorization) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
        if (authorization != null) headers.add("authorization", authorization);
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(1).setKeepAlive(true).setTcpNoDelay(true));
        return new Target(name, client, new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setHeaders(headers), new ArrayList<>());
    }

    /** One rotation: each target in turn; a rotation with a failure is not counted (the lists stay aligned). */
    private static void rotate(Vertx vertx, List<Target> targets, long countFrom, long end, long[] failed, CompletableFuture<Void> done) {
        if (System.nanoTime() >= end) {
            done.complete(null);
            return;
        }
        long[] times = new long[targets.size()];
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < targets.size(); i++) {
            int k = i;
            chain = chain.compose(v -> once(targets.get(k)).map(us -> {
                times[k] = us;
                return (Void) null;
            }));
        }
        chain.onComplete(ar -> {
            if (ar.failed()) {
                failed[0]++;
                if (failed[0] <= 3) System.err.println("failed: " + ar.cause());
            } else if (System.nanoTime() >= countFrom) {
                for (int i = 0; i < targets.size(); i++) targets.get(i).micros().add(times[i]);
            }
            vertx.runOnContext(v -> rotate(vertx, targets, countFrom, end, failed, done));
        });
    }

    /** One streaming request; its time to the first data line in µs. */
    private static Future<Long> once(Target t) {
        long t0 = System.nanoTime();
        long[] firstAt = {0};
        return t.client().request(t.options()).compose(req -> req.send(BODY)).compose(resp -> {
            if (resp.statusCode() != 200) return Future.failedFuture(t.name() + " answered " + resp.statusCode());
            resp.handler(b -> {
                if (firstAt[0] == 0 && ClosedLoopLoad.hasData(b)) firstAt[0] = System.nanoTime();
            });
            return resp.end().compose(v -> firstAt[0] == 0 ? Future.failedFuture(t.name() + ": no data line")
                    : Future.succeededFuture((firstAt[0] - t0) / 1000));
        });
    }

    private static long median(List<Long> values) { return quantile(values, 0.5); }

    private static long quantile(List<Long> values, double q) {
        if (values.isEmpty()) return -1;
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
