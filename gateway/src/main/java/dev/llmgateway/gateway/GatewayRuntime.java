package dev.llmgateway.gateway;

import dev.llmgateway.gateway.auth.Authenticator;
import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.db.Database;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.pipeline.AuthenticateStage;
import dev.llmgateway.gateway.pipeline.DispatchStage;
import dev.llmgateway.gateway.pipeline.MeterStage;
import dev.llmgateway.gateway.pipeline.AdmitStage;
import dev.llmgateway.gateway.pipeline.ShadowStage;
import dev.llmgateway.gateway.pipeline.CaptureStage;
import dev.llmgateway.gateway.pipeline.ParseStage;
import dev.llmgateway.gateway.pipeline.Pipeline;
import dev.llmgateway.gateway.pipeline.RespondStage;
import dev.llmgateway.gateway.pipeline.RouteStage;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.metering.Schema;
import dev.llmgateway.metering.TeamStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/** Builds everything once at start-up: configuration, database, stores, backends and the request pipeline. */
@Startup
@ApplicationScoped
public class GatewayRuntime {
    private static final Logger LOG = Logger.getLogger(GatewayRuntime.class);

    @Inject GatewaySettings settings;
    @Inject Vertx vertx;
    @Inject io.micrometer.core.instrument.MeterRegistry registry;

    private volatile GatewayConfig config;
    private Database database;
    private TeamStore teams;
    private Authenticator authenticator;
    private volatile Backends backends;
    private volatile CircuitBreakers breakers;
    private volatile Pipeline pipeline;
    private dev.llmgateway.gateway.providers.embedded.EmbeddedModels engine;
    private dev.llmgateway.gateway.metering.Metering metering;
    private dev.llmgateway.gateway.metering.GatewayMetrics metrics;
    private dev.llmgateway.gateway.migration.Migrations migrations;
    private dev.llmgateway.metering.ShadowStore shadows;
    private dev.llmgateway.metering.DatasetStore datasets;
    private dev.llmgateway.metering.BudgetGuard budgets;
    private dev.llmgateway.metering.LedgerPoster ledger;
    private dev.llmgateway.metering.RateLimiter rateLimiter;
    private dev.llmgateway.metering.JudgeSpendStore judgeSpend;
    private String replicaId;
    private dev.llmgateway.metering.RateLimitStore rateLimits;
    private final java.util.List<Long> timers = new java.util.ArrayList<>();
    private volatile dev.llmgateway.routing.Router router;
    private byte[] adminKeyHash;
    private String replica;
    private dev.llmgateway.metering.RoutingCalibrationStore calibration;
    private volatile dev.llmgateway.routing.OutputTokenEstimates outputTokens = dev.llmgateway.routing.OutputTokenEstimates.none();
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();

