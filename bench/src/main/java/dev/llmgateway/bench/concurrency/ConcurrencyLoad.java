package dev.llmgateway.bench.concurrency;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load with a fixed number of calls in flight: {@code CONCURRENCY} clients start at once (a burst) and each
 * sends its next call as soon as the previous one ends, for {@code SECONDS}. A call succeeds on 200 with a complete
 * body ({@code [DONE]} for streams). Prints one line: calls, success share, req/s, latency p50/p99, failures by status
 * and error code. Usage: ConcurrencyLoad URL MODEL CONCURRENCY SECONDS stream|whole [BEARER_KEY]
 */
public final class ConcurrencyLoad {
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"");

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String model = args[1];
        int concurrency = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        boolean stream = args[4].equals("stream");
        String key = args.length > 5 ? args[5] : null;
        Buffer body = Buffer.buffer("{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say something short about foxes.\"}],\"max_tokens\":16}");
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(concurrency).setKeepAlive(true)
                .setTcpNoDelay(true).setConnectTimeout(60_000).setKeepAliveTimeout(120));
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
        if (key != null) headers.add("authorization", "Bearer " + key);
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setHeaders(headers)
                .setConnectTimeout(120_000).setIdleTimeout(120_000);

        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        LongAdder ok = new LongAdder();
        Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        long[] hist = new long[120_000]; // latency histogram, 1 ms buckets (event loop thread only)
        AtomicLong maxMs = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            Runnable next = new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() >= end) {
                        done.countDown();
                        return;
                    }
                    long t0 = System.nanoTime();
                    client.request(opts).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> {
                        String s = b.toString();
                        if (resp.statusCode() == 200 && (!stream || s.endsWith("data: [DONE]\n\n"))) return "ok";
                        Matcher m = CODE.matcher(s);
                        // The gateway's x-gateway-attempts (e.g. "d:unreachable,d:circuit_open") says what failed first.
                        String attempts = resp.getHeader("x-gateway-attempts");
                        return resp.statusCode() + (m.find() ? " " + m.group(1) : stream && resp.statusCode() == 200 ? " stream_incomplete" : "")
                                + (attempts == null ? "" : " [" + attempts.replaceAll("[^,:]+:", "") + "]")
                                + (s.contains("cannot connect") ? " cannot_connect" : s.contains("broke the connection") ? " broken_connection" : "");
                    })).onComplete(ar -> {
                        String outcome = ar.succeeded() ? ar.result() : "transport " + ar.cause().getClass().getSimpleName();
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        if (outcome.equals("ok")) {
                            ok.increment();
                            synchronized (hist) {
                                hist[(int) Math.min(hist.length - 1, ms)]++;
                            }
                            maxMs.accumulateAndGet(ms, Math::max);
                        } else {
                            failures.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                        }
                        vertx.runOnContext(v -> run());
                    });
                }
            };
            vertx.runOnContext(v -> next.run());
        }
        done.await(seconds + 180, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long failed = failures.values().stream().mapToLong(LongAdder::sum).sum();
        long total = ok.sum() + failed;
        Map<String, Long> f = new TreeMap<>();
        failures.forEach((k, v) -> f.put(k, v.sum()));
        System.out.printf("in_flight=%d calls=%d ok=%d success=%.2f%% req_per_s=%.0f p50=%dms p99=%dms max=%dms failures=%s%n",
                concurrency, total, ok.sum(), total == 0 ? 0 : 100.0 * ok.sum() / total, ok.sum() / elapsed,
                quantile(hist, ok.sum(), 0.5), quantile(hist, ok.sum(), 0.99), maxMs.get(), f);
        vertx.close();
    }

    private static long quantile(long[] hist, long n, double q) {
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= Math.ceil(q * n) && n > 0) return i;
        }
        return -1;
    }
}
