package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.auth.Authenticator;
import dev.llmgateway.gateway.cache.ResponseCache;
import dev.llmgateway.gateway.migration.Migrations;
import dev.llmgateway.metering.DatasetStore;
import dev.llmgateway.metering.RateLimiter;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/** All periodic work of a replica, in one list. Each job runs on a virtual thread, never two runs of it at once. */
final class BackgroundJobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackgroundJobs.class);

    private final Vertx vertx;
    private final Blocking blocking;
    private final List<Long> timers = new ArrayList<>();

    BackgroundJobs(Vertx vertx, Blocking blocking) {
        this.vertx = vertx;
        this.blocking = blocking;
    }

    /** Schedules every job (the first runs of calibration, output tokens, rate limits and ledger happened at start). */
    void start(Authenticator authenticator, RoutingCalibration calibration, RateLimitSync rateLimits, RateLimiter rateLimiter, LedgerPasses ledger,
               DatasetStore datasets, Migrations migrations, ResponseCache responseCache) {
        // Keys' last_used_at: coalesced in memory per key, written in one statement every few seconds (never per request).
        every(Duration.ofSeconds(5), authenticator.keyUsage()::flush);
        // Routing learned from traffic, shared by replicas through PostgreSQL.
        every(Duration.ofSeconds(10), calibration::shareNow);
        every(Duration.ofSeconds(60), calibration::refreshOutputTokens);
        // Rate limits are global: limits changed on other replicas, and this replica's unused grants handed back.
        every(Duration.ofSeconds(10), rateLimits::reload);
        every(Duration.ofSeconds(1), rateLimiter::flush);
        // Revenue-share ledger: the rows stored since the previous pass every 2 s, a complete pass hourly.
        every(Duration.ofSeconds(2), ledger::post);
        every(Duration.ofHours(1), ledger::fullPassDue);
        every(Duration.ofHours(1), () -> datasets.purgeExpired(Instant.now()));
        // Expired answers of PostgreSQL-backed response caches (memory entries expire by themselves).
        every(Duration.ofMinutes(5), responseCache::purgeExpired);
        // Other replicas' migration changes within seconds; each migration's promotion rule is applied every
        // promotion.evaluation_interval (default 30 s): the ticker only checks which routes are due.
        every(Duration.ofSeconds(5), migrations::refresh);
        every(Duration.ofMillis(250), migrations::evaluateDue);
    }

    private void every(Duration period, Runnable work) {
        AtomicBoolean running = new AtomicBoolean();
        timers.add(vertx.setPeriodic(period.toMillis(), id -> {
            if (!running.compareAndSet(false, true)) return;
            blocking.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.warnf("background task failed: %s", e.getMessage());
                } finally {
                    running.set(false);
                }
            });
        }));
    }

    @Override
    public void close() { timers.forEach(vertx::cancelTimer); }
}
