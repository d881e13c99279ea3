package dev.llmgateway.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.Optional;

/**
 * Process settings (environment variables or application.properties). Providers, deployments and routes live in
 * gateway.yaml instead; see docs/configuration.md.
 */
@ConfigMapping(prefix = "gateway")
public interface GatewaySettings {
    /** Path of gateway.yaml (env GATEWAY_CONFIG). */
    @WithDefault("gateway.yaml")
    String config();

    /** Where the embedded database, usage journal and downloaded models live (env GATEWAY_DATA_DIR). */
    @WithName("data-dir")
    @WithDefault("./data")
    String dataDir();

    /** JDBC URL of an external PostgreSQL; unset means the embedded one (env GATEWAY_DB_URL). */
    @WithName("db-url")
    Optional<String> dbUrl();

    /** Env GATEWAY_DB_USER. */
    @WithName("db-user")
    Optional<String> dbUser();

    /** Env GATEWAY_DB_PASSWORD. */
    @WithName("db-password")
    Optional<String> dbPassword();

    /** Env GATEWAY_DB_POOL_SIZE. */
    @WithName("db-pool-size")
    @WithDefault("16")
    int dbPoolSize();

    /** How long the embedded PostgreSQL may take to accept connections at start, crash recovery included (env GATEWAY_DB_START_TIMEOUT). */
    @WithName("db-start-timeout")
    @WithDefault("60s")
    java.time.Duration dbStartTimeout();

    /** The admin key (env GATEWAY_ADMIN_KEY); unset means one is generated on first start and printed once. */
    @WithName("admin-key")
    Optional<String> adminKey();

    /** A URL that receives budget alerts as JSON POSTs (env GATEWAY_BUDGET_WEBHOOK_URL); unset: alerts are only logged. */
    @WithName("budget-webhook-url")
    Optional<String> budgetWebhookUrl();

    /** {@code text} (default) or {@code json}: one JSON object per log line (env GATEWAY_LOG_FORMAT). */
    @WithName("log-format")
    @WithDefault("text")
    String logFormat();

    /** The source checkout's root; set by the Maven build so tests can find testdata/models. Unused in production. */
    @WithName("project.root")
    Optional<String> projectRoot();

    /** Bound of the usage journal on disk (env GATEWAY_JOURNAL_MAX_BYTES); at the bound new requests are refused. */
    @WithName("journal-max-bytes")
    @WithDefault("2147483648")
    long journalMaxBytes();

    /** Size of one usage-journal segment file (env GATEWAY_JOURNAL_SEGMENT_BYTES); at most a quarter of the bound. */
    @WithName("journal-segment-bytes")
    @WithDefault("67108864")
    long journalSegmentBytes();

    /**
     * When a usage record counts as safe, so the answer's last byte may be released (env GATEWAY_METERING_DURABILITY):
     * {@code process} (default: written to the journal file: survives a crash or kill -9 of the gateway; fsynced in the
     * background within 5 ms) or {@code machine} (fsynced first: also survives power loss). Read at start only; see
     * docs/metering.md, "Durability modes", for the measurements behind the default.
     */
    @WithName("metering-durability")
    @WithDefault("process")
    String meteringDurability();

    /**
     * What to do when the usage journal cannot take a record (env GATEWAY_ON_JOURNAL_FAILURE): {@code refuse} (default:
     * 503 metering_unavailable before any upstream call, readiness DOWN) or {@code serve-unmetered} (answer anyway;
     * every such answer is logged and counted in gateway_unmetered_answers_total).
     */
    @WithName("on-journal-failure")
    @WithDefault("refuse")
    String onJournalFailure();

    /** Largest accepted request body on /v1 (env GATEWAY_MAX_BODY_BYTES). */
    @WithName("max-body-bytes")
    @WithDefault("4194304")
    long maxBodyBytes();

    /** Connections open at once before new ones get 503 (env GATEWAY_EDGE_MAX_CONNECTIONS). */
    @WithName("edge-max-connections")
    @WithDefault("10000")
    int edgeMaxConnections();

