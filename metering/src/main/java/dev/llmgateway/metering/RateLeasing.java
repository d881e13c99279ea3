package dev.llmgateway.metering;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RateLimiter} takes slices ("grants") of a per-minute limit from the shared ledger.
 *
 * @param slicesPerLimit          a grant takes at most {@code limit / slicesPerLimit} beyond the request that asked
 * @param shareOfRemainingDivisor and at most {@code room / shareOfRemainingDivisor}, so grants shrink near the limit
 * @param grantValidity           a replica spends a grant only this long after asking for it; then the unused rest
 *                                is returned. A grant counts against the limit for one minute plus this, so the
 *                                sustained rate is at least {@code limit x 60 s / (60 s + grantValidity)}
 */
public record RateLeasing(int slicesPerLimit, int shareOfRemainingDivisor, Duration grantValidity) {
    public RateLeasing {
        Objects.requireNonNull(grantValidity);
        if (slicesPerLimit < 1) throw new IllegalArgumentException("slicesPerLimit must be at least 1");
        if (shareOfRemainingDivisor < 1) throw new IllegalArgumentException("shareOfRemainingDivisor must be at least 1");
        if (grantValidity.isNegative() || grantValidity.isZero() || grantValidity.compareTo(Duration.ofMinutes(1)) > 0)
            throw new IllegalArgumentException("grantValidity must be between 0 and 1 minute");
    }

    /** 20 slices per limit, at most a quarter of the room, grants spendable for 5 s. */
    public static RateLeasing defaults() { return new RateLeasing(20, 4, Duration.ofSeconds(5)); }
}
