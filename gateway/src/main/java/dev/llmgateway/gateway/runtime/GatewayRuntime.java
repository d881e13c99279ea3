package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.GatewaySettings;
import dev.llmgateway.gateway.auth.Authenticator;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.cache.ResponseCache;
import dev.llmgateway.gateway.db.Database;
import dev.llmgateway.metering.ResponseCacheStore;
import dev.llmgateway.gateway.db.ReplicaTaggedDataSource;
import dev.llmgateway.gateway.metering.BudgetAlerts;
import dev.llmgateway.gateway.metering.GatewayMetrics;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.gateway.migration.Migrations;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.embedded.EmbeddedBackend;
import dev.llmgateway.gateway.providers.embedded.EmbeddedModels;
import dev.llmgateway.gateway.providers.embedded.ModelDownloader;
import dev.llmgateway.gateway.webhooks.WebhookSender;
import dev.llmgateway.metering.BudgetGuard;
import dev.llmgateway.metering.DatasetStore;
import dev.llmgateway.metering.JudgeSpendStore;
import dev.llmgateway.metering.LeaseSizing;
import dev.llmgateway.metering.LedgerPoster;
import dev.llmgateway.metering.RateLimitStore;
import dev.llmgateway.metering.RateLeasing;
import dev.llmgateway.metering.RateLimiter;
import dev.llmgateway.metering.RoutingCalibrationStore;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.metering.ShadowStore;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.UsageJournal;
import dev.llmgateway.metering.WebhookDeliveryStore;
import dev.llmgateway.routing.Deployment;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The composition root: builds the process-lifetime parts once, in dependency order (database and schema, stores,
 * admin credential, metering, the first {@link RuntimeSnapshot}, background jobs), hands each to CDI as a singleton
 * (inject {@code TeamStore}, {@code BudgetGuard}, {@link RuntimeSnapshots}... where they are used) and closes them in
 * reverse order at shutdown. It holds no request logic; nothing else should reference it.
 */
@Startup
@ApplicationScoped
public class GatewayRuntime {
    private static final Logger LOG = Logger.getLogger(GatewayRuntime.class);

    @Inject GatewaySettings settings;
    @Inject Vertx vertx;
    @Inject MeterRegistry registry;

    private Blocking blocking;
    private Database database;
    private TeamStore teams;
    private AdminCredential adminCredential;
    private Authenticator authenticator;
    private Metering metering;
    private EmbeddedModels engine;
    private RuntimeSnapshots snapshots;
    private RoutingCalibration calibration;
    private BudgetGuard budgets;
    private RateLimiter rateLimiter;
    private RateLimitStore rateLimits;
    private RateLimitSync rateLimitSync;
    private ShadowStore shadows;
    private DatasetStore datasets;
    private LedgerPoster ledger;
    private LedgerPasses ledgerPasses;
    private Migrations migrations;
    private ResponseCache responseCache;
    private WebhookSender webhooks;
    private BackgroundJobs jobs;

