package dev.llmgateway.bench.overhead;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A valid key's latency while {@code FLOOD_CLIENTS} clients send made-up keys as fast as they are answered. First a
 * baseline (valid traffic alone), then the same valid traffic during the flood. Valid traffic is open-loop (sent on
 * schedule, latency from the scheduled time). {@code KEYS}: {@code random} (every flood request a new key: each one
 * unknown to the negative cache) or {@code repeat} (64 keys over and over).
 * Usage: AuthFlood URL VALID_KEY FLOOD_CLIENTS SECONDS VALID_RATE KEYS
 */
public final class AuthFlood {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String key = args[1];
        int floodClients = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int rate = Integer.parseInt(args[4]);
        boolean randomKeys = args.length <= 5 || args[5].equals("random");
        Buffer body = Buffer.buffer("{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Say something short about foxes.\"}],\"max_tokens\":16}");
        Vertx vertx = Vertx.vertx();
        System.out.println("baseline: " + valid(vertx, url, key, body, rate, seconds));
        AtomicBoolean flooding = new AtomicBoolean(true);
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        HttpClient floodClient = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(floodClients).setKeepAlive(true));
        String[] repeated = new String[64];
        for (int i = 0; i < repeated.length; i++) repeated[i] = made();
        AtomicInteger turn = new AtomicInteger();
        for (int c = 0; c < floodClients; c++) {
            vertx.runOnContext(v -> flood(floodClient, url, body, flooding, statuses,
                    () -> randomKeys ? made() : repeated[Math.floorMod(turn.getAndIncrement(), repeated.length)]));
        }
        Thread.sleep(1000); // let the flood reach its pace
        long floodStart = System.nanoTime();
        String during = valid(vertx, url, key, body, rate, seconds);
        double floodSecs = (System.nanoTime() - floodStart) / 1e9;
        flooding.set(false);
        long floodTotal = statuses.values().stream().mapToLong(LongAdder::sum).sum();
        System.out.println("during flood (" + floodClients + " clients, " + (randomKeys ? "a new key each request" : "64 keys repeated")
                + "): " + during);
        System.out.printf("flood: %d answers in %.1f s (~%.0f/s including the first second), by status %s%n", floodTotal,
                floodSecs + 1, floodTotal / (floodSecs + 1), new java.util.TreeMap<>(Map.copyOf(statuses)));
        Thread.sleep(500);
        vertx.close();
    }

    private static String made() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return "gw-" + HexFormat.of().formatHex(b);
    }

    private static void flood(HttpClient client, String url, Buffer body, AtomicBoolean on, Map<Integer, LongAdder> statuses,
                              java.util.function.Supplier<String> keys) {
        if (!on.get()) return;
        MultiMap h = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json").add("authorization", "Bearer " + keys.get());
        client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setHeaders(h))
                .compose(req -> req.send(body)).compose(resp -> {
                    statuses.computeIfAbsent(resp.statusCode(), s -> new LongAdder()).increment();
                    return resp.body();
                }).onComplete(ar -> {
                    if (ar.failed()) statuses.computeIfAbsent(-1, s -> new LongAdder()).increment();
                    flood(client, url, body, on, statuses, keys);
                });
    }

    private static String valid(Vertx vertx, String url, String key, Buffer body, int rate, int seconds) throws InterruptedException {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(64).setKeepAlive(true).setTcpNoDelay(true));
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json").add("authorization", "Bearer " + key);
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url).setHeaders(headers);
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
        client.close();
        Arrays.sort(latencies);
        return String.format("valid requests=%d errors=%d p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms", total, errors.get(),
                ms(latencies, 0.50), ms(latencies, 0.90), ms(latencies, 0.99), latencies[total - 1] / 1e6);
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
