package dev.llmgateway.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.llmgateway.metering.ResponseCacheStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * The gateway's response cache: Caffeine in this process, bounded by total bytes (each entry weighs its answer's bytes)
 * and expiring each entry at its own TTL; for routes with {@code store: postgres}, PostgreSQL behind it, so that
 * replicas share hits (a hit found there is copied into this process for the rest of its TTL). A failing database never
 * fails a request: the lookup counts as a miss and the write is dropped (logged).
 */
public final class ResponseCache {
    private static final Logger LOG = Logger.getLogger(ResponseCache.class);

    /** Total bytes kept in this process, and the largest single answer cached. */
    public record Limits(long maxBytes, long maxEntryBytes) {
        public Limits {
            if (maxBytes < 1 || maxEntryBytes < 1 || maxEntryBytes > maxBytes) {
                throw new IllegalArgumentException("cache limits must be positive and an entry no larger than the cache");
            }
        }
    }

    private record Stored(CachedAnswer answer, Instant expiresAt) {}

    private final Cache<CacheKey, Stored> memory;
    private final ResponseCacheStore shared;
    private final Executor blocking;
    private final Vertx vertx;
    private final Clock clock;
    private final Limits limits;

    public ResponseCache(Limits limits, ResponseCacheStore shared, Executor blocking, Vertx vertx, Clock clock) {
        this.limits = limits;
        this.shared = shared;
        this.blocking = blocking;
        this.vertx = vertx;
        this.clock = clock;
        this.memory = Caffeine.newBuilder()
                .maximumWeight(limits.maxBytes())
                .weigher((CacheKey k, Stored v) -> (int) Math.min(Integer.MAX_VALUE, v.answer().bytes()))
                .expireAfter(new Expiry<CacheKey, Stored>() {
                    @Override
                    public long expireAfterCreate(CacheKey key, Stored value, long currentTime) { return remainingNanos(value); }

                    @Override
                    public long expireAfterUpdate(CacheKey key, Stored value, long currentTime, long currentDuration) {
                        return remainingNanos(value);
                    }

                    @Override
                    public long expireAfterRead(CacheKey key, Stored value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    private long remainingNanos(Stored s) {
        return Math.max(0, Duration.between(clock.instant(), s.expiresAt()).toNanos());
    }

    public Limits limits() { return limits; }

    /** The cached answer of {@code key}, looking in PostgreSQL too when {@code useShared}. */
    public Future<Optional<CachedAnswer>> get(CacheKey key, boolean useShared) {
        Stored s = memory.getIfPresent(key);
        if (s != null && s.expiresAt().isAfter(clock.instant())) return Future.succeededFuture(Optional.of(s.answer()));
        if (!useShared || shared == null) return Future.succeededFuture(Optional.empty());
        var context = Objects.requireNonNullElseGet(Vertx.currentContext(), vertx::getOrCreateContext);
        return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
            try {
                return shared.get(key.digest(), clock.instant()).map(e -> {
                    CachedAnswer a = CachedAnswer.decode(e.entry());
                    if (a.bytes() <= limits.maxEntryBytes()) memory.put(key, new Stored(a, e.expiresAt()));
                    return a;
                });
            } catch (RuntimeException e) {
                LOG.warnf("response cache lookup in PostgreSQL failed (answering as a miss): %s", e.getMessage());
                return Optional.<CachedAnswer>empty();
            }
        }, blocking), context);
    }

    /** Keeps {@code answer} for {@code ttl} (also in PostgreSQL when {@code useShared}); a too large answer is not cached. */
    public boolean put(CacheKey key, CachedAnswer answer, Duration ttl, boolean useShared) {
        if (answer.bytes() > limits.maxEntryBytes()) return false;
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        memory.put(key, new Stored(answer, expires));
        if (useShared && shared != null) {
            blocking.execute(() -> {
                try {
                    shared.put(key.digest(), key.teamId(), key.route(), answer.encode(), now, expires);
                } catch (RuntimeException e) {
                    LOG.warnf("response cache write to PostgreSQL failed (kept in this process only): %s", e.getMessage());
                }
            });
        }
        return true;
    }

    /** Deletes expired entries from PostgreSQL (this process's entries expire by themselves). */
    public int purgeExpired() { return shared == null ? 0 : shared.purgeExpired(clock.instant()); }

    /** Entries in this process (approximate). */
    public long size() { return memory.estimatedSize(); }
}
