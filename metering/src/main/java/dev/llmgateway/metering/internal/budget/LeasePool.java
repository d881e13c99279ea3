package dev.llmgateway.metering.internal.budget;

import dev.llmgateway.metering.Budget;
import dev.llmgateway.metering.BudgetDefinition;
import dev.llmgateway.metering.BudgetUnit;
import dev.llmgateway.metering.LeaseSizing;
import dev.llmgateway.metering.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * This replica's share of one budget period: the current lease it spends from without touching the database,
 * plus leases it lost (expired by another replica) that still have requests in flight. All methods synchronize on
 * the pool, so one budget's requests are serialized only for the few nanoseconds of local arithmetic, or for the
 * database round trip when the lease must grow.
 */
public final class LeasePool {
    public final long budgetId;
    public final Instant periodStart;
    public final Optional<Instant> periodEnd;
    private final LeaseLedger ledger;
    private final String replicaId;
    private final LeaseSizing sizing;

    private Lease current;
    private final List<Lease> retired = new ArrayList<>();
    private PeriodTotals lastKnown;
    private Set<Integer> alerted; // guarded by dbLock
    private Instant lastUsed;

    public LeasePool(long budgetId, Instant periodStart, Optional<Instant> periodEnd, LeaseLedger ledger, String replicaId,
                     LeaseSizing sizing, Instant now) {
        this.budgetId = budgetId;
        this.periodStart = periodStart;
        this.periodEnd = periodEnd;
        this.ledger = ledger;
        this.replicaId = replicaId;
        this.sizing = sizing;
        this.lastUsed = now;
    }

    /** A request's claim on one lease; settled or released exactly once (the caller guarantees once). */
    public record Hold(LeasePool pool, Lease lease, long micros, long tokens, OptionalLong remainingMicrosEstimate) {}

    /** What the pool decided for one request. */
    public sealed interface Outcome {
        record Held(Hold hold) implements Outcome {}

        /** Held although a soft budget is exceeded; {@code used} = allocated in {@code unit} (spent + reserved + leased). */
        record HeldOverSoftLimit(Hold hold, BudgetUnit unit, long limit, long used) implements Outcome {}

        record Refused(BudgetUnit unit, long limit, long used) implements Outcome {}

        /** The pool's period ended and it was retired meanwhile: look up the current pool and try again. */
        record PeriodOver() implements Outcome {}
    }

    /** The period's totals as this pool last read them (at its last grant or report), if it has read them. */
    public synchronized Optional<PeriodTotals> lastKnown() {
        return Optional.ofNullable(lastKnown);
    }

    /** Set once the pool is finished and dropped by its guard; a late reservation must not open a lease here. */
    private boolean dropped;

    /**
     * Serializes this pool's database work (grants, reports), so the stored lease changes only in one order. Lock
     * order: dbLock, then the monitor. The monitor alone guards the in-memory counters; the per-second report runs
     * without it, so requests are not blocked by the flush's round trip.
     */
    private final java.util.concurrent.locks.ReentrantLock dbLock = new java.util.concurrent.locks.ReentrantLock();

    public boolean covers(Instant now) {
        return !now.isBefore(periodStart) && (periodEnd.isEmpty() || now.isBefore(periodEnd.get()));
    }

    /** Reserves the worst case of one request against this budget period. */
    public Outcome reserve(Budget budget, long micros, long tokens, Instant now) {
        BudgetDefinition def = budget.definition();
        boolean limM = def.limitMicrosUsd().isPresent(), limT = def.limitTokens().isPresent();
        synchronized (this) {
            if (dropped) return new Outcome.PeriodOver();
            lastUsed = now;
            Lease lease = current;
            if (lease != null && !lease.lost && now.isBefore(lease.deadline) && fits(lease, micros, tokens, limM, limT))
                return new Outcome.Held(hold(lease, micros, tokens, limM));
        }
        dbLock.lock();
        try {
            synchronized (this) {
                return reserveWithDatabase(budget, micros, tokens, now);
            }
        } finally {
            dbLock.unlock();
        }
    }

