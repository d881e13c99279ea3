package dev.llmgateway.metering.internal.budget;

/** A lease as stored. {@code state}: open, returned, expired or reconciled. */
public record LeaseRow(long id, String state, long grantedMicros, long grantedTokens, long reportedMicros, long reportedTokens) {

    public boolean open() { return state.equals("open"); }

    public boolean expired() { return state.equals("expired"); }

    /** Presumed-spent part of this lease: counted only while it is expired. */
    public long writtenOffMicros() { return expired() ? grantedMicros - reportedMicros : 0; }

    public long writtenOffTokens() { return expired() ? grantedTokens - reportedTokens : 0; }

    /** What closing a lease does with what it still holds. */
    public enum Closing {
        /** Keep the lease as it is (open leases are renewed). */
        KEEP,
        /** Return what is neither spent nor kept for in-flight reservations; the lease stays open. */
        SHRINK,
        /** Final: granted shrinks to reported; open becomes returned, expired becomes reconciled. */
        CLOSE
    }

    /**
     * The lease after its holder reports {@code deltaMicros}/{@code deltaTokens} more spend and closes it as asked.
     * Spend beyond the grant grows the grant (never lost). {@code keep*} are kept for in-flight requests on SHRINK.
     */
    public LeaseRow afterReport(long deltaMicros, long deltaTokens, Closing closing, long keepMicros, long keepTokens) {
        BudgetInvariants.check(deltaMicros >= 0 && deltaTokens >= 0, () -> "negative spend report on lease " + id);
        long rM = Math.addExact(reportedMicros, deltaMicros), rT = Math.addExact(reportedTokens, deltaTokens);
        long gM = Math.max(grantedMicros, rM), gT = Math.max(grantedTokens, rT);
        String s = state;
        switch (closing) {
            case KEEP -> {}
            case SHRINK -> {
                if (open()) {
                    gM = Math.max(rM, Math.min(gM, Math.addExact(rM, keepMicros)));
                    gT = Math.max(rT, Math.min(gT, Math.addExact(rT, keepTokens)));
                }
            }
            case CLOSE -> {
                gM = rM;
                gT = rT;
                if (open()) s = "returned";
                else if (expired()) s = "reconciled";
            }
        }
        return new LeaseRow(id, s, gM, gT, rM, rT);
    }
}
