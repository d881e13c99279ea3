package dev.llmgateway.gateway.auth;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.TeamStore.KeyOwner;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves {@code Authorization: Bearer <key>} to a key and team. Lookups are by SHA-256 hash, cached: a cached entry is
 * refreshed in the background after a second and dropped after a minute, and revocation through this process's admin
 * API invalidates it at once. While PostgreSQL is down, cached keys keep working until they expire. A key's expiry (and
 * a rotated-out secret's overlap window) is checked against the clock on every request, cached or not, so it takes
 * effect to the second on every replica; a changed expiry reaches other replicas' caches within about a second.
 *
 * <p>Unknown hashes go to a separate negative cache (so a flood of made-up keys neither evicts real keys nor reaches
 * PostgreSQL twice), and database lookups run at most {@code lookupConcurrency} at a time with at most
 * {@code lookupQueue} waiting; beyond that a lookup fails at once with 503 instead of queueing without bound.
 */
public final class Authenticator {
    private final AsyncLoadingCache<ByteBuffer, Optional<KeyOwner>> cache;
    private final Cache<ByteBuffer, Boolean> unknown;
    private final Semaphore lookups;
    private final AtomicInteger pending = new AtomicInteger();
    private final int maxPending;

    /** Limits of the key lookup path. */
    public record Limits(int lookupConcurrency, int lookupQueue, Duration unknownKeyTtl, long unknownKeyEntries) {
        public static Limits defaults() { return new Limits(8, 256, Duration.ofSeconds(60), 100_000); }
    }

    public Authenticator(TeamStore store, Executor blocking) { this(store, blocking, Limits.defaults()); }

    public Authenticator(TeamStore store, Executor blocking, Limits limits) {
        this(store, blocking, limits, java.time.Clock.systemUTC());
    }

    private final java.time.Clock clock;

    private final KeyUsage keyUsage;

    public Authenticator(TeamStore store, Executor blocking, Limits limits, java.time.Clock clock) {
        this.clock = clock;
        this.keyUsage = new KeyUsage(store, clock);
        this.lookups = new Semaphore(limits.lookupConcurrency());
        this.maxPending = limits.lookupConcurrency() + limits.lookupQueue();
        this.unknown = Caffeine.newBuilder().maximumSize(limits.unknownKeyEntries()).expireAfterWrite(limits.unknownKeyTtl()).build();
        this.cache = Caffeine.newBuilder()
                .maximumSize(100_000)
                .refreshAfterWrite(Duration.ofSeconds(1))
                .expireAfterWrite(Duration.ofMinutes(1))
                .executor(blocking)
                .buildAsync(new CacheLoader<>() {
                    @Override
                    public Optional<KeyOwner> load(ByteBuffer hash) { return store.findByHash(hash.array()); }

                    /** First lookups are bounded: a full queue fails fast rather than piling up threads. */
                    @Override
                    public CompletableFuture<Optional<KeyOwner>> asyncLoad(ByteBuffer hash, Executor executor) {
                        if (pending.incrementAndGet() > maxPending) {
                            pending.decrementAndGet();
                            return CompletableFuture.failedFuture(new LookupsSaturated());
                        }
                        return CompletableFuture.supplyAsync(() -> {
                            try {
                                lookups.acquireUninterruptibly();
                                try {
                                    return store.findByHash(hash.array());
                                } finally {
                                    lookups.release();
                                }
                            } finally {
                                pending.decrementAndGet();
                            }
                        }, executor);
                    }

                    /** While the database is unreachable, a known key keeps its last known state (no log storm). */
                    @Override
                    public Optional<KeyOwner> reload(ByteBuffer hash, Optional<KeyOwner> old) {
                        try {
                            return store.findByHash(hash.array());
                        } catch (RuntimeException e) {
                            return old;
                        }
                    }
                });
    }

