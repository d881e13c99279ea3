package dev.llmgateway.metering;

/** Always-on postcondition checks for money code (unlike {@code assert}, never disabled). */
public final class Invariants {
    private Invariants() {}

    /** Throws {@link IllegalStateException} with {@code what} when {@code condition} does not hold. */
    public static void check(boolean condition, String what) {
        if (!condition) throw new IllegalStateException("invariant violated: " + what);
    }
}
