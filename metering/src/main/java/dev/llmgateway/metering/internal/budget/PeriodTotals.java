package dev.llmgateway.metering.internal.budget;

import java.util.OptionalLong;

/** A budget period's row as last read: the limits (from the budget) and the counters summed over its leases. */
public record PeriodTotals(OptionalLong limitMicros, OptionalLong limitTokens,
                           long allocatedMicros, long allocatedTokens, long spentMicros, long spentTokens,
                           long writtenOffMicros, long writtenOffTokens, long overGrantMicros, long overGrantTokens) {

    public static PeriodTotals empty(OptionalLong limitMicros, OptionalLong limitTokens) {
        return new PeriodTotals(limitMicros, limitTokens, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** Actual plus presumed spend (expired leases count as spent until reconciled). */
    public long usedMicros() { return Math.addExact(spentMicros, writtenOffMicros); }

    public long usedTokens() { return Math.addExact(spentTokens, writtenOffTokens); }
}