    @PostConstruct
    void start() {
        // Before anything else starts: a weak admin key is a configuration error, not a warning.
        settings.adminKey().filter(k -> !k.isBlank()).ifPresent(AdminCredential::checkStrength);
        if (settings.budgetWebhookUrl().filter(u -> !u.isBlank()).isPresent() && settings.webhookSecret().filter(k -> k.length() >= 16).isEmpty()) {
            throw new IllegalStateException("GATEWAY_BUDGET_WEBHOOK_URL is set but GATEWAY_WEBHOOK_SECRET is not (or shorter than 16"
                    + " characters): webhooks are signed with it (see docs/security.md). Generate one with: openssl rand -hex 32");
        }
        Path dataDir = Path.of(settings.dataDir());
        blocking = new Blocking(vertx);
        snapshots = new RuntimeSnapshots(Path.of(settings.config()), vertx, this::embeddedBackend);
        GatewayConfig config = snapshots.load();
        LOG.infof("Configuration %s: %d providers, %d deployments, routes %s", config.source(), config.providers().size(),
                config.deployments().size(), config.routes().keySet());

        database = Database.open(settings.dbUrl(), settings.dbUser(), settings.dbPassword(), dataDir,
                settings.dbPoolSize(), settings.dbStartTimeout());
        int applied = Schema.migrate(database.dataSource());
        if (applied > 0) LOG.infof("Applied %d schema migration(s)", applied);
        teams = new TeamStore(database.dataSource());
        adminCredential = AdminCredential.init(settings.adminKey(), teams);
        authenticator = new Authenticator(teams, blocking, new Authenticator.Limits(settings.keyLookupConcurrency(),
                settings.keyLookupQueue(), settings.unknownKeyTtl(), 100_000));
        String replicaId = replicaId(dataDir);
        try {
            UsageJournal.Durability durability;
            try {
                durability = UsageJournal.Durability.parse(settings.meteringDurability());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("GATEWAY_METERING_DURABILITY: " + e.getMessage());
            }
            var journal = UsageJournal.open(dataDir.resolve("journal"), new UsageJournal.Options(settings.journalSegmentBytes(),
                    settings.journalMaxBytes(), UsageJournal.Options.defaults().maxGroupRecords(), durability,
                    UsageJournal.Options.DEFAULT_SYNC_INTERVAL_MILLIS));
            LOG.infof("Usage journal durability: %s", durability.name().toLowerCase(java.util.Locale.ROOT));
            // The usage writer's rows carry this replica's id: a killed replica's budget leases are reconciled from them.
            metering = new Metering(vertx, new ReplicaTaggedDataSource(database.dataSource(), replicaId), journal, config,
                    route -> snapshots.current().router().baseline(route).map(Deployment::name),
                    Metering.OnJournalFailure.fromSetting(settings.onJournalFailure()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the usage journal under " + settings.dataDir() + ": " + e.getMessage(), e);
        }
        calibration = new RoutingCalibration(new RoutingCalibrationStore(database.dataSource()), replicaId,
                () -> snapshots.current().router());
        budgets = new BudgetGuard(database.dataSource(), replicaId, Clock.systemUTC(), LeaseSizing.defaults(),
                new BudgetAlerts(webhookSender())).reconcilingFromUsage();
        // Rate limits are global: every replica takes grants of a limit from PostgreSQL (docs/budgets.md).
        rateLimiter = RateLimiter.shared(database.dataSource(), replicaId, RateLeasing.defaults());
        rateLimits = new RateLimitStore(database.dataSource());
        rateLimitSync = new RateLimitSync(rateLimits, rateLimiter);
        JudgeSpendStore judgeSpend = new JudgeSpendStore(database.dataSource());
        shadows = new ShadowStore(database.dataSource(), 20_000);
        ledger = new LedgerPoster(database.dataSource(), metering.writer().deadLetters());
        ledgerPasses = new LedgerPasses(ledger);
        datasets = new DatasetStore(database.dataSource());
        config.datasets().forEach(datasets::define);
        migrations = new Migrations(config, database.dataSource(), shadows, Clock.systemUTC());
        // Embedded models start before the metrics that watch them (their backends are built with the first snapshot).
        if (config.providers().values().stream().anyMatch(p -> dev.llmgateway.gateway.providers.ProviderFactories.of(p).embeddedEngine())) startEngine(config);
        GatewayMetrics metrics = new GatewayMetrics(registry, () -> snapshots.current().breakers(), metering,
                config.deployments().keySet(), Optional.ofNullable(engine), ledger::deadLettered);

        responseCache = new ResponseCache(new ResponseCache.Limits(settings.cacheMaxBytes(), settings.cacheMaxEntryBytes()),
                new ResponseCacheStore(database.dataSource()), blocking, vertx, Clock.systemUTC());
        PipelineAssembly assembly = new PipelineAssembly(vertx, blocking, authenticator, budgets, rateLimiter, metering, metrics,
                shadows, judgeSpend, datasets, migrations, calibration, responseCache);
        RuntimeSnapshot first = snapshots.start(config, assembly,
                (next, nextRouter, previousRouter) -> {
                    metering.syncPrices(next);
                    rateLimitSync.applyRouteLimits(next);
                    next.datasets().forEach(datasets::define);
                    migrations.reconfigure(next);
                    calibration.share(nextRouter, previousRouter);
                },
                published -> metrics.registerPools(() -> snapshots.current().backends(), published.backends().pools().keySet()));
        LOG.infof("Pipeline: %s", String.join(" -> ", first.pipeline().stageNames()));

        // First runs now, then periodically.
        calibration.share(first.router(), null);
        calibration.refreshOutputTokens();
        rateLimitSync.reload();
        rateLimitSync.applyRouteLimits(config);
        jobs = new BackgroundJobs(vertx, blocking);
        jobs.start(authenticator, calibration, rateLimitSync, rateLimiter, ledgerPasses, datasets, migrations, responseCache);
    }

    /** The signed, retrying webhook sender for budget alerts, if a webhook URL is configured. */
    private Optional<WebhookSender> webhookSender() {
        var url = settings.budgetWebhookUrl().filter(u -> !u.isBlank());
        if (url.isEmpty()) return Optional.empty();
        webhooks = new WebhookSender(vertx, url.get(), settings.webhookSecret().orElseThrow(),
                new WebhookDeliveryStore(database.dataSource()), blocking,
                new WebhookSender.Policy(settings.webhookTimeout(), settings.webhookMaxAttempts(), Duration.ofSeconds(1), Duration.ofMinutes(1)));
        return Optional.of(webhooks);
    }

    /**
     * The embedded deployments' models (engine model name = deployment name), prepared once. Models pinned on Hugging
     * Face are fetched in the background (once; later starts find them under {@code <data dir>/models}; endpoint and
     * token from env GATEWAY_HF_ENDPOINT and HF_TOKEN). A missing, corrupt or not downloadable model makes only its
     * deployment unavailable.
     */
    private synchronized void startEngine(GatewayConfig config) {
        if (engine != null) return;
        ModelDownloader downloader = null;
        String problem = null;
        try {
            downloader = ModelDownloader.fromEnvironment(Path.of(settings.dataDir()));
        } catch (RuntimeException e) {
            problem = e.getMessage();
        }
        var embedded = config.deployments().values().stream().filter(d -> d.engine().isPresent()).toList();
        engine = EmbeddedModels.start(embedded, downloader, problem);
        LOG.infof("Embedded models: %s", engine.states().entrySet().stream()
                .map(e -> e.getKey() + " " + EmbeddedModels.describe(e.getValue())).toList());
    }

    /** The backend of an embedded provider (a snapshot's backends ask for it). */
    private ModelBackend embeddedBackend(GatewayConfig.Provider provider) {
        if (engine == null) startEngine(snapshots.current() != null ? snapshots.current().config() : snapshots.load());
        return new EmbeddedBackend(engine, blocking, vertx);
    }

    /**
     * This replica's name in budget leases, rate-limit grants and usage rows: kept in the data directory, so a
     * replica restarted on its data directory (which replays its usage journal) is the same replica.
     */
    static String replicaId(Path dataDir) {
        Path file = dataDir.resolve("replica-id");
        try {
            if (Files.isRegularFile(file)) {
                String id = Files.readString(file).strip();
                if (!id.isEmpty()) return id;
            }
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "gateway";
            }
            String id = host + "-" + Long.toHexString(new SecureRandom().nextLong() & 0xffffffffL);
            Files.createDirectories(dataDir);
            Path tmp = dataDir.resolve("replica-id.tmp");
            Files.writeString(tmp, id + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return id;
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep the replica id in " + file + ": " + e.getMessage(), e);
        }
    }

    void stop(@Observes ShutdownEvent ev) {
        if (jobs != null) jobs.close();
        if (authenticator != null) {
            try {
                authenticator.keyUsage().flush();
            } catch (RuntimeException e) {
                LOG.warnf("recording when keys were last used failed: %s", e.getMessage());
            }
        }
        if (webhooks != null) webhooks.close();
        if (snapshots != null) snapshots.close();
        if (budgets != null) budgets.close();
        if (rateLimiter != null) {
            try {
                rateLimiter.close();
            } catch (RuntimeException e) {
                LOG.warnf("returning rate-limit grants failed: %s", e.getMessage());
            }
        }
        if (metering != null) metering.close();
        if (engine != null) engine.close();
        if (database != null) database.close();
        if (blocking != null) blocking.close();
    }

    // What the rest of the application injects. Singletons: built above, once; closed above, not by CDI.
    @Produces @Singleton RuntimeSnapshots snapshots() { return snapshots; }
    @Produces @Singleton Database database() { return database; }
    @Produces @Singleton TeamStore teams() { return teams; }
    @Produces @Singleton AdminCredential adminCredential() { return adminCredential; }
    @Produces @Singleton Authenticator authenticator() { return authenticator; }
    @Produces @Singleton Metering metering() { return metering; }
    /** The embedded deployments' models; empty when no provider is of type embedded. */
    @Produces @Singleton Optional<EmbeddedModels> engine() { return Optional.ofNullable(engine); }
    @Produces @Singleton RoutingCalibration calibration() { return calibration; }
    @Produces @Singleton BudgetGuard budgets() { return budgets; }
    @Produces @Singleton RateLimitStore rateLimits() { return rateLimits; }
    @Produces @Singleton RateLimitSync rateLimitSync() { return rateLimitSync; }
    @Produces @Singleton ShadowStore shadows() { return shadows; }
    @Produces @Singleton DatasetStore datasets() { return datasets; }
    @Produces @Singleton LedgerPoster ledger() { return ledger; }
    @Produces @Singleton LedgerPasses ledgerPasses() { return ledgerPasses; }
    @Produces @Singleton Migrations migrations() { return migrations; }
}
