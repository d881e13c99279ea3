package dev.llmgateway.metering;

/**
 * One limited dimension of a budget period, all in {@code unit}: {@code spent} includes presumed spend of
 * expired leases, {@code reserved} is leased to replicas but not yet reported as spent (in-flight requests and
 * unused lease), {@code remaining = max(0, limit - spent - reserved)}, {@code overLimit = max(0, spent - limit)}.
 */
public record BudgetUsage(BudgetUnit unit, long limit, long spent, long reserved, long remaining, long overLimit) {

    /** Spent and reserved as a share of the limit in basis points (10000 = 100%); saturates at Integer.MAX_VALUE. */
    public int usedBasisPoints() {
        long used = Math.addExact(spent, reserved);
        if (limit == 0) return used == 0 ? 0 : Integer.MAX_VALUE;
        java.math.BigInteger bp = java.math.BigInteger.valueOf(used).multiply(java.math.BigInteger.valueOf(10_000))
                .divide(java.math.BigInteger.valueOf(limit));
        return bp.bitLength() < 31 ? bp.intValue() : Integer.MAX_VALUE;
    }
}
