package dev.llmgateway.gateway.metering;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.CostResult;
import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.PriceCatalog;
import dev.llmgateway.metering.PriceVersion;
import dev.llmgateway.metering.TokenCounts;
import dev.llmgateway.metering.TokenSource;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageJournal;
import dev.llmgateway.metering.UsageWriter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The gateway side of metering: prices a finished exchange, turns it into a {@link UsageEvent} and makes it durable
 * in the local journal (group-committed; fsynced, or written and fsynced within 5 ms in process durability); a background {@link UsageWriter} batches the journal into PostgreSQL.
 */
public final class Metering implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Metering.class);

    private final Vertx vertx;
    private final PriceCatalog prices;
    private final UsageJournal journal;
    private final UsageWriter writer;
    private final Function<String, Optional<String>> baselineOfRoute;
    private final OnJournalFailure onJournalFailure;
    private final java.util.concurrent.atomic.AtomicLong unmeteredAnswers = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong refusedRequests = new java.util.concurrent.atomic.AtomicLong();

    /** Room kept for what a finished request adds to its record beyond the estimate (fallback name, error code). */
    static final long RECORD_SLACK_BYTES = 1024;

    /** What the gateway does when the journal cannot take a record (setting {@code gateway.on-journal-failure}). */
    public enum OnJournalFailure {
        /** Refuse new requests with 503 metering_unavailable before any upstream call; withhold answers not journaled. */
        REFUSE,
        /** Serve anyway; each unmetered answer is logged and counted. */
        SERVE_UNMETERED;

        public static OnJournalFailure fromSetting(String s) {
            return switch (s.trim().toLowerCase().replace('_', '-')) {
                case "refuse" -> REFUSE;
                case "serve-unmetered" -> SERVE_UNMETERED;
                default -> throw new IllegalArgumentException("gateway.on-journal-failure must be 'refuse' or 'serve-unmetered', not '" + s + "'");
            };
        }
    }

    public Metering(Vertx vertx, DataSource db, UsageJournal journal, GatewayConfig config,
                    Function<String, Optional<String>> baselineOfRoute) {
        this(vertx, db, journal, config, baselineOfRoute, OnJournalFailure.REFUSE);
    }

    public Metering(Vertx vertx, DataSource db, UsageJournal journal, GatewayConfig config,
                    Function<String, Optional<String>> baselineOfRoute, OnJournalFailure onJournalFailure) {
        this.onJournalFailure = onJournalFailure;
        this.vertx = vertx;
        this.prices = new PriceCatalog(db);
        var report = prices.syncFromConfig(config.pricing(), Instant.now());
        if (!report.newVersions().isEmpty()) LOG.infof("New price versions for %s", report.newVersions());
        warnAboutUnpricedOpenDeployments(config);
        this.journal = journal;
        this.writer = new UsageWriter(journal, db).start();
        this.baselineOfRoute = baselineOfRoute;
    }

    /**
     * Flags open deployments left without a price: their usage costs nothing and a savings report would read as a 100%
     * saving (the report counts them as {@code unpriced_open_requests}).
     */
    private static void warnAboutUnpricedOpenDeployments(GatewayConfig config) {
        for (var d : config.pricing().deployments()) {
            boolean unpriced = d.providerPrices().equals(dev.llmgateway.metering.TokenPrices.FREE)
                    && d.listPrices().map(dev.llmgateway.metering.TokenPrices.FREE::equals).orElse(true);
            if (d.deploymentClass() == dev.llmgateway.metering.DeploymentClass.OPEN && unpriced) {
                LOG.warnf("open deployment '%s' has no price: its usage is recorded at 0 USD and savings against a baseline "
                        + "will read as 100%% (set prices in gateway.yaml; /admin/savings flags it as unpriced_open_requests)", d.deployment());
            }
        }
    }

    /** Records new price versions for what changed in a reloaded configuration (old usage keeps its old prices). */
    public void syncPrices(GatewayConfig config) { prices.syncFromConfig(config.pricing(), Instant.now()); }

    public UsageJournal journal() { return journal; }

    public UsageWriter writer() { return writer; }

    /**
     * Free journal space below which readiness turns DOWN: the largest record the input caps allow (a 256-character
     * end user is at most 1 KiB of UTF-8) plus the slack, so readiness is DOWN whenever requests are refused.
     */
    static final long READY_HEADROOM_BYTES = 4096;

    /**
     * True when the journal cannot take a record now: full or nearly (PostgreSQL has been unreachable for long), or a
     * write failed and no probe has passed since. Readiness reports this.
     */
    public boolean journalFull() { return !journal.hasRoomFor(READY_HEADROOM_BYTES); }

    /** Whether the journal would take this request's record now (its size estimated before any upstream call). */
    public boolean canJournal(MeteredRequest r) {
        Deployment d = r.deployment();
        UsageEvent estimate = UsageEvent.builder(r.requestId(), r.receivedAt())
                .team(r.teamId(), r.keyId())
                .endUser(r.endUser())
                .route(r.route(), r.policy(), r.stage())
                .deployment(d.name(), d.provider(), d.model(), d.deploymentClass().forMetering())
                .licenseId(d.license().orElse(null))
                .build();
        return journal.hasRoomFor(UsageJournal.frameBytes(estimate) + RECORD_SLACK_BYTES);
    }

    public OnJournalFailure onJournalFailure() { return onJournalFailure; }

    /** Answers served although their usage could not be journaled (only with serve-unmetered). */
    public long unmeteredAnswers() { return unmeteredAnswers.get(); }

    /** Requests refused with metering_unavailable. */
    public long refusedRequests() { return refusedRequests.get(); }

    /** Counts and logs one answer served without a usage record. */
    public void servedUnmetered(MeteredRequest r, String why) {
        unmeteredAnswers.incrementAndGet();
        LOG.errorf("UNMETERED answer served (gateway.on-journal-failure=serve-unmetered): request %s of team %s on %s: %s",
                r.requestId(), r.teamId(), r.route(), why);
    }

    /** Counts one request refused because it could not be metered. */
    public void refused() { refusedRequests.incrementAndGet(); }

    /**
     * Money of one answer, exact (fractions of a micro-USD kept): what the provider charges, what the team is charged,
     * and what the same tokens would have cost at the provider of the route's closed baseline; {@code baselineCostMicros}
     * is null when there is no priced baseline (the route has none, or its baseline deployment has no price), which
     * reports as "no baseline", never as a zero saving.
     */
    public record Charge(MicroUsd providerCostMicros, MicroUsd teamChargeMicros, MicroUsd baselineCostMicros) {}

    public Charge charge(Deployment d, String route, Usage usage, Instant at) {
        TokenCounts tokens = new TokenCounts(usage.promptTokens(), usage.completionTokens(), Math.min(usage.cachedTokens(), usage.promptTokens()));
        PriceVersion price = prices.priceAt(d.name(), at).orElseThrow(() -> new IllegalStateException("no price for " + d.name()));
        MicroUsd provider = price.providerCost(tokens).orThrow();
        MicroUsd team = price.teamCharge(tokens).orThrow();
        MicroUsd baseline = baselineOfRoute.apply(route)
                .flatMap(b -> prices.priceAt(b, at))
                .map(p -> p.providerCost(tokens))
                .map(CostResult::orThrow)
                .orElse(null);
        return new Charge(provider, team, baseline);
    }

    /** How an answer's token counts were obtained: our estimate, the embedded engine's count, or the provider's report. */
    public static TokenSource tokenSource(Deployment d, Usage usage) {
        if (usage.estimated()) return TokenSource.ESTIMATED;
        return d.engine().isPresent() ? TokenSource.ENGINE : TokenSource.PROVIDER;
    }

    /** Builds the usage event of a request that reached a deployment (or tried to), or was answered from the cache. */
    public UsageEvent event(MeteredRequest r, int httpStatus, String errorCode) {
        Deployment d = r.deployment();
        Instant at = r.receivedAt();
        Usage usage = r.usage();
        Charge c = charge(d, r.route(), usage, at);
        long ttft = r.ttftMs();
        // A response-cache hit reached no provider: it costs nothing, the team pays only if the route says so, and the
        // provider cost it avoided is kept for the savings report.
        MicroUsd providerCost = r.fromCache() ? MicroUsd.ZERO : c.providerCostMicros();
        MicroUsd teamCharge = r.fromCache() && !r.cacheChargesTeam() ? MicroUsd.ZERO : c.teamChargeMicros();
        UsageEvent.Builder b = UsageEvent.builder(r.requestId(), at);
        if (r.fromCache()) b.cacheHit(c.providerCostMicros());
        return b
                .team(r.teamId(), r.keyId())
                .endUser(r.endUser())
                .route(r.route(), r.policy(), r.stage())
                .deployment(d.name(), d.provider(), d.model(), d.deploymentClass().forMetering())
                .tokens(usage.promptTokens(), usage.completionTokens(), Math.min(usage.cachedTokens(), usage.promptTokens()))
                .tokenSource(tokenSource(d, usage))
                .money(providerCost, teamCharge, c.baselineCostMicros())
                .timing((int) Math.min(Integer.MAX_VALUE, r.elapsedMs()), ttft < 0 ? null : (int) Math.min(Integer.MAX_VALUE, ttft))
                .outcome(httpStatus, errorCode)
                .streamed(r.streamed())
                .shadow(false)
                .licenseId(d.license().orElse(null))
                .attempts(r.attempts())
                .build();
    }

    /**
     * The usage event of a shadow request: flagged, its own request id, the provider cost of the shadow deployment (what
     * the operator pays) and no team charge: shadow traffic is the operator's evaluation, never team spend. {@code original}
     * is the request it mirrors (team, key, end user and route are taken from it).
     */
    public UsageEvent shadowEvent(MeteredRequest original, String shadowRequestId, Deployment d, Usage usage, int latencyMs, int status, String errorCode) {
        Instant at = original.receivedAt();
        Charge c = charge(d, original.route(), usage, at);
        return UsageEvent.builder(shadowRequestId, at)
                .team(original.teamId(), original.keyId())
                .endUser(original.endUser())
                .route(original.route(), original.policy(), original.stage())
                .deployment(d.name(), d.provider(), d.model(), d.deploymentClass().forMetering())
                .tokens(usage.promptTokens(), usage.completionTokens(), Math.min(usage.cachedTokens(), usage.promptTokens()))
                .tokenSource(tokenSource(d, usage))
                .money(c.providerCostMicros(), MicroUsd.ZERO, null)
                .timing(latencyMs, null)
                .outcome(status, errorCode)
                .streamed(false)
                .shadow(true)
                .licenseId(d.license().orElse(null))
                .build();
    }

    /**
     * Appends to the journal; the future completes once the record is on disk (in process durability it normally is
     * when this returns: the write happened on this thread, and the request goes on without a hand-off).
     */
    public Future<Void> record(UsageEvent e) {
        java.util.concurrent.CompletableFuture<Void> appended = journal.append(e);
        if (appended.isDone() && !appended.isCompletedExceptionally()) return Future.succeededFuture();
        return Future.fromCompletionStage(appended, vertx.getOrCreateContext());
    }

    @Override
    public void close() {
        writer.close();
        journal.close();
    }
}