    private Outcome reserveWithDatabase(Budget budget, long micros, long tokens, Instant now) {
        BudgetDefinition def = budget.definition();
        boolean limM = def.limitMicrosUsd().isPresent(), limT = def.limitTokens().isPresent();
        if (dropped) return new Outcome.PeriodOver();
        lastUsed = now;
        Lease lease = current;
        if (lease != null && !lease.lost && fits(lease, micros, tokens, limM, limT)) {
            if (now.isBefore(lease.deadline)) return new Outcome.Held(hold(lease, micros, tokens, limM));
            report(lease, LeaseRow.Closing.KEEP, now); // renew before spending past the local deadline
            if (current == lease) return new Outcome.Held(hold(lease, micros, tokens, limM));
            lease = current;
        }
        if (lease == null || lease.lost) lease = openLease(now);
        LeaseLedger.TopUp r = topUp(lease, def, micros, tokens, limM, limT, now);
        if (!r.leaseOpen()) {
            loseCurrent();
            lease = openLease(now);
            r = topUp(lease, def, micros, tokens, limM, limT, now);
            if (!r.leaseOpen()) throw new StoreException("taking a budget lease",
                    new IllegalStateException("a fresh lease expired immediately; check leaseTtl and clock skew"));
        }
        PeriodTotals t = r.totals();
        Lease granted = lease;
        if (r.admitted()) {
            BudgetInvariants.check(fits(lease, micros, tokens, limM, limT),
                    () -> "admitted by the period but the lease does not cover the request: " + current);
            return new Outcome.Held(hold(lease, micros, tokens, limM));
        }
        // Which dimension failed: remaining before this grant (limit - allocated + grant) was below what was asked.
        BudgetUnit unit = limM && exceeded(t.limitMicros().getAsLong(), t.allocatedMicros(), r.grantMicros(), askMicros)
                ? BudgetUnit.MICROS_USD : limT ? BudgetUnit.TOKENS : BudgetUnit.MICROS_USD;
        long limit = unit == BudgetUnit.MICROS_USD ? t.limitMicros().getAsLong() : t.limitTokens().getAsLong();
        long used = unit == BudgetUnit.MICROS_USD ? t.allocatedMicros() : t.allocatedTokens();
        if (def.hard()) {
            BudgetInvariants.check(granted.availableMicros() <= 0 || !limM, () -> "refused but kept unused lease: " + granted);
            return new Outcome.Refused(unit, limit, used);
        }
        return new Outcome.HeldOverSoftLimit(hold(lease, micros, tokens, limM), unit, limit, used);
    }

    // Set by topUp for the diagnosis above; only read under the monitor right after.
    private long askMicros;

    private static boolean exceeded(long limit, long allocatedAfter, long grant, long ask) {
        return Math.subtractExact(limit, Math.subtractExact(allocatedAfter, grant)) < ask;
    }

    private LeaseLedger.TopUp topUp(Lease lease, BudgetDefinition def, long micros, long tokens, boolean limM, boolean limT,
                                    Instant now) {
        long availM = lease.availableMicros(), availT = lease.availableTokens();
        long askM = limM ? Math.max(0, Math.subtractExact(micros, availM)) : 0;
        long askT = limT ? Math.max(0, Math.subtractExact(tokens, availT)) : 0;
        long retM = limM ? Math.max(0, availM) : 0, retT = limT ? Math.max(0, availT) : 0;
        Instant expires = now.plus(sizing.leaseTtl());
        LeaseLedger.TopUp r = ledger.topUp(lease.id, budgetId, periodStart, askM, askT, micros, tokens, retM, retT,
                sizing.slicesPerLimit(), sizing.shareOfRemainingDivisor(), !def.hard(), expires);
        askMicros = askM;
        if (!r.leaseOpen()) return r;
        lease.grantedMicros = Math.addExact(lease.grantedMicros, r.grantMicros());
        lease.grantedTokens = Math.addExact(lease.grantedTokens, r.grantTokens());
        lease.deadline = expires.minus(sizing.expirySafetyMargin());
        lastKnown = r.totals();
        if (r.admitted())
            BudgetInvariants.check(r.grantMicros() >= askM && r.grantTokens() >= askT,
                    () -> "admitted with a grant " + r + " smaller than asked " + askM + "/" + askT);
        else if (def.hard())
            BudgetInvariants.check(r.grantMicros() == -retM && r.grantTokens() == -retT,
                    () -> "refusal did not return exactly the unused lease: " + r);
        return r;
    }

    private static boolean fits(Lease l, long micros, long tokens, boolean limM, boolean limT) {
        return (!limM || l.availableMicros() >= micros) && (!limT || l.availableTokens() >= tokens);
    }

