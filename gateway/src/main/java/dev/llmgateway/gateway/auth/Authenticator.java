package dev.llmgateway.gateway.auth;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.TeamStore.KeyOwner;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Resolves {@code Authorization: Bearer <key>} to a key and team. Lookups are by SHA-256 hash, cached: a cached entry is
 * refreshed in the background after a second and dropped after a minute, and revocation through this process's admin
 * API invalidates it at once. While PostgreSQL is down, cached keys keep working until they expire.
 */
public final class Authenticator {
    private final TeamStore store;
    private final AsyncLoadingCache<ByteBuffer, Optional<KeyOwner>> cache;

    public Authenticator(TeamStore store, Executor blocking) {
        this.store = store;
        this.cache = Caffeine.newBuilder()
                .maximumSize(100_000)
                .refreshAfterWrite(Duration.ofSeconds(1))
                .expireAfterWrite(Duration.ofMinutes(1))
                .executor(blocking)
                .buildAsync(new CacheLoader<>() {
                    @Override
                    public Optional<KeyOwner> load(ByteBuffer hash) { return store.findByHash(hash.array()); }

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

    public Future<KeyOwner> authenticate(Optional<String> authorization) {
        Optional<String> secret = authorization.map(String::trim)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim())
                .filter(s -> !s.isEmpty());
        if (secret.isEmpty()) {
            return fail("You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.");
        }
        ByteBuffer hash = ByteBuffer.wrap(TeamStore.hash(secret.get()));
        // Continue on the caller's event loop, not on the thread that loaded the key.
        io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
        var loaded = cache.get(hash);
        return (ctx != null ? Future.fromCompletionStage(loaded, ctx) : Future.fromCompletionStage(loaded)).recover(e -> Future.failedFuture(new GatewayError.Failure(
                new GatewayError.ServiceUnavailable("keys cannot be checked right now (database unavailable); try again shortly")))).compose(owner -> {
            if (owner.isEmpty()) return fail("Incorrect API key provided.");
            if (owner.get().key().revoked()) return fail("This API key has been revoked.");
            return Future.succeededFuture(owner.get());
        });
    }

    /** Forgets every cached key (called after a revocation so that it takes effect immediately here). */
    public void invalidateAll() { cache.synchronous().invalidateAll(); }

    private static Future<KeyOwner> fail(String message) {
        return Future.failedFuture(new GatewayError.Failure(new GatewayError.Unauthorized(message)));
    }
}
