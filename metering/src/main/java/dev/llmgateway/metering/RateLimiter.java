package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.rate.InMemoryRateLedger;
import dev.llmgateway.metering.internal.rate.PostgresRateLedger;
import dev.llmgateway.metering.internal.rate.RateBucket;
import dev.llmgateway.metering.internal.rate.RateLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * Requests-per-minute and tokens-per-minute limits per key, per team and per route. The guarantee (docs/budgets.md): in any
 * 60-second window, the units admitted never exceed the limit, plus actual tokens above their estimates (which are
 * always charged). A request whose token estimate alone exceeds the limit is refused ({@link RateDecision.Oversized}).
 *
 * <p>Each limit is counted in a ledger of grants: {@link #shared} keeps it in PostgreSQL, so the limit holds across
 * every replica; the other constructors keep it in this process. A replica takes grants (slices of the limit, see
 * {@link RateLeasing}) and admits requests against them in memory, so most requests touch no database.
 * {@link #tryAcquire} may therefore block on the database: call it off the event loop. Thread-safe.
 */
public final class RateLimiter {
    private final RateLedger ledger;
    private final String replicaId;
    private final LongSupplier nanoTime;
    private final RateLeasing leasing;
    private final ConcurrentHashMap<String, Buckets> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Buckets> teams = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Buckets> routes = new ConcurrentHashMap<>();
    private volatile long lastPruneNanos;

    private record Buckets(RateLimits limits, RateBucket requests, RateBucket tokens) {
        void close() {
            if (requests != null) requests.closeCurrent();
            if (tokens != null) tokens.closeCurrent();
        }
    }

    /** What one request took from one bucket. */
    record Take(RateBucket bucket, RateBucket.Lease lease, long units, boolean tokens) {}

    /** In-process limits (one replica, or tests). */
    public RateLimiter() { this(System::nanoTime); }

    /** In-process limits with an injected monotonic nanosecond clock (tests). */
    public RateLimiter(LongSupplier nanoTime) { this(nanoTime, RateLeasing.defaults()); }

    public RateLimiter(LongSupplier nanoTime, RateLeasing leasing) {
        this(new InMemoryRateLedger(nanoTime), "local", nanoTime, leasing);
    }

    /** Over any ledger (tests share one in-memory ledger between several limiters, as replicas share PostgreSQL). */
    RateLimiter(RateLedger ledger, String replicaId, LongSupplier nanoTime, RateLeasing leasing) {
        this.ledger = Objects.requireNonNull(ledger);
        this.replicaId = Objects.requireNonNull(replicaId);
        this.nanoTime = Objects.requireNonNull(nanoTime);
        this.leasing = Objects.requireNonNull(leasing);
        this.lastPruneNanos = nanoTime.getAsLong();
    }

    /** Limits shared by every replica on this PostgreSQL; {@code replicaId} names this one in the grants. */
    public static RateLimiter shared(DataSource db, String replicaId, RateLeasing leasing) {
        return new RateLimiter(new PostgresRateLedger(db), replicaId, System::nanoTime, leasing);
    }

    /** Sets (or with {@link RateLimits#NONE}, removes) a key's limits; unchanged limits keep their grants. */
    public void limitKey(String keyId, RateLimits limits) { configure(keys, "key", keyId, limits); }

    public void limitTeam(String teamId, RateLimits limits) { configure(teams, "team", teamId, limits); }

    /** A route's limits (every team's requests to it together), e.g. to protect a small self-hosted deployment. */
    public void limitRoute(String route, RateLimits limits) { configure(routes, "route", route, limits); }

    /** The routes that have limits now. */
    public java.util.Set<String> limitedRoutes() { return java.util.Set.copyOf(routes.keySet()); }

    private void configure(ConcurrentHashMap<String, Buckets> map, String type, String id, RateLimits limits) {
        Buckets old;
        if (limits.equals(RateLimits.NONE)) {
            old = map.remove(id);
        } else {
            Buckets[] replaced = new Buckets[1];
            map.compute(id, (k, cur) -> {
                if (cur != null && cur.limits().equals(limits)) return cur;
                replaced[0] = cur;
                return new Buckets(limits,
                        limits.requestsPerMinute().isPresent() ? bucket(type, id, "requests", limits.requestsPerMinute().getAsLong()) : null,
                        limits.tokensPerMinute().isPresent() ? bucket(type, id, "tokens", limits.tokensPerMinute().getAsLong()) : null);
            });
            old = replaced[0];
        }
        if (old != null) old.close(); // its unused grants count no more
    }

    private RateBucket bucket(String type, String id, String kind, long perMinute) {
        return new RateBucket(new RateLedger.BucketId(type, id, kind), perMinute, ledger, replicaId, leasing);
    }

    /**
     * True when no limit is configured for the key, the team or the route ({@code keyId} and {@code route} may be
     * null): {@link #tryAcquire} then allows at once, from memory, without touching the database.
     */
    public boolean unlimited(String teamId, String keyId, String route) {
        return (keyId == null || !keys.containsKey(keyId)) && !teams.containsKey(teamId) && (route == null || !routes.containsKey(route));
    }

    /**
     * Takes one request and {@code estimatedTokens} (an upper bound: prompt + max_tokens) from the key's and the
     * team's limits, all or nothing. {@code keyId} may be null. May block on the database.
     */
    public RateDecision tryAcquire(String teamId, String keyId, long estimatedTokens) {
        return tryAcquire(teamId, keyId, null, estimatedTokens);
    }

    /**
     * Takes one request and {@code estimatedTokens} from the key's, the team's and the route's limits, all or nothing.
     * {@code keyId} and {@code route} may be null. May block on the database.
     */
    public RateDecision tryAcquire(String teamId, String keyId, String route, long estimatedTokens) {
        if (estimatedTokens < 0) throw new IllegalArgumentException("estimatedTokens must not be negative");
        Buckets key = keyId == null ? null : keys.get(keyId);
        Buckets team = teams.get(teamId);
        Buckets byRoute = route == null ? null : routes.get(route);
        RateBucket[] buckets = {key == null ? null : key.requests(), key == null ? null : key.tokens(),
                team == null ? null : team.requests(), team == null ? null : team.tokens(),
                byRoute == null ? null : byRoute.requests(), byRoute == null ? null : byRoute.tokens()};
        RateDecision.Scope[] scopes = {RateDecision.Scope.KEY, RateDecision.Scope.TEAM, RateDecision.Scope.ROUTE};
        String[] subjects = {keyId, teamId, route};
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] != null && i % 2 == 1 && estimatedTokens > buckets[i].perMinute)
                return new RateDecision.Oversized(scopes[i / 2], subjects[i / 2], buckets[i].perMinute, estimatedTokens);
        }
        List<Take> takes = new ArrayList<>(buckets.length);
        long now = nanoTime.getAsLong();
        try {
            for (int i = 0; i < buckets.length; i++) {
                if (buckets[i] == null) continue;
                boolean tokens = i % 2 == 1;
                long units = tokens ? estimatedTokens : 1;
                switch (buckets[i].take(units, now)) {
                    case RateBucket.Take.Took t -> takes.add(new Take(buckets[i], t.lease(), t.units(), tokens));
                    case RateBucket.Take.Wait w -> {
                        giveBack(takes);
                        return new RateDecision.Limited(scopes[i / 2], subjects[i / 2],
                                tokens ? RateDecision.Kind.TOKENS_PER_MINUTE : RateDecision.Kind.REQUESTS_PER_MINUTE,
                                buckets[i].perMinute, Duration.ofNanos(w.retryAfterNanos()));
                    }
                }
            }
        } catch (RuntimeException e) {
            giveBack(takes);
            throw e;
        }
        return new RateDecision.Allowed(new RatePermit(estimatedTokens, List.copyOf(takes)));
    }

    private static void giveBack(List<Take> takes) {
        for (Take t : takes) {
            t.bucket().giveBack(t.lease(), t.units());
        }
    }

    /**
     * Charges the actual token count of an admitted request: an over-estimate goes back to the grant it came from
     * while that is still being spent; tokens above the estimate are always counted. A request that never ran
     * settles with 0. Idempotent per permit. May block on the database.
     */
    public void settle(RatePermit permit, long actualTokens) {
        if (actualTokens < 0) throw new IllegalArgumentException("actualTokens must not be negative");
        if (!permit.settleOnce()) return;
        long delta = actualTokens - permit.estimatedTokens;
        long now = nanoTime.getAsLong();
        for (Take t : permit.takes) {
            if (!t.tokens()) continue;
            if (delta < 0) t.bucket().giveBack(t.lease(), -delta);
            else if (delta > 0) t.bucket().charge(delta, now);
        }
    }

    /** Returns unused grants past their validity and forgets old ones; run every second or so. May block. */
    public void flush() {
        long now = nanoTime.getAsLong();
        RuntimeException failure = null;
        for (var map : List.of(keys, teams, routes)) {
            for (Buckets b : map.values()) {
                for (RateBucket bucket : new RateBucket[] {b.requests(), b.tokens()}) {
                    if (bucket == null) continue;
                    try {
                        bucket.closeIfExpired(now);
                        bucket.flushReturns();
                    } catch (RuntimeException e) {
                        if (failure == null) failure = e;
                    }
                }
            }
        }
        if (now - lastPruneNanos >= 30_000_000_000L) { // rows only need to go eventually
            ledger.prune(leasing.grantValidity());
            lastPruneNanos = now;
        }
        if (failure != null) throw failure;
    }

    /** Returns every unused grant (shutdown). */
    public void close() {
        for (var map : List.of(keys, teams, routes)) for (Buckets b : map.values()) b.close();
    }
}