    private Hold hold(Lease lease, long micros, long tokens, boolean limM) {
        lease.hold(micros, tokens);
        OptionalLong remaining = OptionalLong.empty();
        if (limM && lastKnown != null && lastKnown.limitMicros().isPresent())
            remaining = OptionalLong.of(Math.max(0, lastKnown.limitMicros().getAsLong() - lastKnown.allocatedMicros()
                    + Math.max(0, lease.availableMicros())));
        return new Hold(this, lease, micros, tokens, remaining);
    }

    private Lease openLease(Instant now) {
        Instant expires = now.plus(sizing.leaseTtl());
        long id = ledger.openLease(budgetId, periodStart, periodEnd, replicaId, now, expires);
        current = new Lease(id, expires.minus(sizing.expirySafetyMargin()));
        return current;
    }

    private void loseCurrent() {
        Lease l = current;
        current = null;
        if (l == null) return;
        l.lost = true;
        if (!retired.contains(l)) retired.add(l);
    }

    /** Settles a hold with the actual spend (may exceed the hold; the excess is reported, never lost). */
    public synchronized void settle(Hold h, dev.llmgateway.metering.MicroUsd actualMicros, long actualTokens, Instant now) {
        h.lease().settle(h.micros(), h.tokens(), actualMicros, actualTokens);
        lastUsed = now;
    }

    /**
     * Reports unreported spend and renews, shrinks or returns leases as their state requires: a lease with nothing
     * in flight is returned when idle, when the period ended or on {@code closing}; lost leases are reconciled once
     * their last request settled. Returns the period's totals as last read.
     */
    public Optional<PeriodTotals> flush(Instant now, boolean closing) {
        dbLock.lock();
        try {
            Lease keep;
            long deltaM, deltaT;
            synchronized (this) {
                keep = flushUnderMonitor(now, closing);
                if (keep == null) return Optional.ofNullable(lastKnown);
                deltaM = keep.unreportedMicros();
                deltaT = keep.unreportedTokens();
            }
            // Reporting spend and renewing: no grant changes, so requests may go on against the lease meanwhile.
            Instant expires = now.plus(sizing.leaseTtl());
            Optional<LeaseLedger.Report> rep = ledger.report(keep.id, deltaM, deltaT, LeaseRow.Closing.KEEP, 0, 0, now, expires);
            synchronized (this) {
                apply(keep, rep, now, expires);
                return Optional.ofNullable(lastKnown);
            }
        } finally {
            dbLock.unlock();
        }
    }

    /** Does what must not overlap with requests (closing, shrinking, retired leases); returns a lease to report on. */
    private Lease flushUnderMonitor(Instant now, boolean closing) {
        for (Lease l : List.copyOf(retired)) { // a copy: reporting may drop a lease from the list
            if (l.inFlight == 0) {
                report(l, LeaseRow.Closing.CLOSE, now);
                retired.remove(l);
            } else if (l.unreportedMicros() > 0 || l.unreportedTokens() > 0) {
                report(l, LeaseRow.Closing.KEEP, now);
            }
        }
        Lease cur = current;
        if (cur != null) {
            boolean ended = periodEnd.isPresent() && !now.isBefore(periodEnd.get());
            boolean idle = !now.isBefore(lastUsed.plus(sizing.idleReturn()));
            boolean renewDue = !now.isBefore(cur.deadline.minus(sizing.leaseTtl().minus(sizing.expirySafetyMargin()).dividedBy(2)));
            if (cur.inFlight == 0 && (ended || idle || closing)) {
                report(cur, LeaseRow.Closing.CLOSE, now);
                if (current == cur) current = null;
            } else if (ended || closing) {
                report(cur, LeaseRow.Closing.SHRINK, now);
            } else if (cur.unreportedMicros() > 0 || cur.unreportedTokens() > 0 || renewDue) {
                return cur;
            }
        }
        return null;
    }

    /** Reports and applies the result; caller holds dbLock and the monitor. */
    private void report(Lease l, LeaseRow.Closing closing, Instant now) {
        Instant expires = now.plus(sizing.leaseTtl());
        Optional<LeaseLedger.Report> rep = ledger.report(l.id, l.unreportedMicros(), l.unreportedTokens(), closing,
                l.reservedMicros, l.reservedTokens, now, expires);
        apply(l, rep, now, expires);
    }

