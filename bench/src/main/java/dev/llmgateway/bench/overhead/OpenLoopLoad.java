package dev.llmgateway.bench.overhead;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open-loop load at a constant rate (requests are sent on schedule whether or not earlier ones finished, so queueing
 * shows up in the latencies instead of being hidden: no coordinated omission). Latency is measured from the
 * scheduled send time. Usage: OpenLoopLoad URL RATE SECONDS [BEARER_KEY]
 */
public final class OpenLoopLoad {
    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int rate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        String key = args.length > 3 ? args[3] : null;
        Buffer body = Buffer.buffer("{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Say something short about foxes.\"}],\"max_tokens\":16}");
        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(256).setKeepAlive(true).setTcpNoDelay(true));
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
        if (key != null) headers.add("authorization", "Bearer " + key);
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(uri.toString()).setHeaders(headers);

        int total = rate * seconds;
        long[] latencies = new long[total];
        AtomicInteger errors = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(total);
        long intervalNs = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * intervalNs;
            long wait = scheduled - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            int idx = i;
            vertx.runOnContext(v -> client.request(opts).compose(req -> req.send(body)).compose(resp -> {
                if (resp.statusCode() != 200) errors.incrementAndGet();
                return resp.body();
            }).onComplete(ar -> {
                if (ar.failed()) errors.incrementAndGet();
                latencies[idx] = System.nanoTime() - scheduled;
                done.countDown();
            }));
        }
        done.await(60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latencies);
        System.out.printf("requests=%d rate=%.0f/s errors=%d p50=%.2fms p90=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms%n",
                total, total / elapsed, errors.get(), ms(latencies, 0.50), ms(latencies, 0.90), ms(latencies, 0.99),
                ms(latencies, 0.999), latencies[total - 1] / 1e6);
        vertx.close();
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
