package dev.llmgateway.metering.internal.rate;

import java.time.Duration;
import java.util.List;

/**
 * Where the grants of every replica are counted: in memory (one process) or in PostgreSQL (all replicas). A grant
 * counts against its bucket's per-minute limit for {@link #window} after it was made: one minute plus the grant's
 * validity, the longest its replica may spend from it. Granting is atomic per bucket.
 */
public sealed interface RateLedger permits InMemoryRateLedger, PostgresRateLedger {
    /** Identifies one limit: a key's or a team's requests or tokens per minute. */
    record BucketId(String subjectType, String subjectId, String kind) {}

    /** Outcome of asking for a grant. */
    sealed interface GrantResult {
        record Granted(long grantId, long units) implements GrantResult {}

        /** Not enough room: the same need fits after {@code retryAfterNanos} if nothing else is granted meanwhile. */
        record Refused(long retryAfterNanos) implements GrantResult {}
    }

    /**
     * Grants {@code need} plus up to {@code maxExtra} more (at most {@code room / shareDivisor} of what would remain)
     * when the units counted in the window plus {@code need} stay within {@code perMinute}; else refuses.
     */
    GrantResult grant(BucketId bucket, String replicaId, long perMinute, long need, long maxExtra, int shareDivisor,
                      Duration validity);

    /** Shrinks a grant to what its replica used (never grows it); the rest counts no more. */
    void close(long grantId, long used);

    /** Counts {@code units} now, without any check: actual usage above what was granted. */
    void charge(BucketId bucket, String replicaId, long units);

    /** Forgets grants too old to count any more. */
    void prune(Duration validity);

    /** One minute plus the validity: how long a grant counts. */
    static Duration window(Duration validity) { return Duration.ofMinutes(1).plus(validity); }

    /** A grant as counted: when and how many units. */
    record Counted(long atMicros, long units) {}

    /**
     * How long until {@code need} fits, given the grants in the window (oldest first) and the current time: the moment
     * enough of the oldest leave the window. Exact to the microsecond, rounded up.
     */
    static long retryAfterNanos(List<Counted> inWindow, long nowMicros, long windowMicros, long perMinute, long need) {
        long counted = 0;
        for (Counted c : inWindow) counted = Math.addExact(counted, c.units());
        long excess = counted + need - perMinute;
        for (Counted c : inWindow) {
            excess -= c.units();
            if (excess <= 0) return Math.max(1_000, (c.atMicros() + windowMicros - nowMicros) * 1_000 + 1_000);
        }
        return Math.max(1_000, windowMicros * 1_000); // need > perMinute: callers refuse those before asking
    }
}