    /** Mirrors a report's outcome in memory; caller holds dbLock and the monitor. */
    private void apply(Lease l, Optional<LeaseLedger.Report> rep, Instant now, Instant expires) {
        if (rep.isEmpty()) { // budget deleted: nothing left to report to
            if (current == l) current = null;
            retired.remove(l);
            return;
        }
        LeaseRow before = rep.get().before(), after = rep.get().after();
        if (rep.get().takenOver()) {
            // Expired and reconciled from stored usage meanwhile (we were paused or cut off): our usage rows count
            // there, so stop spending it and report nothing more on it.
            l.lost = true;
            l.abandonReports();
            lastKnown = rep.get().totals();
            if (current == l) current = null;
            if (l.inFlight == 0) retired.remove(l);
            else if (!retired.contains(l)) retired.add(l);
            return;
        }
        BudgetInvariants.check(before.grantedMicros() == l.grantedMicros && before.grantedTokens() == l.grantedTokens
                        && before.reportedMicros() == l.reportedMicros && before.reportedTokens() == l.reportedTokens,
                () -> "stored lease " + before + " differs from this replica's view " + l);
        l.reported(after);
        lastKnown = rep.get().totals();
        if (after.open()) l.deadline = expires.minus(sizing.expirySafetyMargin());
        else if (before.expired() && current == l) {
            // Another replica expired it while we were not looking: stop spending from it.
            loseCurrent();
            if (l.inFlight == 0) { // nothing more can be spent on it: reconcile it now with what was reported
                retired.remove(l);
                if (after.expired()) report(l, LeaseRow.Closing.CLOSE, now);
            }
        } else if (current == l && !after.open()) {
            current = null;
        }
    }

    /**
     * True once the period ended and every lease was returned or reconciled; the pool is then dropped for good
     * (a reservation that raced with this gets {@link Outcome.PeriodOver} and retries in the new period).
     */
    public synchronized boolean finish(Instant now) {
        dropped |= periodEnd.isPresent() && !now.isBefore(periodEnd.get()) && current == null && retired.isEmpty();
        return dropped;
    }

    /**
     * Threshold percentages crossed by actual plus presumed spend and not yet recorded; returned again until
     * {@link #recorded} is called for them (so a database error while recording loses no alert).
     */
    public List<Crossing> newCrossings(BudgetDefinition def) {
        dbLock.lock();
        try {
            PeriodTotals known;
            synchronized (this) {
                known = lastKnown;
            }
            if (known == null || def.alertThresholdsPct().isEmpty()) return List.of();
            if (alerted == null) alerted = new HashSet<>(ledger.recordedThresholds(budgetId, periodStart));
            return crossings(def, known);
        } finally {
            dbLock.unlock();
        }
    }

    private List<Crossing> crossings(BudgetDefinition def, PeriodTotals lastKnown) {
        List<Crossing> out = new ArrayList<>();
        for (int pct : def.alertThresholdsPct()) {
            if (alerted.contains(pct)) continue;
            Crossing c = null;
            if (lastKnown.limitMicros().isPresent()) {
                long limit = lastKnown.limitMicros().getAsLong();
                if (lastKnown.usedMicros() >= BudgetInvariants.thresholdAmount(limit, pct) && lastKnown.usedMicros() > 0)
                    c = new Crossing(pct, BudgetUnit.MICROS_USD, lastKnown.usedMicros(), limit);
            }
            if (c == null && lastKnown.limitTokens().isPresent()) {
                long limit = lastKnown.limitTokens().getAsLong();
                if (lastKnown.usedTokens() >= BudgetInvariants.thresholdAmount(limit, pct) && lastKnown.usedTokens() > 0)
                    c = new Crossing(pct, BudgetUnit.TOKENS, lastKnown.usedTokens(), limit);
            }
            if (c != null) out.add(c);
        }
        return out;
    }

    /** Marks a threshold as recorded in {@code budget_alerts} (by this replica or another). */
    public void recorded(int thresholdPct) {
        dbLock.lock();
        try {
            if (alerted != null) alerted.add(thresholdPct);
        } finally {
            dbLock.unlock();
        }
    }

    /** A threshold reached in one unit. */
    public record Crossing(int thresholdPct, BudgetUnit unit, long used, long limit) {}

    /** For tests and diagnostics: the current lease's id, or empty. */
    public synchronized OptionalLong currentLeaseId() {
        return current == null ? OptionalLong.empty() : OptionalLong.of(current.id);
    }

    @Override
    public synchronized String toString() {
        return "LeasePool[budget=" + budgetId + ", period=" + periodStart + ", current=" + current + ", retired=" + retired + "]";
    }
}
