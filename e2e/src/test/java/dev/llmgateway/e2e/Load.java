package dev.llmgateway.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Client threads sending chat completions in a loop until {@link #stop()} or a request cap. A request is
 * <em>acknowledged</em> when the client received all of a 200 answer: the whole JSON body, or for a stream the final
 * {@code data: [DONE]}. Its {@code x-gateway-request-id} is then recorded: the gateway promises that its usage is
 * durable. Everything else is counted as a failure, by status and error code or exception.
 */
final class Load implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request to send: where, and whether it streams. */
    record Target(URI uri, boolean stream, int maxTokens) {}

    /** One finished request, for timelines: when it ended (ms since the load started) and its outcome. */
    record Result(long atMs, String outcome) {}

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final String key;
    private final IntFunction<Target> targets;
    private final int threads;
    private final long pauseMs;
    private final int maxRequests;
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, String> failureExamples = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
    private final Map<Integer, AtomicInteger> acknowledgedByPort = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicLong startedNanos = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running;

    /**
     * @param targets     request number -> where to send it (e.g. alternating between gateways, some streamed)
     * @param pauseMs     each client's pause between its requests, to keep the shared machine's load modest
     * @param maxRequests a hard cap on requests sent, whatever happens
     */
    Load(String key, IntFunction<Target> targets, int threads, long pauseMs, int maxRequests) {
        this.key = key;
        this.targets = targets;
        this.threads = threads;
        this.pauseMs = pauseMs;
        this.maxRequests = maxRequests;
    }

    Load start() {
        running = true;
        startedNanos.set(System.nanoTime());
        for (int i = 0; i < threads; i++) {
            Thread t = Thread.ofPlatform().name("e2e-load-" + i).daemon().start(this::loop);
            workers.add(t);
        }
        return this;
    }

    private void loop() {
        while (running) {
            int n = sent.getAndIncrement();
            if (n >= maxRequests) {
                running = false;
                return;
            }
            boolean ok = one(targets.apply(n), n);
            if (pauseMs > 0 || !ok) {
                try {
                    Thread.sleep(ok ? pauseMs : Math.max(pauseMs, 50)); // back off a little after a failure
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private boolean one(Target t, int n) {
        String body = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"e2e request number " + n + "\"}]"
                + (t.maxTokens() > 0 ? ",\"max_tokens\":" + t.maxTokens() : "")
                + (t.stream() ? ",\"stream\":true" : "") + "}";
        HttpRequest req = HttpRequest.newBuilder(t.uri()).timeout(Duration.ofSeconds(15))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        String outcome;
        try {
            HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
            String id = r.headers().firstValue("x-gateway-request-id").orElse(null);
            boolean complete = t.stream() ? r.body().contains("data: [DONE]") : r.body().contains("\"choices\"");
            if (r.statusCode() == 200 && complete && id != null) {
                acknowledged.add(id);
                acknowledgedByPort.computeIfAbsent(t.uri().getPort(), k -> new AtomicInteger()).incrementAndGet();
                outcome = "200";
            } else {
                outcome = r.statusCode() + (r.statusCode() == 200 ? " incomplete" : " " + errorCode(r.body()));
                failureExamples.putIfAbsent(outcome, r.body().length() > 400 ? r.body().substring(0, 400) : r.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            outcome = "interrupted";
        } catch (Exception e) {
            outcome = e.getClass().getSimpleName();
            failureExamples.putIfAbsent(outcome, String.valueOf(e.getMessage()));
        }
        if (!outcome.equals("200")) failures.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
        results.add(new Result((System.nanoTime() - startedNanos.get()) / 1_000_000, outcome));
        return outcome.equals("200");
    }

    private static String errorCode(String body) {
        try {
            return JSON.readTree(body).path("error").path("code").asText("?");
        } catch (Exception e) {
            return "unparsable";
        }
    }

    /** Stops the clients and waits for their requests in flight. */
    void stop() {
        running = false;
        for (Thread t : workers) {
            try {
                t.join(20_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    long elapsedMs() { return (System.nanoTime() - startedNanos.get()) / 1_000_000; }

    Set<String> acknowledged() { return Set.copyOf(acknowledged); }

    int acknowledgedCount() { return acknowledged.size(); }

    /** Acknowledged requests per gateway port. */
    Map<Integer, Integer> acknowledgedByPort() {
        Map<Integer, Integer> out = new TreeMap<>();
        acknowledgedByPort.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Waits until the request cap is reached (or the clients stopped) and every client finished. */
    void awaitFinished(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (Thread t : workers) {
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        stop();
    }

    int sent() { return Math.min(sent.get(), maxRequests); }

    /** Failures by outcome ("500 internal_error", "ConnectException", ...). */
    Map<String, Integer> failures() {
        Map<String, Integer> out = new TreeMap<>();
        failures.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    Map<String, String> failureExamples() { return new TreeMap<>(failureExamples); }

    /** Outcomes of requests that ended in {@code [fromMs, toMs)} since the start, counted. */
    Map<String, Integer> outcomesBetween(long fromMs, long toMs) {
        Map<String, Integer> out = new TreeMap<>();
        for (Result r : results) if (r.atMs() >= fromMs && r.atMs() < toMs) out.merge(r.outcome(), 1, Integer::sum);
        return out;
    }

    /** Per-second outcome counts, for the log. */
    String timeline() {
        Map<Long, Map<String, Integer>> bySecond = new TreeMap<>();
        for (Result r : results) bySecond.computeIfAbsent(r.atMs() / 1000, k -> new TreeMap<>()).merge(r.outcome(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        bySecond.forEach((s, m) -> sb.append(String.format("  t=%3ds %s%n", s, m)));
        return sb.toString();
    }

    @Override
    public void close() { stop(); }
}
