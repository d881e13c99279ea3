package dev.llmgateway.metering.internal.budget;

import java.util.function.Supplier;

/** Always-on checks of the budget invariants (not {@code assert}, which is off by default). */
public final class BudgetInvariants {
    private BudgetInvariants() {}

    /** Thrown when a budget invariant does not hold: a bug, never a business outcome. */
    public static final class Violation extends IllegalStateException {
        public Violation(String message) { super("budget invariant violated: " + message); }
    }

    public static void check(boolean holds, Supplier<String> what) {
        if (!holds) throw new Violation(what.get());
    }

    public static void check(boolean holds, String what) {
        if (!holds) throw new Violation(what);
    }

    /**
     * The amount at which {@code pct} percent of {@code limit} is reached: ceil(limit * pct / 100), computed without
     * overflow for any non-negative limit (saturates at Long.MAX_VALUE).
     */
    public static long thresholdAmount(long limit, int pct) {
        check(limit >= 0 && pct >= 0, () -> "threshold of limit " + limit + " at " + pct + "%");
        long whole = limit / 100, rest = limit % 100;
        try {
            return Math.addExact(Math.multiplyExact(whole, pct), Math.ceilDiv(rest * pct, 100L));
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}
