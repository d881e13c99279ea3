package dev.llmgateway.metering.internal.rate;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/** A {@link RateLedger} for one process (tests, and a gateway without shared state); time from a monotonic clock. */
public final class InMemoryRateLedger implements RateLedger {
    private final LongSupplier nanoTime;
    private final Map<BucketId, ArrayDeque<Grant>> buckets = new HashMap<>();
    private final Map<Long, Grant> byId = new HashMap<>();
    private long nextId = 1;

    private static final class Grant {
        final long id, atMicros;
        final BucketId bucket;
        long units;

        Grant(long id, BucketId bucket, long atMicros, long units) {
            this.id = id;
            this.bucket = bucket;
            this.atMicros = atMicros;
            this.units = units;
        }
    }

    public InMemoryRateLedger(LongSupplier nanoTime) { this.nanoTime = nanoTime; }

    private long nowMicros() { return Math.floorDiv(nanoTime.getAsLong(), 1_000); }

    @Override
    public synchronized GrantResult grant(BucketId bucket, String replicaId, long perMinute, long need, long maxExtra,
                                          int shareDivisor, Duration validity) {
        long now = nowMicros();
        long windowMicros = RateLedger.window(validity).toNanos() / 1_000;
        ArrayDeque<Grant> grants = buckets.computeIfAbsent(bucket, b -> new ArrayDeque<>());
        List<Counted> inWindow = new ArrayList<>();
        long counted = 0;
        for (Grant g : grants) {
            if (g.atMicros > now - windowMicros) {
                inWindow.add(new Counted(g.atMicros, g.units));
                counted += g.units;
            }
        }
        if (counted + need > perMinute) return new GrantResult.Refused(RateLedger.retryAfterNanos(inWindow, now, windowMicros, perMinute, need));
        long extra = Math.max(0, Math.min(maxExtra, (perMinute - counted - need) / shareDivisor));
        Grant g = new Grant(nextId++, bucket, now, need + extra);
        grants.addLast(g);
        byId.put(g.id, g);
        return new GrantResult.Granted(g.id, g.units);
    }

    @Override
    public synchronized void close(long grantId, long used) {
        Grant g = byId.get(grantId);
        if (g != null) g.units = Math.max(0, Math.min(g.units, used));
    }

    @Override
    public synchronized void charge(BucketId bucket, String replicaId, long units) {
        if (units <= 0) return;
        buckets.computeIfAbsent(bucket, b -> new ArrayDeque<>()).addLast(new Grant(nextId++, bucket, nowMicros(), units));
    }

    @Override
    public synchronized void prune(Duration validity) {
        long horizon = nowMicros() - RateLedger.window(validity).toNanos() / 1_000;
        for (ArrayDeque<Grant> grants : buckets.values()) {
            while (!grants.isEmpty() && grants.peekFirst().atMicros <= horizon) byId.remove(grants.pollFirst().id);
        }
        buckets.values().removeIf(ArrayDeque::isEmpty);
    }
}
