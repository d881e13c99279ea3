package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.budget.TokenBucket;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Requests-per-minute and tokens-per-minute limits per key and per team, as token buckets (a full minute's
 * allowance may be used in a burst, then it refills continuously). In-process: each gateway replica enforces the
 * limits on its own traffic, so N replicas behind a balancer admit up to N times the limit in total.
 * Thread-safe; each bucket has its own lock, so different keys never contend.
 */
public final class RateLimiter {
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Buckets> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Buckets> teams = new ConcurrentHashMap<>();

    private record Buckets(RateLimits limits, TokenBucket requests, TokenBucket tokens) {}

    public RateLimiter() { this(System::nanoTime); }

    /** With an injected monotonic nanosecond clock (tests). */
    public RateLimiter(LongSupplier nanoTime) { this.nanoTime = Objects.requireNonNull(nanoTime); }

    /** Sets (or with {@link RateLimits#NONE}, removes) a key's limits; unchanged limits keep their buckets' state. */
    public void limitKey(String keyId, RateLimits limits) { configure(keys, keyId, limits); }

    public void limitTeam(String teamId, RateLimits limits) { configure(teams, teamId, limits); }

    private void configure(ConcurrentHashMap<String, Buckets> map, String id, RateLimits limits) {
        if (limits.equals(RateLimits.NONE)) {
            map.remove(id);
            return;
        }
        long now = nanoTime.getAsLong();
        map.compute(id, (k, old) -> old != null && old.limits().equals(limits) ? old : new Buckets(limits,
                limits.requestsPerMinute().isPresent() ? new TokenBucket(limits.requestsPerMinute().getAsLong(), now) : null,
                limits.tokensPerMinute().isPresent() ? new TokenBucket(limits.tokensPerMinute().getAsLong(), now) : null));
    }

    /**
     * Takes one request and {@code estimatedTokens} (prompt + max_tokens) from the key's and the team's buckets, all
     * or nothing; correct the estimate later with {@link #adjustTokens}. {@code keyId} may be null.
     */
    public RateDecision tryAcquire(String teamId, String keyId, long estimatedTokens) {
        if (estimatedTokens < 0) throw new IllegalArgumentException("estimatedTokens must not be negative");
        long now = nanoTime.getAsLong();
        Buckets key = keyId == null ? null : keys.get(keyId);
        Buckets team = teams.get(teamId);
        TokenBucket[] buckets = {key == null ? null : key.requests(), key == null ? null : key.tokens(),
                team == null ? null : team.requests(), team == null ? null : team.tokens()};
        long[] costs = {1, estimatedTokens, 1, estimatedTokens};
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] == null) continue;
            long waitNanos = buckets[i].tryTake(costs[i], now);
            if (waitNanos > 0) {
                for (int j = 0; j < i; j++) if (buckets[j] != null) buckets[j].giveBack(costs[j]);
                RateDecision.Scope scope = i < 2 ? RateDecision.Scope.KEY : RateDecision.Scope.TEAM;
                RateDecision.Kind kind = i % 2 == 0 ? RateDecision.Kind.REQUESTS_PER_MINUTE : RateDecision.Kind.TOKENS_PER_MINUTE;
                return new RateDecision.Limited(scope, i < 2 ? keyId : teamId, kind, buckets[i].perMinute(), Duration.ofNanos(waitNanos));
            }
        }
        return RateDecision.ALLOWED;
    }

    /**
     * Corrects the token buckets once the actual usage is known: a positive delta takes more (the buckets may go
     * into debt, delaying later requests), a negative one gives back what was over-estimated.
     */
    public void adjustTokens(String teamId, String keyId, long deltaTokens) {
        Buckets key = keyId == null ? null : keys.get(keyId);
        Buckets team = teams.get(teamId);
        long now = nanoTime.getAsLong();
        for (Buckets b : new Buckets[] {key, team}) {
            if (b == null || b.tokens() == null) continue;
            if (deltaTokens >= 0) b.tokens().takeInDebt(deltaTokens, now);
            else b.tokens().giveBack(-deltaTokens);
        }
    }
}
