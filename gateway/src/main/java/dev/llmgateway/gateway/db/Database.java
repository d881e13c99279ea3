package dev.llmgateway.gateway.db;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalPropertiesReader;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The gateway's PostgreSQL: an external server when {@code GATEWAY_DB_URL} is set, otherwise an embedded real
 * PostgreSQL whose data lives in {@code <data dir>/postgres} and survives restarts: a durable, supervised child process
 * ({@link EmbeddedPostgresServer}). Connections are pooled (Agroal).
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class);

    private final EmbeddedPostgresServer embedded;
    private final AgroalDataSource pool;
    private final String description;

    private Database(EmbeddedPostgresServer embedded, AgroalDataSource pool, String description) {
        this.embedded = embedded;
        this.pool = pool;
        this.description = description;
    }

    public static Database open(Optional<String> url, Optional<String> user, Optional<String> password, Path dataDir, int poolSize) {
        return open(url, user, password, dataDir, poolSize, Duration.ofSeconds(60));
    }

    /**
     * @param startTimeout how long the embedded PostgreSQL may take to accept connections (crash recovery after a
     *                     kill can take a while); unused with an external server
     */
    public static Database open(Optional<String> url, Optional<String> user, Optional<String> password, Path dataDir, int poolSize,
                                Duration startTimeout) {
        EmbeddedPostgresServer embedded = null;
        String jdbcUrl;
        String u;
        String p;
        String description;
        if (url.isPresent() && !url.get().isBlank()) {
            jdbcUrl = url.get();
            u = user.orElse("postgres");
            p = password.orElse("");
            description = "external PostgreSQL at " + redact(jdbcUrl);
        } else {
            embedded = EmbeddedPostgresServer.start(dataDir, startTimeout);
            jdbcUrl = embedded.jdbcUrl();
            u = "postgres";
            p = "";
            description = "embedded PostgreSQL (data in " + embedded.pgData() + ", port " + embedded.port() + ", log " + embedded.logFile() + ")";
        }
        try {
            Map<String, String> props = new java.util.LinkedHashMap<>();
            props.put(AgroalPropertiesReader.JDBC_URL, jdbcUrl);
            props.put(AgroalPropertiesReader.PRINCIPAL, u);
            props.put(AgroalPropertiesReader.CREDENTIAL, p);
            props.put(AgroalPropertiesReader.MAX_SIZE, Integer.toString(poolSize));
            props.put(AgroalPropertiesReader.MIN_SIZE, "1");
            props.put(AgroalPropertiesReader.INITIAL_SIZE, "1");
            props.put(AgroalPropertiesReader.ACQUISITION_TIMEOUT_S, "5");
            props.put(AgroalPropertiesReader.VALIDATION_TIMEOUT_S, "2");
            // After PostgreSQL restarts, broken connections must be noticed and replaced, not handed out again.
            props.put(AgroalPropertiesReader.CONNECTION_VALIDATOR, "default");
            props.put(AgroalPropertiesReader.VALIDATE_ON_BORROW, "true");
            props.put(AgroalPropertiesReader.IDLE_VALIDATION_S, "30");
            props.put(AgroalPropertiesReader.EXCEPTION_SORTER, "postgresql");
            AgroalDataSource pool = AgroalDataSource.from(new AgroalPropertiesReader().readProperties(props).get());
            LOG.infof("Database: %s", description);
            return new Database(embedded, pool, description);
        } catch (SQLException e) {
            if (embedded != null) closeQuietly(embedded);
            throw new IllegalStateException("could not create the connection pool for " + redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
    }

    public DataSource dataSource() { return pool; }

    public String description() { return description; }

    /** The embedded server, when this is not an external database. */
    public Optional<EmbeddedPostgresServer> embedded() { return Optional.ofNullable(embedded); }

    /** Strips credentials that may be embedded in a JDBC URL's query string. */
    static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password|user)=[^&]*", "$1=***");
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) closeQuietly(embedded);
    }

    private static void closeQuietly(EmbeddedPostgresServer pg) {
        try {
            pg.close();
        } catch (RuntimeException e) {
            LOG.warn("stopping the embedded PostgreSQL failed", e);
        }
    }
}