    /** How long an authenticated request body may take to arrive (env GATEWAY_EDGE_BODY_TIMEOUT). */
    @WithName("edge-body-timeout")
    @WithDefault("30s")
    java.time.Duration edgeBodyTimeout();

    /** Request bodies one client address may be sending at once (env GATEWAY_EDGE_BODY_READS_PER_ADDRESS). */
    @WithName("edge-body-reads-per-address")
    @WithDefault("64")
    int edgeBodyReadsPerAddress();

    /** Failed /v1 authentications per address and window before 429 (env GATEWAY_EDGE_AUTH_FAILURES). */
    @WithName("edge-auth-failures")
    @WithDefault("20")
    int edgeAuthFailures();

    /** Failed admin authentications per address and window before 429 (env GATEWAY_EDGE_ADMIN_AUTH_FAILURES). */
    @WithName("edge-admin-auth-failures")
    @WithDefault("5")
    int edgeAdminAuthFailures();

    /** The window of both failed-authentication counts (env GATEWAY_EDGE_AUTH_FAILURE_WINDOW). */
    @WithName("edge-auth-failure-window")
    @WithDefault("60s")
    java.time.Duration edgeAuthFailureWindow();

    /** API key lookups in PostgreSQL at once (env GATEWAY_KEY_LOOKUP_CONCURRENCY). */
    @WithName("key-lookup-concurrency")
    @WithDefault("8")
    int keyLookupConcurrency();

    /** Key lookups allowed to wait; beyond that 503 (env GATEWAY_KEY_LOOKUP_QUEUE). */
    @WithName("key-lookup-queue")
    @WithDefault("256")
    int keyLookupQueue();

    /** How long an unknown key hash is remembered as unknown (env GATEWAY_UNKNOWN_KEY_TTL). */
    @WithName("unknown-key-ttl")
    @WithDefault("60s")
    java.time.Duration unknownKeyTtl();

    /** Serve the OpenAPI document and Swagger UI publicly (env GATEWAY_API_DOCS); off by default. */
    @WithName("api-docs")
    @WithDefault("false")
    boolean apiDocs();

    /** Hard connection cap past which connections are refused without an answer (env GATEWAY_EDGE_HARD_MAX_CONNECTIONS); read by application.properties. */
    @WithName("edge-hard-max-connections")
    @WithDefault("10500")
    int edgeHardMaxConnections();

    /** A connection without any traffic is closed after this (env GATEWAY_EDGE_IDLE_TIMEOUT); read by application.properties. */
    @WithName("edge-idle-timeout")
    @WithDefault("15M")
    String edgeIdleTimeout();

    /** The HMAC-SHA256 key that signs webhooks (env GATEWAY_WEBHOOK_SECRET); required with a webhook URL. */
    @WithName("webhook-secret")
    Optional<String> webhookSecret();

    /** Timeout of one webhook attempt (env GATEWAY_WEBHOOK_TIMEOUT). */
    @WithName("webhook-timeout")
    @WithDefault("5s")
    java.time.Duration webhookTimeout();

    /** Webhook attempts in total before a delivery is marked failed (env GATEWAY_WEBHOOK_MAX_ATTEMPTS). */
    @WithName("webhook-max-attempts")
    @WithDefault("6")
    int webhookMaxAttempts();

    /** A kept-alive connection with no new request for this long after its last answer is closed (env GATEWAY_EDGE_KEEP_ALIVE_TIMEOUT). */
    @WithName("edge-keep-alive-timeout")
    @WithDefault("60s")
    java.time.Duration edgeKeepAliveTimeout();

    /** Bytes of cached answers the response cache keeps in this process, at most (env GATEWAY_CACHE_MAX_BYTES; docs/cache.md). */
    @WithName("cache-max-bytes")
    @WithDefault("268435456")
    long cacheMaxBytes();

    /** The largest single answer the response cache keeps, in bytes (env GATEWAY_CACHE_MAX_ENTRY_BYTES). */
    @WithName("cache-max-entry-bytes")
    @WithDefault("1048576")
    long cacheMaxEntryBytes();
}