    @PostConstruct
    void start() {
        // Before anything else starts: a weak admin key is a configuration error, not a warning.
        settings.adminKey().filter(k -> !k.isBlank()).ifPresent(GatewayRuntime::checkAdminKeyStrength);
        if (settings.budgetWebhookUrl().filter(u -> !u.isBlank()).isPresent() && settings.webhookSecret().filter(k -> k.length() >= 16).isEmpty()) {
            throw new IllegalStateException("GATEWAY_BUDGET_WEBHOOK_URL is set but GATEWAY_WEBHOOK_SECRET is not (or shorter than 16"
                    + " characters): webhooks are signed with it (see docs/security.md). Generate one with: openssl rand -hex 32");
        }
        config = ConfigLoader.load(Path.of(settings.config()), System::getenv);
        LOG.infof("Configuration %s: %d providers, %d deployments, routes %s", config.source(), config.providers().size(),
                config.deployments().size(), config.routes().keySet());
        database = Database.open(settings.dbUrl(), settings.dbUser(), settings.dbPassword(), Path.of(settings.dataDir()),
                settings.dbPoolSize(), settings.dbStartTimeout());
        int applied = Schema.migrate(database.dataSource());
        if (applied > 0) LOG.infof("Applied %d schema migration(s)", applied);
        teams = new TeamStore(database.dataSource());
        initAdminCredential();
        authenticator = new Authenticator(teams, blocking, new Authenticator.Limits(settings.keyLookupConcurrency(),
                settings.keyLookupQueue(), settings.unknownKeyTtl(), 100_000));
        backends = new Backends(vertx, config, this::embeddedBackend);
        breakers = new CircuitBreakers(config.deployments().values());
        router = dev.llmgateway.routing.Router.of(config.catalog());
        replicaId = replicaId(Path.of(settings.dataDir()));
        try {
            var journal = dev.llmgateway.metering.UsageJournal.open(Path.of(settings.dataDir()).resolve("journal"),
                    new dev.llmgateway.metering.UsageJournal.Options(settings.journalSegmentBytes(), settings.journalMaxBytes(),
                            dev.llmgateway.metering.UsageJournal.Options.defaults().maxGroupRecords()));
            // The usage writer's rows carry this replica's id: a killed replica's budget leases are reconciled from them.
            metering = new dev.llmgateway.gateway.metering.Metering(vertx,
                    new dev.llmgateway.gateway.db.ReplicaTaggedDataSource(database.dataSource(), replicaId), journal, config,
                    route -> router.baseline(route).map(dev.llmgateway.routing.Deployment::name),
                    dev.llmgateway.gateway.metering.Metering.OnJournalFailure.fromSetting(settings.onJournalFailure()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot open the usage journal under " + settings.dataDir() + ": " + e.getMessage(), e);
        }
        this.replica = replicaId;
        calibration = new dev.llmgateway.metering.RoutingCalibrationStore(database.dataSource());
        shareCalibration(null);
        // Complexity calibration is shared by replicas through PostgreSQL; observed output tokens price cost_quality
        // requests without max_tokens. Both are read from the database, so every replica uses the same numbers.
        periodic(java.time.Duration.ofSeconds(10), () -> shareCalibration(null));
        refreshOutputTokens();
        periodic(java.time.Duration.ofSeconds(60), this::refreshOutputTokens);
        budgets = new dev.llmgateway.metering.BudgetGuard(database.dataSource(), replicaId, java.time.Clock.systemUTC(),
                dev.llmgateway.metering.LeaseSizing.defaults(), new dev.llmgateway.gateway.metering.BudgetAlerts(webhookSender()))
                .reconcilingFromUsage();
        // Rate limits are global: every replica takes grants of a limit from PostgreSQL (docs/budgets.md).
        rateLimiter = dev.llmgateway.metering.RateLimiter.shared(database.dataSource(), replicaId, dev.llmgateway.metering.RateLeasing.defaults());
        rateLimits = new dev.llmgateway.metering.RateLimitStore(database.dataSource());
        reloadRateLimits();
        periodic(java.time.Duration.ofSeconds(10), this::reloadRateLimits);
        periodic(java.time.Duration.ofSeconds(1), rateLimiter::flush);
        judgeSpend = new dev.llmgateway.metering.JudgeSpendStore(database.dataSource());
        shadows = new dev.llmgateway.metering.ShadowStore(database.dataSource(), 20_000);
        ledger = new dev.llmgateway.metering.LedgerPoster(database.dataSource(), metering.writer().deadLetters());
        // Stored usage on open, licensed deployments is posted to the revenue-share ledger within seconds (idempotent):
        // a complete pass at start-up and hourly, and every 2 s the rows stored since the previous pass, however old.
        periodic(java.time.Duration.ofSeconds(2), this::postLedger);
        periodic(java.time.Duration.ofHours(1), () -> ledgerFullPassDue = true);
        datasets = new dev.llmgateway.metering.DatasetStore(database.dataSource());
        config.datasets().forEach(datasets::define);
        periodic(java.time.Duration.ofHours(1), () -> datasets.purgeExpired(java.time.Instant.now()));
        migrations = new dev.llmgateway.gateway.migration.Migrations(config, database.dataSource(), shadows, java.time.Clock.systemUTC());
        // Other replicas' migration changes are picked up within seconds; each migration's promotion rule is applied
        // every promotion.evaluation_interval (default 30 s): the ticker only checks which routes are due.
        periodic(java.time.Duration.ofSeconds(5), migrations::refresh);
        periodic(java.time.Duration.ofMillis(250), migrations::evaluateDue);
        metrics = new dev.llmgateway.gateway.metering.GatewayMetrics(registry, () -> breakers, metering, config.deployments().keySet(),
                java.util.Optional.ofNullable(engine), () -> ledger.deadLettered());
        metrics.registerPools(() -> backends, backends.pools().keySet());
        responseCache = new dev.llmgateway.gateway.cache.ResponseCache(
                new dev.llmgateway.gateway.cache.ResponseCache.Limits(settings.cacheMaxBytes(), settings.cacheMaxEntryBytes()),
                new dev.llmgateway.metering.ResponseCacheStore(database.dataSource()), blocking, vertx, java.time.Clock.systemUTC());
        periodic(java.time.Duration.ofMinutes(5), responseCache::purgeExpired);
        pipeline = buildPipeline();
        LOG.infof("Pipeline: %s", String.join(" -> ", pipeline.stageNames()));
    }

    /** The signed, retrying webhook sender for budget alerts, if a webhook URL is configured. */
    private java.util.Optional<dev.llmgateway.gateway.webhooks.WebhookSender> webhookSender() {
        var url = settings.budgetWebhookUrl().filter(u -> !u.isBlank());
        if (url.isEmpty()) return java.util.Optional.empty();
        webhooks = new dev.llmgateway.gateway.webhooks.WebhookSender(vertx, url.get(), settings.webhookSecret().orElseThrow(),
                new dev.llmgateway.metering.WebhookDeliveryStore(database.dataSource()), blocking,
                new dev.llmgateway.gateway.webhooks.WebhookSender.Policy(settings.webhookTimeout(), settings.webhookMaxAttempts(),
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofMinutes(1)));
        return java.util.Optional.of(webhooks);
    }

    private dev.llmgateway.gateway.webhooks.WebhookSender webhooks;
    private dev.llmgateway.gateway.cache.ResponseCache responseCache;

    /** The request pipeline, in order. Each stage is one class with one job. */
    private Pipeline buildPipeline() {
        return new Pipeline(List.of(
                new AuthenticateStage(authenticator),
                new ParseStage(),
                new RouteStage(() -> config, () -> router, this::health, () -> migrations.states(), this::budgetUsedBasisPoints,
                        () -> outputTokens),
                new AdmitStage(budgets, rateLimiter, metering, this::blocking, blocking),
                new MeterStage(metering, metrics),
                new ShadowStage(backends, metering, shadows, blocking, 16,
                        new dev.llmgateway.gateway.pipeline.ShadowJudge(backends, metering, config.judges(), config.deployments()::get,
                                judgeSpend, blocking)),
                new CaptureStage(config.datasets(), datasets, blocking),
                new RespondStage(),
                new dev.llmgateway.gateway.pipeline.CacheStage(responseCache, () -> config),
                new DispatchStage(vertx, backends, breakers)));
    }

    /** What a reload changed. */
    public record ReloadReport(String source, int providers, int deployments, java.util.Set<String> routes) {}

    /**
     * Re-reads gateway.yaml and swaps providers, deployments, routes, prices and datasets without a restart. Requests
     * already running finish on the old pipeline. Circuit breakers of deployments that still exist with the same breaker
     * settings keep their state (an open circuit stays open). Changing embedded models needs a restart.
     */
    public synchronized ReloadReport reload() {
        GatewayConfig next = ConfigLoader.load(Path.of(settings.config()), System::getenv);
        var engineNow = config.deployments().values().stream().filter(d -> d.engine().isPresent())
                .collect(java.util.stream.Collectors.toMap(GatewayConfig.Deployment::name, d -> d.engine().get()));
        var engineNext = next.deployments().values().stream().filter(d -> d.engine().isPresent())
                .collect(java.util.stream.Collectors.toMap(GatewayConfig.Deployment::name, d -> d.engine().get()));
        if (!engineNow.equals(engineNext)) {
            throw new dev.llmgateway.gateway.config.ConfigException(next.source()
                    + ": embedded models changed (deployments with an engine block); restart the gateway to load them");
        }
        Backends oldBackends = backends;
        Backends nextBackends = new Backends(vertx, next, this::embeddedBackend);
        CircuitBreakers nextBreakers = new CircuitBreakers(next.deployments().values(), breakers);
        dev.llmgateway.routing.Router nextRouter = dev.llmgateway.routing.Router.of(next.catalog());
        metering.syncPrices(next);
        next.datasets().forEach(datasets::define);
        migrations.reconfigure(next);
        dev.llmgateway.routing.Router previousRouter = router;
        config = next;
        router = nextRouter;
        shareCalibration(previousRouter);
        backends = nextBackends;
        breakers = nextBreakers;
        metrics.registerPools(() -> backends, nextBackends.pools().keySet());
        pipeline = buildPipeline();
        // Give requests still running on the old pipeline time to finish before closing its connection pools.
        vertx.setTimer(java.time.Duration.ofMinutes(15).toMillis(), id -> oldBackends.close());
        LOG.infof("Reloaded %s: routes %s", next.source(), next.routes().keySet());
        return new ReloadReport(next.source(), next.providers().size(), next.deployments().size(), next.routes().keySet());
    }

    /**
     * Publishes each complexity route's calibration window and places its cut on all fresh replicas' windows. With
     * {@code previous} (a reload) or at start, the router's fresh calibrators are first refilled: from the previous
     * router's window in this process, else from this replica's stored row, so calibration survives reloads.
     */
    private synchronized void shareCalibration(dev.llmgateway.routing.Router previous) {
        java.time.Instant now = java.time.Instant.now();
        dev.llmgateway.routing.Router current = router;
        for (String route : current.routeNames()) {
            var calibrator = current.calibrator(route);
            if (calibrator.isEmpty()) continue;
            try {
                if (!seeded.containsKey(calibrator.get())) {
                    var before = previous == null ? java.util.Optional.<dev.llmgateway.routing.ComplexityCalibrator>empty() : previous.calibrator(route);
                    java.util.Optional<int[]> counts = before.isPresent() ? java.util.Optional.of(before.get().counts())
                            : calibration.own(route, replica);
                    counts.ifPresent(calibrator.get()::seed);
                    seeded.put(calibrator.get(), Boolean.TRUE);
                }
                calibration.publish(route, replica, calibrator.get().counts(), now);
                calibrator.get().useOthers(calibration.others(route, replica, now.minus(CALIBRATION_FRESH))
                        .orElseGet(() -> new int[dev.llmgateway.routing.ComplexityCalibrator.BINS]));
            } catch (RuntimeException e) {
                LOG.warnf("sharing the complexity calibration of route %s failed: %s", route, e.getMessage());
            }
        }
    }

    /** Other replicas' windows count while they were published within this time (a stopped replica fades out). */
    private static final java.time.Duration CALIBRATION_FRESH = java.time.Duration.ofMinutes(5);
    private final java.util.Map<dev.llmgateway.routing.ComplexityCalibrator, Boolean> seeded =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Mean output tokens per deployment over the last day (at least 20 answers each), from stored usage. */
    private void refreshOutputTokens() {
        outputTokens = dev.llmgateway.routing.OutputTokenEstimates.of(
                calibration.meanOutputTokens(java.time.Instant.now().minus(java.time.Duration.ofDays(1)), 20));
    }

    /** Observed output tokens currently used by cost_quality routing. */
    public dev.llmgateway.routing.OutputTokenEstimates outputTokens() { return outputTokens; }

    /** Shares complexity calibration with the other replicas now (it also runs every 10 s). */
    public void shareCalibrationNow() { shareCalibration(null); }

    /** Re-reads observed output tokens now (it also runs every minute). */
    public void refreshOutputTokensNow() { refreshOutputTokens(); }

    /** This replica's stable name (kept in the data directory; see {@link #replicaId(Path)}). */
    public String replica() { return replica; }

    /** Validates gateway.yaml text without applying it; relative paths resolve against the configured file's folder. */
    public GatewayConfig validate(String yaml) {
        Path dir = Path.of(settings.config()).toAbsolutePath().getParent();
        return ConfigLoader.parse("submitted gateway.yaml", yaml, System::getenv, dir);
    }

    /** Posts every stored, not yet posted usage event since the start of the previous month; returns what was posted. */
    public dev.llmgateway.metering.LedgerPoster.PostReport postLedger() {
        synchronized (ledgerPassLock) {
            return ledgerPass();
        }
    }

    private dev.llmgateway.metering.LedgerPoster.PostReport ledgerPass() {
        java.time.Instant passStart = java.time.Instant.now();
        var report = ledgerFullPassDue || ledgerPassedAt == null
                ? ledger.postPending()
                // Margin: a usage batch stored by a transaction still open at the previous pass gets the earlier stored_at.
                : ledger.postPendingStoredSince(ledgerPassedAt.minus(LEDGER_PASS_MARGIN));
        ledgerFullPassDue = false;
        ledgerPassedAt = passStart;
        return report;
    }

    private static final java.time.Duration LEDGER_PASS_MARGIN = java.time.Duration.ofMinutes(5);
    private final Object ledgerPassLock = new Object();
    private volatile boolean ledgerFullPassDue = true;
    private volatile java.time.Instant ledgerPassedAt;

    /** Loads the configured rate limits into this process's limiter. */
    public synchronized void reloadRateLimits() {
        var teams = rateLimits.all(dev.llmgateway.metering.RateLimitStore.Subject.TEAM);
        var keys = rateLimits.all(dev.llmgateway.metering.RateLimitStore.Subject.KEY);
        // Limits removed since the last load are lifted here too.
        limitedTeams.stream().filter(t -> !teams.containsKey(t)).forEach(t -> rateLimiter.limitTeam(t, dev.llmgateway.metering.RateLimits.NONE));
        limitedKeys.stream().filter(k -> !keys.containsKey(k)).forEach(k -> rateLimiter.limitKey(k, dev.llmgateway.metering.RateLimits.NONE));
        teams.forEach(rateLimiter::limitTeam);
        keys.forEach(rateLimiter::limitKey);
        limitedTeams = java.util.Set.copyOf(teams.keySet());
        limitedKeys = java.util.Set.copyOf(keys.keySet());
    }

    private java.util.Set<String> limitedTeams = java.util.Set.of();
    private java.util.Set<String> limitedKeys = java.util.Set.of();

    /** The share of a team's money budget used, in basis points, for budget-aware routing (blocks). */
    private Future<java.util.OptionalInt> budgetUsedBasisPoints(String team) {
        return blocking(() -> budgets.status(team).map(s -> java.util.OptionalInt.of(s.usedBasisPoints())).orElse(java.util.OptionalInt.empty()));
    }

    /** Live health of a deployment as routing sees it. */
    private dev.llmgateway.routing.DeploymentHealth health(String deployment) {
        return breakers.state(deployment) == io.smallrye.faulttolerance.api.CircuitBreakerState.OPEN
                ? dev.llmgateway.routing.DeploymentHealth.circuitOpened() : dev.llmgateway.routing.DeploymentHealth.HEALTHY;
    }

    /**
     * The embedded deployments' models (engine model name = deployment name), prepared once, only if an embedded provider
     * exists. A model that is missing, corrupt or not downloadable makes only its deployment unavailable.
     */
    private ModelBackend embeddedBackend(GatewayConfig.Provider provider) {
        if (engine == null) {
            // Models pinned on Hugging Face are fetched in the background (once; later starts find them under
            // <data dir>/models). Endpoint and token come from env GATEWAY_HF_ENDPOINT and HF_TOKEN.
            dev.llmgateway.gateway.providers.embedded.ModelDownloader downloader = null;
            String problem = null;
            try {
                downloader = dev.llmgateway.gateway.providers.embedded.ModelDownloader.fromEnvironment(Path.of(settings.dataDir()));
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
            var embedded = config.deployments().values().stream().filter(d -> d.engine().isPresent()).toList();
            engine = dev.llmgateway.gateway.providers.embedded.EmbeddedModels.start(embedded, downloader, problem);
            LOG.infof("Embedded models: %s", engine.states().entrySet().stream()
                    .map(e -> e.getKey() + " " + dev.llmgateway.gateway.providers.embedded.EmbeddedModels.describe(e.getValue())).toList());
        }
        return new dev.llmgateway.gateway.providers.embedded.EmbeddedBackend(engine, blocking, vertx);
    }

    private void initAdminCredential() {
        if (settings.adminKey().isPresent() && !settings.adminKey().get().isBlank()) {
            adminKeyHash = TeamStore.hash(settings.adminKey().get());
            teams.setAdminCredential(adminKeyHash);
            return;
        }
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String generated = "gw-admin-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        if (teams.initAdminCredential(TeamStore.hash(generated))) {
            // Printed to the console once, deliberately not through the logger; it is never shown again.
            System.out.println("\n=== Generated admin key (shown once; set GATEWAY_ADMIN_KEY to choose your own): " + generated + " ===\n");
        }
        adminKeyHash = teams.adminCredential().orElseThrow();
    }

    /** The shortest admin key the gateway accepts. */
    public static final int ADMIN_KEY_MIN_CHARS = 32;

    /** Refuses a short or placeholder admin key: it guards everything, so guessing it must be hopeless. */
    static void checkAdminKeyStrength(String key) {
        String k = key.trim();
        String how = " Generate one with: openssl rand -hex 32 (or leave GATEWAY_ADMIN_KEY unset and the gateway generates one"
                + " on first start and prints it once).";
        if (k.length() < ADMIN_KEY_MIN_CHARS) {
            throw new IllegalStateException("GATEWAY_ADMIN_KEY is too short (" + k.length() + " characters; at least "
                    + ADMIN_KEY_MIN_CHARS + " are required)." + how);
        }
        String lower = k.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("replace_me") || lower.startsWith("change-me") || lower.startsWith("changeme")) {
            throw new IllegalStateException("GATEWAY_ADMIN_KEY is still the example placeholder." + how);
        }
    }

    /** Checks an admin key in constant time against the stored hash. */
    public boolean isAdminKey(String candidate) {
        if (candidate == null || candidate.isEmpty()) return false;
        return MessageDigest.isEqual(adminKeyHash, TeamStore.hash(candidate));
    }

    /**
     * This replica's name in budget leases, rate-limit grants and usage rows: kept in the data directory, so a
     * replica restarted on its data directory (which replays its usage journal) is the same replica.
     */
    static String replicaId(Path dataDir) {
        Path file = dataDir.resolve("replica-id");
        try {
            if (java.nio.file.Files.isRegularFile(file)) {
                String id = java.nio.file.Files.readString(file).strip();
                if (!id.isEmpty()) return id;
            }
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "gateway";
            }
            String id = host + "-" + Long.toHexString(new SecureRandom().nextLong() & 0xffffffffL);
            java.nio.file.Files.createDirectories(dataDir);
            Path tmp = dataDir.resolve("replica-id.tmp");
            java.nio.file.Files.writeString(tmp, id + "\n");
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return id;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot keep the replica id in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs blocking work (JDBC, the engine) off the event loop, on a virtual thread. */
    public <T> Future<T> blocking(java.util.concurrent.Callable<T> work) {
        return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, blocking), java.util.Objects.requireNonNullElseGet(io.vertx.core.Vertx.currentContext(), vertx::getOrCreateContext));
    }

