package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A provider's API keys: requests are spread over them in turn, and a key the upstream answered 429 for cools down
 * (for its {@code Retry-After}, else {@link #DEFAULT_COOLDOWN}) while the others carry the load. Keys are secrets:
 * logs and messages name a key by its position ({@code key #2}) only.
 */
public final class ApiKeys {
    /** How long a key rests after a 429 that carried no Retry-After. */
    public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(30);
    /** A Retry-After beyond this is capped, so that a confused upstream cannot park a key for hours. */
    public static final Duration MAX_COOLDOWN = Duration.ofMinutes(10);
    private static final Logger LOG = Logger.getLogger(ApiKeys.class);

    private final String provider;
    private final List<String> keys;
    private final AtomicInteger next = new AtomicInteger();
    /** Per key: the clock reading (ms) until which it rests; 0 when usable. */
    private final AtomicLongArray coolUntilMs;
    private final LongSupplier clockMs;

    public ApiKeys(String provider, List<String> keys) { this(provider, keys, System::currentTimeMillis); }

    ApiKeys(String provider, List<String> keys, LongSupplier clockMs) {
        this.provider = provider;
        this.keys = List.copyOf(keys);
        this.coolUntilMs = new AtomicLongArray(Math.max(1, keys.size()));
        this.clockMs = clockMs;
    }

    /** One key picked for one request; {@code secret} is empty when the provider has no key. */
    public record Key(int index, Optional<String> secret) {
        @Override
        public String toString() { return "key #" + (index + 1); }
    }

    public int size() { return keys.size(); }

    /**
     * The next key in turn that is not cooling down; when every key rests, the one whose rest ends first (the upstream
     * then decides, and its answer reaches the client as usual).
     */
    public Key pick() {
        if (keys.isEmpty()) return new Key(0, Optional.empty());
        int n = keys.size();
        int start = Math.floorMod(next.getAndIncrement(), n);
        long now = clockMs.getAsLong();
        int soonest = start;
        for (int i = 0; i < n; i++) {
            int k = (start + i) % n;
            long until = coolUntilMs.get(k);
            if (until <= now) {
                // Continue the turn after the key taken, so the keys next to a resting one share its load evenly.
                if (i > 0) next.set(k + 1);
                return new Key(k, Optional.of(keys.get(k)));
            }
            if (until < coolUntilMs.get(soonest)) soonest = k;
        }
        return new Key(soonest, Optional.of(keys.get(soonest)));
    }

    /** Whether the key may be used now. */
    public boolean available(int index) { return coolUntilMs.get(index) <= clockMs.getAsLong(); }

    /** Rests a key after a 429. */
    public void coolDown(Key key, Optional<Duration> retryAfter) {
        if (keys.isEmpty()) return;
        Duration d = retryAfter.orElse(DEFAULT_COOLDOWN);
        if (d.compareTo(MAX_COOLDOWN) > 0) d = MAX_COOLDOWN;
        long until = clockMs.getAsLong() + d.toMillis();
        coolUntilMs.accumulateAndGet(key.index(), until, Math::max);
        if (keys.size() > 1) LOG.infof("provider '%s': %s rate-limited, resting it for %d ms", provider, key, d.toMillis());
    }

    /**
     * Sends with a key; when the upstream answers 429 the key cools down and, if another key is usable now, the same
     * request goes out again at once with that key (each key at most once per call). Other failures pass through.
     */
    public <T> Future<T> send(Function<Key, Future<T>> attempt) {
        return send(attempt, 0);
    }

    private <T> Future<T> send(Function<Key, Future<T>> attempt, int tried) {
        Key key = pick();
        return attempt.apply(key).recover(e -> {
            if (e instanceof GatewayError.Failure f && f.error() instanceof GatewayError.UpstreamFailed u && u.status() == 429) {
                coolDown(key, u.retryAfter());
                if (tried + 1 < keys.size() && anyAvailable()) return send(attempt, tried + 1);
            }
            return Future.failedFuture(e);
        });
    }

    private boolean anyAvailable() {
        for (int i = 0; i < keys.size(); i++) if (available(i)) return true;
        return false;
    }

    @Override
    public String toString() { return "ApiKeys[" + provider + ", " + keys.size() + " keys]"; }
}
