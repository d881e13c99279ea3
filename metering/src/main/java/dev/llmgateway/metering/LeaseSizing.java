package dev.llmgateway.metering;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link BudgetGuard} takes and keeps budget leases.
 *
 * @param slicesPerLimit     a lease takes at most {@code limit / slicesPerLimit} beyond the request that needs it
 * @param shareOfRemainingDivisor and at most {@code remaining / shareOfRemainingDivisor}, so slices shrink near the limit
 * @param leaseTtl           a lease not renewed for this long may be expired by any replica (presumed spent)
 * @param expirySafetyMargin the holder stops spending a lease this long before its expiry (covers clock skew)
 * @param flushInterval      how often spend is reported and leases renewed; {@link Duration#ZERO}: only on {@code flush()}
 * @param idleReturn         an unused lease (no requests in flight) is returned after this long
 * @param definitionRefresh  budget definitions are re-read from the database after this long
 */
public record LeaseSizing(int slicesPerLimit, int shareOfRemainingDivisor, Duration leaseTtl, Duration expirySafetyMargin,
                          Duration flushInterval, Duration idleReturn, Duration definitionRefresh) {
    public LeaseSizing {
        Objects.requireNonNull(leaseTtl);
        Objects.requireNonNull(expirySafetyMargin);
        Objects.requireNonNull(flushInterval);
        Objects.requireNonNull(idleReturn);
        Objects.requireNonNull(definitionRefresh);
        if (slicesPerLimit < 1) throw new IllegalArgumentException("slicesPerLimit must be at least 1");
        if (shareOfRemainingDivisor < 1) throw new IllegalArgumentException("shareOfRemainingDivisor must be at least 1");
        if (expirySafetyMargin.isNegative() || expirySafetyMargin.compareTo(leaseTtl) >= 0)
            throw new IllegalArgumentException("expirySafetyMargin must be between 0 and leaseTtl");
        if (flushInterval.isNegative()) throw new IllegalArgumentException("flushInterval must not be negative");
        if (!flushInterval.isZero() && flushInterval.compareTo(leaseTtl.minus(expirySafetyMargin)) >= 0)
            throw new IllegalArgumentException("flushInterval must be shorter than leaseTtl - expirySafetyMargin, or leases lapse");
    }

    /** 20 slices per limit, at most a quarter of what remains, 30 s leases renewed every second. */
    public static LeaseSizing defaults() {
        return new LeaseSizing(20, 4, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(1),
                Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    public LeaseSizing withFlushInterval(Duration d) {
        return new LeaseSizing(slicesPerLimit, shareOfRemainingDivisor, leaseTtl, expirySafetyMargin, d, idleReturn, definitionRefresh);
    }

    public LeaseSizing withSlicesPerLimit(int n) {
        return new LeaseSizing(n, shareOfRemainingDivisor, leaseTtl, expirySafetyMargin, flushInterval, idleReturn, definitionRefresh);
    }

    public LeaseSizing withLeaseTtl(Duration ttl, Duration margin) {
        return new LeaseSizing(slicesPerLimit, shareOfRemainingDivisor, ttl, margin, flushInterval, idleReturn, definitionRefresh);
    }

    public LeaseSizing withIdleReturn(Duration d) {
        return new LeaseSizing(slicesPerLimit, shareOfRemainingDivisor, leaseTtl, expirySafetyMargin, flushInterval, d, definitionRefresh);
    }
}