    /** Runs blocking background work every {@code every}, on a virtual thread, never two at once; failures are logged. */
    private void periodic(java.time.Duration every, Runnable work) {
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();
        timers.add(vertx.setPeriodic(every.toMillis(), id -> {
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

    void stop(@Observes ShutdownEvent ev) {
        timers.forEach(vertx::cancelTimer);
        if (webhooks != null) webhooks.close();
        if (backends != null) backends.close();
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
        blocking.shutdown();
    }

    public GatewayConfig config() { return config; }
    public Database database() { return database; }
    public TeamStore teams() { return teams; }
    public Authenticator authenticator() { return authenticator; }
    public CircuitBreakers breakers() { return breakers; }
    public Pipeline pipeline() { return pipeline; }
    /** The embedded deployments' models; empty when no provider is of type embedded. */
    public java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> engine() { return java.util.Optional.ofNullable(engine); }
    public dev.llmgateway.gateway.metering.Metering metering() { return metering; }
    public dev.llmgateway.routing.Router router() { return router; }
    public dev.llmgateway.gateway.migration.Migrations migrations() { return migrations; }
    public dev.llmgateway.metering.ShadowStore shadows() { return shadows; }
    public dev.llmgateway.metering.DatasetStore datasets() { return datasets; }
    public dev.llmgateway.metering.BudgetGuard budgets() { return budgets; }
    public dev.llmgateway.metering.RateLimitStore rateLimits() { return rateLimits; }
    public dev.llmgateway.metering.RateLimiter rateLimiter() { return rateLimiter; }
    public String replicaId() { return replicaId; }
    public dev.llmgateway.metering.LedgerPoster ledger() { return ledger; }
}
