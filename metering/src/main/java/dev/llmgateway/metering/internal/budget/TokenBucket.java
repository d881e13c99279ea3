package dev.llmgateway.metering.internal.budget;

/**
 * A token bucket holding up to one minute's allowance, refilled continuously. The level is kept in fixed point,
 * units x nanoseconds per minute, so refill is exact integer arithmetic: {@code elapsedNanos * perMinute}.
 */
public final class TokenBucket {
    private static final long NANOS_PER_MINUTE = 60_000_000_000L;

    private final long perMinute;
    private final long capacity; // perMinute * NANOS_PER_MINUTE
    private long level;          // may be negative (debt) after takeInDebt
    private long lastNanos;

    public TokenBucket(long perMinute, long nowNanos) {
        BudgetInvariants.check(perMinute > 0 && perMinute <= Long.MAX_VALUE / NANOS_PER_MINUTE, () -> "rate " + perMinute);
        this.perMinute = perMinute;
        this.capacity = perMinute * NANOS_PER_MINUTE;
        this.level = capacity;
        this.lastNanos = nowNanos;
    }

    public long perMinute() { return perMinute; }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed <= 0) return;
        lastNanos = nowNanos;
        // A full refill takes one minute of elapsed time from an empty bucket; more (or debt) is capped.
        long room = capacity - level;
        long maxUseful = room / perMinute + 1;
        long add = elapsed >= maxUseful ? room : elapsed * perMinute;
        level = Math.min(capacity, level + add);
    }

    /**
     * Takes {@code units} if the bucket holds them (a request larger than a minute's allowance needs a full bucket);
     * returns 0 when taken, else the nanoseconds until it could be.
     */
    public synchronized long tryTake(long units, long nowNanos) {
        refill(nowNanos);
        long cost = Math.min(units, perMinute) * NANOS_PER_MINUTE;
        if (level >= cost) {
            level -= units > perMinute ? capacity : units * NANOS_PER_MINUTE;
            return 0;
        }
        return Math.ceilDiv(cost - level, perMinute);
    }

    /** Takes without checking (actual usage above the estimate); debt is capped at one minute's allowance. */
    public synchronized void takeInDebt(long units, long nowNanos) {
        refill(nowNanos);
        long cost = units > perMinute ? capacity : units * NANOS_PER_MINUTE;
        level = Math.max(-capacity, level - cost);
    }

    public synchronized void giveBack(long units) {
        long amount = units > perMinute ? capacity : units * NANOS_PER_MINUTE;
        level = Math.min(capacity, level + amount);
    }
}
