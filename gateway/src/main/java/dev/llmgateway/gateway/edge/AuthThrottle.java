package dev.llmgateway.gateway.edge;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Counts failed authentications per client address and scope ({@code api}, {@code admin}) in fixed windows. Once an
 * address has failed {@code limit} times in a window, it is blocked until the window ends; callers answer 429 with
 * {@code Retry-After} instead of checking (and looking up) another guessed key.
 */
public final class AuthThrottle {
    private final int limit;
    private final long windowNanos;
    private final LongSupplier nanos;
    private final Cache<String, Counter> counters;

    public AuthThrottle(int limit, Duration window) { this(limit, window, System::nanoTime); }

    AuthThrottle(int limit, Duration window, LongSupplier nanos) {
        if (limit < 1) throw new IllegalArgumentException("limit must be at least 1");
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.nanos = nanos;
        this.counters = Caffeine.newBuilder().maximumSize(200_000).expireAfterAccess(window.multipliedBy(2)).build();
    }

    /** How long the address must still wait, if it is blocked now. */
    public Optional<Duration> blocked(String address) {
        Counter c = counters.getIfPresent(address);
        return c == null ? Optional.empty() : c.blocked(nanos.getAsLong());
    }

    /** Records one failed attempt. */
    public void failed(String address) { counters.get(address, a -> new Counter()).fail(nanos.getAsLong()); }

    public int limit() { return limit; }

    public Duration window() { return Duration.ofNanos(windowNanos); }

    private final class Counter {
        private long windowStart = Long.MIN_VALUE;
        private int failures;

        synchronized void fail(long now) {
            if (windowStart == Long.MIN_VALUE || now - windowStart >= windowNanos) {
                windowStart = now;
                failures = 0;
            }
            failures++;
        }

        synchronized Optional<Duration> blocked(long now) {
            if (windowStart == Long.MIN_VALUE || failures < limit || now - windowStart >= windowNanos) return Optional.empty();
            return Optional.of(Duration.ofNanos(windowStart + windowNanos - now));
        }
    }
}