    /** The bearer secret of an Authorization header, if it has one. */
    public static Optional<String> bearer(Optional<String> authorization) {
        return authorization.map(String::trim)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim())
                .filter(s -> !s.isEmpty());
    }

    public Future<KeyOwner> authenticate(Optional<String> authorization) {
        Optional<String> secret = bearer(authorization);
        if (secret.isEmpty()) {
            return fail("You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>' on /v1/messages).");
        }
        ByteBuffer hash = ByteBuffer.wrap(TeamStore.hash(secret.get()));
        if (unknown.getIfPresent(hash) != null) return fail("Incorrect API key provided.");
        // Continue on the caller's event loop, not on the thread that loaded the key.
        io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
        var loaded = cache.get(hash);
        return (ctx != null ? Future.fromCompletionStage(loaded, ctx) : Future.fromCompletionStage(loaded)).recover(e -> {
            cache.synchronous().invalidate(hash);
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            String why = cause instanceof LookupsSaturated ? "too many API key lookups are waiting; try again shortly"
                    : "keys cannot be checked right now (database unavailable); try again shortly";
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.ServiceUnavailable(why)));
        }).compose(owner -> {
            if (owner.isEmpty()) {
                // Unknown keys live only in the negative cache, so they never push real keys out of the positive one.
                unknown.put(hash, Boolean.TRUE);
                cache.synchronous().invalidate(hash);
                return fail("Incorrect API key provided.");
            }
            if (owner.get().key().revoked()) return fail("This API key has been revoked.");
            if (owner.get().expired(clock.instant())) return Future.failedFuture(expired(owner.get()));
            keyUsage.used(owner.get().key().id());
            return Future.succeededFuture(owner.get());
        });
    }

    /** Whether this header carries a key already known to be valid (in memory only: no database lookup). */
    public boolean knownValid(Optional<String> authorization) {
        Optional<String> secret = bearer(authorization);
        if (secret.isEmpty()) return false;
        CompletableFuture<Optional<KeyOwner>> f = cache.getIfPresent(ByteBuffer.wrap(TeamStore.hash(secret.get())));
        if (f == null || !f.isDone() || f.isCompletedExceptionally()) return false;
        Optional<KeyOwner> owner = f.getNow(Optional.empty());
        return owner.isPresent() && !owner.get().key().revoked() && !owner.get().expired(clock.instant());
    }

    /** Forgets every cached key, known and unknown (after a revocation or a new key, so both take effect at once here). */
    public void invalidateAll() {
        cache.synchronous().invalidateAll();
        unknown.invalidateAll();
    }

    /** A key was just issued: if someone guessed it earlier, it is no longer remembered as unknown. */
    public void keyIssued(String secret) { unknown.invalidate(ByteBuffer.wrap(TeamStore.hash(secret))); }

    /** When keys were last used, batched for PostgreSQL (flushed every few seconds by the runtime). */
    public KeyUsage keyUsage() { return keyUsage; }

    /** How many unknown key hashes are remembered (for tests and metrics). */
    public long unknownKeys() {
        unknown.cleanUp();
        return unknown.estimatedSize();
    }

    private static GatewayError.Failure expired(KeyOwner owner) {
        String when = owner.validUntil().map(t -> " at " + t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).orElse("");
        String message = owner.previousSecret() && owner.key().previousExpiresAt().equals(owner.validUntil())
                ? "This API key was rotated; the previous secret stopped working" + when + ". Use the new secret."
                : "This API key expired" + when + ".";
        return new GatewayError.Failure(new GatewayError.Unauthorized(message, GatewayError.Unauthorized.KEY_EXPIRED));
    }

    private static Future<KeyOwner> fail(String message) {
        return Future.failedFuture(new GatewayError.Failure(new GatewayError.Unauthorized(message)));
    }

    /** The bounded lookup queue is full. */
    private static final class LookupsSaturated extends RuntimeException {
        LookupsSaturated() { super("key lookups saturated", null, false, false); }
    }
}
