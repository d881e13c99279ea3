package dev.llmgateway.metering.internal.rate;

import dev.llmgateway.metering.RateLeasing;

/**
 * This replica's side of one per-minute limit: the grant it currently spends from. Requests take units from the
 * grant in memory; only when it is used up or past its validity does the bucket return the rest and ask the ledger
 * for a new one (holding this bucket's lock, so one replica asks once at a time).
 */
public final class RateBucket {
    public final RateLedger.BucketId id;
    public final long perMinute;
    private final RateLedger ledger;
    private final String replicaId;
    private final RateLeasing leasing;
    private Lease current;
    private final java.util.List<Lease> closedWithReturns = new java.util.ArrayList<>();

    /** A grant as this replica spends it. Guarded by the bucket's monitor. */
    public static final class Lease {
        final long grantId, granted, deadlineNanos;
        long used;
        boolean closed;
        /** Given back after the grant was closed; written to the ledger by the next {@link #flushReturns}. */
        long returned;

        Lease(long grantId, long granted, long deadlineNanos) {
            this.grantId = grantId;
            this.granted = granted;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public String toString() { return "Lease[grant=" + grantId + ", granted=" + granted + ", used=" + used + ", closed=" + closed + "]"; }
    }

    /** Outcome of {@link #take}. */
    public sealed interface Take {
        record Took(Lease lease, long units) implements Take {}

        record Wait(long retryAfterNanos) implements Take {}
    }

    public RateBucket(RateLedger.BucketId id, long perMinute, RateLedger ledger, String replicaId, RateLeasing leasing) {
        this.id = id;
        this.perMinute = perMinute;
        this.ledger = ledger;
        this.replicaId = replicaId;
        this.leasing = leasing;
    }

    /**
     * Takes {@code units} (at most {@code perMinute}) from the current grant, or from a new one. {@code nowNanos} must
     * be read before this call: a grant is spent only until {@code nowNanos + validity}, which is never later than
     * the ledger's grant time plus the validity, as the window's bound requires.
     */
    public synchronized Take take(long units, long nowNanos) {
        if (units <= 0) return new Take.Took(null, 0);
        Lease l = current;
        if (l != null && nowNanos - l.deadlineNanos < 0 && l.granted - l.used >= units) {
            l.used += units;
            return new Take.Took(l, units);
        }
        closeCurrent(); // return what is left, so it counts no more (also when the ledger refuses below)
        long maxExtra = perMinute / leasing.slicesPerLimit();
        RateLedger.GrantResult r = ledger.grant(id, replicaId, perMinute, units, maxExtra, leasing.shareOfRemainingDivisor(),
                leasing.grantValidity());
        return switch (r) {
            case RateLedger.GrantResult.Granted g -> {
                Lease fresh = new Lease(g.grantId(), g.units(), nowNanos + leasing.grantValidity().toNanos());
                fresh.used = units;
                current = fresh;
                yield new Take.Took(fresh, units);
            }
            case RateLedger.GrantResult.Refused w -> new Take.Wait(w.retryAfterNanos());
        };
    }

    /** Gives back units taken from {@code lease} (an over-estimate, or a request refused elsewhere) while it is still spendable. */
    public synchronized void giveBack(Lease lease, long units) {
        if (lease == null || units <= 0) return;
        long back = Math.min(units, lease.used);
        lease.used -= back;
        if (lease.closed && back > 0) {
            if (lease.returned == 0) closedWithReturns.add(lease);
            lease.returned += back;
        }
    }

    /** Shrinks closed grants by what their requests gave back after the close (batched: one write per grant). */
    public void flushReturns() {
        java.util.List<Lease> due;
        synchronized (this) {
            if (closedWithReturns.isEmpty()) return;
            due = java.util.List.copyOf(closedWithReturns);
            closedWithReturns.clear();
        }
        for (Lease l : due) {
            long units;
            synchronized (this) {
                units = l.returned;
                l.returned = 0;
            }
            try {
                ledger.close(l.grantId, l.used);
            } catch (RuntimeException e) {
                synchronized (this) { // try again at the next flush
                    if (l.returned == 0) closedWithReturns.add(l);
                    l.returned += units;
                }
                throw e;
            }
        }
    }

    /** Counts usage beyond what was taken: from the current grant's room while it lasts, the rest straight in the ledger. */
    public synchronized void charge(long units, long nowNanos) {
        if (units <= 0) return;
        Lease l = current;
        if (l != null && nowNanos - l.deadlineNanos < 0) {
            long fromLease = Math.min(units, l.granted - l.used);
            l.used += fromLease;
            units -= fromLease;
        }
        if (units > 0) ledger.charge(id, replicaId, units);
    }

    /** Returns the unused rest of a grant past its validity. */
    public synchronized void closeIfExpired(long nowNanos) {
        if (current != null && nowNanos - current.deadlineNanos >= 0) closeCurrent();
    }

    /** Returns the unused rest of the current grant (limits changed, or shutting down). */
    public synchronized void closeCurrent() {
        Lease l = current;
        if (l == null) return;
        current = null;
        l.closed = true;
        ledger.close(l.grantId, l.used);
    }

    /** For tests and diagnostics. */
    public synchronized String toString() { return "RateBucket[" + id + ", " + perMinute + "/min, current=" + current + "]"; }
}
