package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.metering.RateLimitStore;
import dev.llmgateway.metering.RateLimiter;
import dev.llmgateway.metering.RateLimits;
import java.util.Set;

/**
 * Loads the configured rate limits into this process's limiter: team and key limits from PostgreSQL (set through the
 * admin API), route limits from gateway.yaml ({@code routes.<name>.limits}); limits removed since are lifted.
 */
public final class RateLimitSync {
    private final RateLimitStore store;
    private final RateLimiter limiter;
    private Set<String> limitedTeams = Set.of();
    private Set<String> limitedKeys = Set.of();

    RateLimitSync(RateLimitStore store, RateLimiter limiter) {
        this.store = store;
        this.limiter = limiter;
    }

    /** Loads the limits now (it also runs every 10 s, for limits changed through other replicas). */
    public synchronized void reload() {
        var teams = store.all(RateLimitStore.Subject.TEAM);
        var keys = store.all(RateLimitStore.Subject.KEY);
        limitedTeams.stream().filter(t -> !teams.containsKey(t)).forEach(t -> limiter.limitTeam(t, RateLimits.NONE));
        limitedKeys.stream().filter(k -> !keys.containsKey(k)).forEach(k -> limiter.limitKey(k, RateLimits.NONE));
        teams.forEach(limiter::limitTeam);
        keys.forEach(limiter::limitKey);
        limitedTeams = Set.copyOf(teams.keySet());
        limitedKeys = Set.copyOf(keys.keySet());
    }

    /** Applies the route limits of a configuration (at start and on every reload); a route without limits, or removed, has none. */
    public synchronized void applyRouteLimits(GatewayConfig config) {
        for (String route : limiter.limitedRoutes()) {
            if (!config.routeLimits().containsKey(route)) limiter.limitRoute(route, RateLimits.NONE);
        }
        config.routeLimits().forEach(limiter::limitRoute);
    }
}
