package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.budget.LeaseLedger;
import dev.llmgateway.metering.internal.budget.LeasePool;
import dev.llmgateway.metering.internal.budget.PeriodTotals;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Admits requests against their team's (and key's) budgets: {@link #reserve} the worst case before dispatch,
 * {@link #settle} the actual spend after, or {@link #release} on cancellation. One per gateway process; thread-safe.
 *
 * <p>Budget is taken from PostgreSQL in leases (slices of the period's limit, granted by one atomic UPDATE), so the
 * hot path is local arithmetic; spend is reported in batches by a background flush, which also renews leases,
 * returns idle ones, expires leases of vanished replicas and fires alerts. See docs/budgets.md for the guarantees.
 *
 * <p>Routing reads a team's used share from a cached view ({@link #routingUsedBasisPoints}), never from the database:
 * the flush refreshes the view of the teams routing asked about, and this replica's settles add to it in between.
 */
public final class BudgetGuard implements AutoCloseable {
    private static final Logger LOG = System.getLogger(BudgetGuard.class.getName());

    private final String replicaId;
    private final Clock clock;
    private final LeaseSizing sizing;
    private final BudgetAlertListener listener;
    private final BudgetStore store;
    private final LeaseLedger ledger;
    private final ConcurrentHashMap<String, TeamBudgets> definitions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Budget> budgetsById = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<PoolKey, LeasePool> pools = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CurrentPool> currentPools = new ConcurrentHashMap<>();
    private final AtomicLong reservationIds = new AtomicLong();
    private final ScheduledExecutorService flusher;
    private final Object flushLock = new Object();
    private volatile boolean closed;
    private volatile boolean reconcileFromUsage;
    private Instant lateUsageCheckedAt = Instant.EPOCH;
    /** How long usage stored late is still added to a lease reconciled from usage (a replica restarted within it replays its journal). */
    static final java.time.Duration LATE_USAGE_HORIZON = java.time.Duration.ofHours(1);

    private record TeamBudgets(List<Budget> budgets, Instant loadedAt) {}

    private record PoolKey(long budgetId, Instant periodStart) {}

    private record CurrentPool(BudgetPeriod period, LeasePool pool) {}

    /**
     * The routing view of one team-wide budget period: its totals as last read plus what this replica settled since
     * (micro-USD rounded up per settle, like a lease's report), so the view moves with this replica's own traffic.
     */
    private record RoutingView(Budget budget, Instant periodStart, Optional<Instant> periodEnd, PeriodTotals totals,
                               long settledMicros, long settledTokens) {
        RoutingView plus(long micros, long tokens) {
            return new RoutingView(budget, periodStart, periodEnd, totals, Math.addExact(settledMicros, micros),
                    Math.addExact(settledTokens, tokens));
        }

        int usedBasisPoints() {
            BudgetDefinition d = budget.definition();
            int money = d.limitMicrosUsd().isEmpty() ? 0 : usage(BudgetUnit.MICROS_USD, d.limitMicrosUsd().getAsLong(),
                    totals.allocatedMicros(), Math.addExact(totals.usedMicros(), settledMicros)).usedBasisPoints();
            int tokens = d.limitTokens().isEmpty() ? 0 : usage(BudgetUnit.TOKENS, d.limitTokens().getAsLong(),
                    totals.allocatedTokens(), Math.addExact(totals.usedTokens(), settledTokens)).usedBasisPoints();
            return Math.max(money, tokens);
        }
    }

    /** Teams routing asked about (and when last); the flush refreshes their views. */
    private final ConcurrentHashMap<String, Instant> routingWatched = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, RoutingView> routingViews = new ConcurrentHashMap<>();
    /** A team routing has not asked about for this long leaves the view. */
    static final java.time.Duration ROUTING_WATCH_IDLE = java.time.Duration.ofMinutes(10);

    public BudgetGuard(DataSource db, String replicaId, Clock clock, LeaseSizing sizing) {
        this(db, replicaId, clock, sizing, BudgetAlertListener.NONE);
    }

    public BudgetGuard(DataSource db, String replicaId, Clock clock, LeaseSizing sizing, BudgetAlertListener listener) {
        this.replicaId = Objects.requireNonNull(replicaId, "replicaId");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sizing = Objects.requireNonNull(sizing, "sizing");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.store = new BudgetStore(db);
        this.ledger = new LeaseLedger(db);
        if (sizing.flushInterval().isZero()) {
            flusher = null;
        } else {
            flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "budget-flush-" + replicaId);
                t.setDaemon(true);
                return t;
            });
            long ms = sizing.flushInterval().toMillis();
            flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    public String replicaId() { return replicaId; }

    /**
     * Reconcile expired leases (of any replica) from stored usage at every flush, right after expiring them, and add
     * usage stored late to them for {@link #LATE_USAGE_HORIZON}. Only for replicas whose usage rows carry their
     * replica id ({@code usage_events.replica_id}, which the gateway sets); see docs/budgets.md.
     */
    public BudgetGuard reconcilingFromUsage() {
        reconcileFromUsage = true;
        return this;
    }

    /**
     * Reserves a request's worst case (micro-USD and tokens, e.g. prompt tokens + max_tokens priced at the output
     * rate) against the team-wide budget and the key's budget, if any. {@code keyId} may be null.
     */
    public Admission reserve(String teamId, String keyId, long worstCaseMicrosUsd, long worstCaseTokens) {
        return reserve(teamId, keyId, worstCaseMicrosUsd, worstCaseTokens, clock.instant());
    }

    /**
     * {@link #reserve(String, String, long, long)} counted in the budget period that contains {@code requestInstant}:
     * the one instant of the request that also dates its usage record and ledger transaction, so a request received
     * just before midnight lands in the same period everywhere (unless that period's lease is already over by then,
     * when it falls back to the current period).
     */
    public Admission reserve(String teamId, String keyId, long worstCaseMicrosUsd, long worstCaseTokens, Instant requestInstant) {
        if (worstCaseMicrosUsd < 0 || worstCaseTokens < 0) throw new IllegalArgumentException("worst case must not be negative");
        if (closed) throw new IllegalStateException("budget guard of replica " + replicaId + " is closed");
        Instant now = Objects.requireNonNull(requestInstant, "requestInstant");
        List<LeasePool.Hold> holds = new ArrayList<>(2);
        Admission.AdmittedOverSoftLimit soft = null;
        for (Budget budget : applicable(teamId, keyId, now)) {
            LeasePool pool;
            LeasePool.Outcome outcome;
            try {
                do {
                    pool = pool(budget, now);
                    outcome = pool.reserve(budget, worstCaseMicrosUsd, worstCaseTokens, now);
                    if (outcome instanceof LeasePool.Outcome.PeriodOver) now = clock.instant();
                } while (outcome instanceof LeasePool.Outcome.PeriodOver);
            } catch (RuntimeException e) {
                releaseHolds(holds, now);
                throw e;
            }
            switch (outcome) {
                case LeasePool.Outcome.Held h -> holds.add(h.hold());
                case LeasePool.Outcome.HeldOverSoftLimit h -> {
                    holds.add(h.hold());
                    if (soft == null) soft = new Admission.AdmittedOverSoftLimit(null, budget.id(), h.unit(), h.limit(), h.used(), pool.periodEnd);
                }
                case LeasePool.Outcome.PeriodOver p -> throw new IllegalStateException("unreachable");
                case LeasePool.Outcome.Refused r -> {
                    releaseHolds(holds, now);
                    return new Admission.Rejected(budget.id(), reason(budget, r, worstCaseMicrosUsd, worstCaseTokens), r.unit(),
                            r.limit(), r.used(), pool.periodEnd);
                }
            }
        }
        Reservation reservation = new Reservation(reservationIds.incrementAndGet(), teamId, Optional.ofNullable(keyId),
                worstCaseMicrosUsd, worstCaseTokens, this, holds);
        if (soft == null) return new Admission.Admitted(reservation);
        return new Admission.AdmittedOverSoftLimit(reservation, soft.budgetId(), soft.unit(), soft.limit(), soft.spentAndReserved(),
                soft.periodEnd());
    }

    /**
     * {@link #reserve(String, String, long, long, Instant)} for a request no budget applies to, decided from the cached
     * budget definitions alone (no lease, no database, never blocks): an {@link Admission.Admitted} holding nothing.
     * Null when a budget of the team or key applies, or when the team's definitions are not cached or due for a
     * refresh: then call {@code reserve}, which may block.
     */
    public Admission reserveIfUnbudgeted(String teamId, String keyId, long worstCaseMicrosUsd, long worstCaseTokens,
                                         Instant requestInstant) {
        if (worstCaseMicrosUsd < 0 || worstCaseTokens < 0) throw new IllegalArgumentException("worst case must not be negative");
        if (closed) throw new IllegalStateException("budget guard of replica " + replicaId + " is closed");
        TeamBudgets cached = definitions.get(teamId);
        if (cached == null || !requestInstant.isBefore(cached.loadedAt().plus(sizing.definitionRefresh()))) return null;
        for (Budget b : cached.budgets()) {
            Optional<String> k = b.definition().keyId();
            if (k.isEmpty() || k.get().equals(keyId)) return null;
        }
        return new Admission.Admitted(new Reservation(reservationIds.incrementAndGet(), teamId, Optional.ofNullable(keyId),
                worstCaseMicrosUsd, worstCaseTokens, this, List.of()));
    }

    /**
     * Settles a reservation with what the request actually cost. Less than reserved returns the rest to this
     * replica's lease; more (a provider ignored max_tokens) is recorded in full. Returns false, changing nothing,
     * if the reservation was already settled or released.
     */
    public boolean settle(Reservation reservation, long actualMicrosUsd, long actualTokens) {
        return settle(reservation, MicroUsd.ofMicros(actualMicrosUsd), actualTokens);
    }

    /**
     * {@link #settle(Reservation, long, long)} with the exact charge: each lease sums its requests' exact charges and
     * counts that sum rounded up once (never one rounding per request), so a hard limit is still never overspent.
     */
    public boolean settle(Reservation reservation, MicroUsd actualMicrosUsd, long actualTokens) {
        if (actualMicrosUsd.signum() < 0 || actualTokens < 0) throw new IllegalArgumentException("actual spend must not be negative");
        checkOwn(reservation);
        if (!reservation.finish(Reservation.SETTLED)) return false;
        Instant now = clock.instant();
        for (LeasePool.Hold h : reservation.holds) h.pool().settle(h, actualMicrosUsd, actualTokens, now);
        noteSettleForRouting(reservation, actualMicrosUsd.ceilMicros(), actualTokens);
        return true;
    }

    /** Releases a cancelled reservation in full; false, changing nothing, if it was already settled or released. */
    public boolean release(Reservation reservation) {
        checkOwn(reservation);
        if (!reservation.finish(Reservation.RELEASED)) return false;
        releaseHolds(reservation.holds, clock.instant());
        return true;
    }

    private void checkOwn(Reservation reservation) {
        if (reservation.guard != this) throw new IllegalArgumentException(reservation + " belongs to another budget guard");
    }

    private static void releaseHolds(List<LeasePool.Hold> holds, Instant now) {
        for (LeasePool.Hold h : holds) h.pool().settle(h, MicroUsd.ZERO, 0, now);
    }

    /**
     * The team-wide budget's used share (spent + reserved, as {@link BudgetStatus#usedBasisPoints()}) for routing, from
     * the cached view: no database read, no flush. Empty until the view holds the team (the first call asks for it:
     * the next flush, at most {@link LeaseSizing#flushInterval()} later, reads it, or this replica's first settle
     * fills it) and for a team without a team-wide budget. Between flushes this replica's own settles are added;
     * other replicas' spend shows after the next flush.
     */
    public java.util.OptionalInt routingUsedBasisPoints(String teamId) {
        Instant now = clock.instant();
        Instant asked = routingWatched.get(teamId);
        if (asked == null || now.isAfter(asked.plusSeconds(1))) routingWatched.put(teamId, now);
        RoutingView v = routingViews.get(teamId);
        if (v == null) return java.util.OptionalInt.empty();
        if (v.periodEnd().isPresent() && !now.isBefore(v.periodEnd().get())) return java.util.OptionalInt.of(0); // a new period
        return java.util.OptionalInt.of(v.usedBasisPoints());
    }

    private void noteSettleForRouting(Reservation reservation, long micros, long tokens) {
        if (!routingWatched.containsKey(reservation.teamId())) return;
        for (LeasePool.Hold h : reservation.holds) {
            Budget b = budgetsById.get(h.pool().budgetId);
            if (b == null || b.definition().keyId().isPresent()) continue;
            routingViews.compute(reservation.teamId(), (team, v) -> {
                if (v != null && v.budget().id() == b.id() && v.periodStart().equals(h.pool().periodStart)) return v.plus(micros, tokens);
                // Not in the view yet (or a new period): start from what the pool read at its last grant.
                return h.pool().lastKnown().map(t -> new RoutingView(b, h.pool().periodStart, h.pool().periodEnd, t, micros, tokens))
                        .orElse(v);
            });
        }
    }

    /** Settled amounts in the views now: settles after this count on top of totals read after it. */
    private java.util.Map<String, long[]> routingSettledSnapshot() {
        java.util.Map<String, long[]> out = new java.util.HashMap<>();
        routingViews.forEach((team, v) -> out.put(team, new long[] {v.budget().id(), v.settledMicros(), v.settledTokens()}));
        return out;
    }

    /**
     * Re-reads the views of the watched teams (after the pools' spend was reported, so totals include every settle
     * before {@code before} was taken; settles since stay counted on top, for a moment possibly twice: never missed).
     */
    private void refreshRoutingViews(Instant now, java.util.Map<String, long[]> before) {
        routingWatched.entrySet().removeIf(e -> e.getValue().isBefore(now.minus(ROUTING_WATCH_IDLE)));
        routingViews.keySet().retainAll(routingWatched.keySet());
        for (String team : routingWatched.keySet()) {
            Budget b = null;
            for (Budget x : definitionsOf(team, now).budgets()) {
                if (x.definition().keyId().isEmpty()) {
                    b = x;
                    break;
                }
            }
            if (b == null) {
                routingViews.remove(team);
                continue;
            }
            BudgetDefinition d = b.definition();
            Instant start = d.period().start(now);
            PeriodTotals t = ledger.totals(b.id(), start).orElse(PeriodTotals.empty(d.limitMicrosUsd(), d.limitTokens()));
            Budget budget = b;
            long[] was = before.get(team);
            routingViews.compute(team, (k, cur) -> {
                long m = 0, tk = 0;
                if (cur != null && cur.budget().id() == budget.id() && cur.periodStart().equals(start)) {
                    boolean sameAsBefore = was != null && was[0] == budget.id();
                    m = Math.max(0, cur.settledMicros() - (sameAsBefore ? was[1] : 0));
                    tk = Math.max(0, cur.settledTokens() - (sameAsBefore ? was[2] : 0));
                }
                return new RoutingView(budget, start, d.period().end(start), t, m, tk);
            });
        }
    }

    /** The team's budget definitions, cached for {@link LeaseSizing#definitionRefresh()}. */
    private TeamBudgets definitionsOf(String teamId, Instant now) {
        TeamBudgets cached = definitions.get(teamId);
        return cached != null && now.isBefore(cached.loadedAt().plus(sizing.definitionRefresh())) ? cached : reload(teamId, now);
    }

    /** The team-wide budget's standing in its current period (this replica's unreported spend is flushed first). */
    public Optional<BudgetStatus> status(String teamId) {
        return statuses(teamId).stream().filter(s -> s.budget().definition().keyId().isEmpty()).findFirst();
    }

    /** Every budget of the team (team-wide first, then per key) in its current period. */
    public List<BudgetStatus> statuses(String teamId) {
        Instant now = clock.instant();
        flush(now, false, teamId);
        List<BudgetStatus> out = new ArrayList<>();
        for (Budget b : reload(teamId, now).budgets()) {
            BudgetDefinition d = b.definition();
            Instant start = d.period().start(now);
            PeriodTotals t = ledger.totals(b.id(), start).orElse(PeriodTotals.empty(d.limitMicrosUsd(), d.limitTokens()));
            Optional<BudgetUsage> money = d.limitMicrosUsd().isEmpty() ? Optional.empty() : Optional.of(usage(BudgetUnit.MICROS_USD,
                    d.limitMicrosUsd().getAsLong(), t.allocatedMicros(), t.usedMicros()));
            Optional<BudgetUsage> tokens = d.limitTokens().isEmpty() ? Optional.empty() : Optional.of(usage(BudgetUnit.TOKENS,
                    d.limitTokens().getAsLong(), t.allocatedTokens(), t.usedTokens()));
            out.add(new BudgetStatus(b, start, d.period().end(start), money, tokens));
        }
        return out;
    }

    private static BudgetUsage usage(BudgetUnit unit, long limit, long allocated, long used) {
        long reserved = Math.max(0, Math.subtractExact(allocated, used));
        long remaining = Math.max(0, Math.subtractExact(limit, Math.addExact(used, reserved)));
        return new BudgetUsage(unit, limit, used, reserved, remaining, Math.max(0, Math.subtractExact(used, limit)));
    }

    /** Forgets cached definitions of a team, e.g. right after the admin API changed its budget on this replica. */
    public void invalidate(String teamId) {
        definitions.remove(teamId);
    }

    /**
     * Reports spend, renews or returns leases, expires lapsed leases of any replica, refreshes the routing view and
     * fires alerts. Runs every {@link LeaseSizing#flushInterval()} in the background; call it directly when the
     * interval is zero.
     */
    public void flush() {
        flush(clock.instant(), false, null);
    }

    /** Flushes and returns every lease (requests still in flight keep only their reservations). Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (flusher != null) {
            flusher.shutdown();
            try {
                flusher.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        flush(clock.instant(), true, null);
    }

    private void flushQuietly() {
        try {
            flush(clock.instant(), false, null);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "budget flush of replica %s failed; retrying in %s".formatted(replicaId, sizing.flushInterval()), e);
        }
    }

    private void flush(Instant now, boolean closing, String onlyTeam) {
        RuntimeException failure = null;
        java.util.Map<String, long[]> routingBefore = onlyTeam == null ? routingSettledSnapshot() : null;
        synchronized (flushLock) {
            for (var entry : pools.entrySet()) {
                LeasePool pool = entry.getValue();
                Budget budget = budgetsById.get(pool.budgetId);
                if (onlyTeam != null && (budget == null || !budget.teamId().equals(onlyTeam))) continue;
                try {
                    pool.flush(now, closing);
                    if (budget != null) {
                        // Recorded first, marked after: a failed insert leaves the crossing to the next flush.
                        for (LeasePool.Crossing c : pool.newCrossings(budget.definition())) {
                            ledger.recordAlert(pool.budgetId, pool.periodStart, c.thresholdPct(), c.unit(), c.used(), c.limit(), replicaId, now);
                            pool.recorded(c.thresholdPct());
                        }
                    }
                    if (pool.finish(now)) {
                        pools.remove(entry.getKey(), pool);
                        currentPools.computeIfPresent(pool.budgetId, (id, cur) -> cur.pool() == pool ? null : cur);
                    }
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                    else failure.addSuppressed(e);
                }
            }
            if (onlyTeam == null) {
                try {
                    List<Long> expired = ledger.expireLapsedLeases(now);
                    if (!expired.isEmpty()) LOG.log(Level.WARNING, "expired budget leases %s (not renewed in time; their unreported part counts as spent)".formatted(expired));
                    if (reconcileFromUsage) {
                        for (LeaseLedger.Reconciled r : ledger.reconcileFromUsage(now))
                            LOG.log(Level.WARNING, ("reconciled expired budget lease %d of replica %s from its stored usage: granted %d "
                                    + "micro-USD / %d tokens, spent %d / %d; the rest returned to the budget").formatted(r.leaseId(),
                                    r.replicaId(), r.grantedMicros(), r.grantedTokens(), r.spentMicros(), r.spentTokens()));
                        if (!now.isBefore(lateUsageCheckedAt.plusSeconds(10))) {
                            lateUsageCheckedAt = now;
                            int grew = ledger.addLateUsage(now, LATE_USAGE_HORIZON);
                            if (grew > 0) LOG.log(Level.INFO, "added usage stored late to %d reconciled budget lease(s)".formatted(grew));
                        }
                    }
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                    else failure.addSuppressed(e);
                }
            }
        }
        if (routingBefore != null && !closing) {
            try {
                refreshRoutingViews(now, routingBefore);
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        try {
            deliverAlerts(now);
        } catch (RuntimeException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        if (failure != null) throw failure;
    }

    /** Delivery attempts of one alert before it is given up (the record stays, with its last error). */
    public static final int ALERT_ATTEMPTS_MAX = 10;
    /** How long one delivery may take before it counts as failed. */
    private static final java.time.Duration ALERT_DELIVERY_TIMEOUT = java.time.Duration.ofSeconds(10);
    /** Alerts left undelivered this long by their replica (gone) are taken over by another. */
    private static final java.time.Duration ALERT_ORPHANED_AFTER = java.time.Duration.ofMinutes(5);

    /** Delivers recorded, undelivered alerts of this replica (and orphaned ones); each outcome is recorded. */
    private void deliverAlerts(Instant now) {
        for (LeaseLedger.PendingAlert p : ledger.undeliveredAlerts(replicaId, now.minus(ALERT_ORPHANED_AFTER))) {
            String error;
            try {
                listener.deliver(p.alert()).toCompletableFuture().get(ALERT_DELIVERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                ledger.alertDelivered(p.id(), clock.instant());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                error = String.valueOf(e.getCause() == null ? e : e.getCause().getMessage());
            } catch (java.util.concurrent.TimeoutException e) {
                error = "delivery timed out after " + ALERT_DELIVERY_TIMEOUT;
            } catch (RuntimeException e) {
                error = String.valueOf(e.getMessage());
            }
            boolean giveUp = p.attempts() + 1 >= ALERT_ATTEMPTS_MAX;
            ledger.alertFailed(p.id(), error, giveUp, clock.instant());
            if (giveUp) LOG.log(Level.ERROR, "budget alert %d (budget %d at %d%%) given up after %d attempts: %s".formatted(p.id(),
                    p.alert().budgetId(), p.alert().thresholdPct(), ALERT_ATTEMPTS_MAX, error));
            else LOG.log(Level.WARNING, "budget alert %d delivery failed (attempt %d), retrying: %s".formatted(p.id(), p.attempts() + 1, error));
        }
    }

    private List<Budget> applicable(String teamId, String keyId, Instant now) {
        TeamBudgets cached = definitions.get(teamId);
        if (cached == null || !now.isBefore(cached.loadedAt().plus(sizing.definitionRefresh()))) {
            try {
                cached = reload(teamId, now);
            } catch (StoreException e) {
                // The database is unreachable: keep enforcing the definitions we know (a team never seen cannot be
                // admitted safely, so the error goes to the caller). Leases already held keep serving meanwhile.
                if (cached == null) throw e;
                LOG.log(Level.DEBUG, "budget definitions of team %s not refreshed (%s); using the cached ones".formatted(teamId, e.getMessage()));
            }
        }
        List<Budget> all = cached.budgets();
        if (all.isEmpty()) return all;
        List<Budget> out = new ArrayList<>(2);
        for (Budget b : all) {
            Optional<String> k = b.definition().keyId();
            if (k.isEmpty() || k.get().equals(keyId)) out.add(b);
        }
        return out;
    }

    private TeamBudgets reload(String teamId, Instant now) {
        TeamBudgets fresh = new TeamBudgets(List.copyOf(store.budgetsOf(teamId)), now);
        for (Budget b : fresh.budgets()) budgetsById.put(b.id(), b);
        definitions.put(teamId, fresh);
        return fresh;
    }

    private LeasePool pool(Budget budget, Instant now) {
        BudgetPeriod period = budget.definition().period();
        CurrentPool cur = currentPools.get(budget.id());
        if (cur != null && cur.period() == period && cur.pool().covers(now)) return cur.pool();
        Instant start = period.start(now);
        LeasePool pool = pools.computeIfAbsent(new PoolKey(budget.id(), start),
                k -> new LeasePool(budget.id(), start, period.end(start), ledger, replicaId, sizing, now));
        currentPools.put(budget.id(), new CurrentPool(period, pool));
        return pool;
    }

    private static String reason(Budget budget, LeasePool.Outcome.Refused r, long worstMicros, long worstTokens) {
        BudgetDefinition d = budget.definition();
        String scope = d.keyId().map(k -> "key " + k + " of team " + d.teamId()).orElse("team " + d.teamId());
        return switch (r.unit()) {
            case MICROS_USD -> "budget exceeded: " + scope + " has a " + d.period().wire() + " budget of "
                    + Money.formatUsd(r.limit()) + " USD, " + Money.formatUsd(r.used())
                    + " USD is spent or reserved and this request may cost up to " + Money.formatUsd(worstMicros) + " USD";
            case TOKENS -> "budget exceeded: " + scope + " has a " + d.period().wire() + " budget of " + r.limit()
                    + " tokens, " + r.used() + " are spent or reserved and this request may use up to " + worstTokens;
        };
    }
}
