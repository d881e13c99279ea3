package dev.llmgateway.metering.internal.budget;

import java.time.Instant;

/**
 * This replica's view of one lease: what the period granted it, what in-flight requests reserved, what they spent
 * and how much of that was reported. Guarded by the owning {@link LeasePool}'s monitor.
 */
public final class Lease {
    public final long id;
    long grantedMicros, grantedTokens;
    long reservedMicros, reservedTokens;
    long spentMicros, spentTokens;
    /**
     * The exact sum of the settled requests' charges; {@code spentMicros} is it rounded up once, so the lease's whole
     * micro-USD counters over-count by less than one micro-USD in all, not one per request.
     */
    dev.llmgateway.metering.MicroUsd spentExact = dev.llmgateway.metering.MicroUsd.ZERO;
    long reportedMicros, reportedTokens;
    int inFlight;
    /** Spendable until this instant (the stored expiry minus the safety margin). */
    Instant deadline;
    /** Another replica expired it: no new reservations; in-flight ones settle and are reported late. */
    boolean lost;

    Lease(long id, Instant deadline) {
        this.id = id;
        this.deadline = deadline;
    }

    long availableMicros() { return grantedMicros - reservedMicros - spentMicros; }

    long availableTokens() { return grantedTokens - reservedTokens - spentTokens; }

    void hold(long micros, long tokens) {
        reservedMicros = Math.addExact(reservedMicros, micros);
        reservedTokens = Math.addExact(reservedTokens, tokens);
        inFlight++;
    }

    void settle(long reservedM, long reservedT, dev.llmgateway.metering.MicroUsd actualM, long actualT) {
        reservedMicros = Math.subtractExact(reservedMicros, reservedM);
        reservedTokens = Math.subtractExact(reservedTokens, reservedT);
        spentExact = spentExact.plus(actualM);
        spentMicros = spentExact.ceilMicros();
        spentTokens = Math.addExact(spentTokens, actualT);
        inFlight--;
        BudgetInvariants.check(reservedMicros >= 0 && reservedTokens >= 0 && inFlight >= 0,
                () -> "lease " + id + " released more than it reserved: " + this);
    }

    long unreportedMicros() { return spentMicros - reportedMicros; }

    long unreportedTokens() { return spentTokens - reportedTokens; }

    /** Mirrors the stored lease after a report; both sides computed the same arithmetic. */
    void reported(LeaseRow after) {
        reportedMicros = after.reportedMicros();
        reportedTokens = after.reportedTokens();
        grantedMicros = after.grantedMicros();
        grantedTokens = after.grantedTokens();
        BudgetInvariants.check(reportedMicros <= spentMicros && reportedTokens <= spentTokens,
                () -> "lease " + id + " reported more than it spent: " + this);
    }

    @Override
    public String toString() {
        return "Lease[id=" + id + ", granted=" + grantedMicros + "/" + grantedTokens + ", reserved=" + reservedMicros + "/"
                + reservedTokens + ", spent=" + spentMicros + "/" + spentTokens + ", reported=" + reportedMicros + "/"
                + reportedTokens + ", inFlight=" + inFlight + ", lost=" + lost + "]";
    }
}
