package dev.llmgateway.metering;

import java.util.List;

/**
 * What one admitted request took from its rate limits; hand it back to {@link RateLimiter#settle} with the actual
 * token count. Settling twice changes nothing.
 */
public final class RatePermit {
    final long estimatedTokens;
    final List<RateLimiter.Take> takes;
    private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();

    RatePermit(long estimatedTokens, List<RateLimiter.Take> takes) {
        this.estimatedTokens = estimatedTokens;
        this.takes = takes;
    }

    boolean settleOnce() { return settled.compareAndSet(false, true); }

    public long estimatedTokens() { return estimatedTokens; }

    /** True when no rate limit applied to the request: settling it changes nothing and never blocks. */
    public boolean takesNothing() { return takes.isEmpty(); }
}
