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

    /** The source checkout's root; set by the Maven build so tests can find ../shared/models. Unused in production. */
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
}
