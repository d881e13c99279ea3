package dev.llmgateway.gateway.db;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalPropertiesReader;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The gateway's PostgreSQL: an external server when {@code GATEWAY_DB_URL} is set, otherwise an embedded real
 * PostgreSQL whose data lives in {@code <data dir>/postgres} and survives restarts. Connections are pooled (Agroal).
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class);

    private final EmbeddedPostgres embedded;
    private final AgroalDataSource pool;
    private final String description;

    private Database(EmbeddedPostgres embedded, AgroalDataSource pool, String description) {
        this.embedded = embedded;
        this.pool = pool;
        this.description = description;
    }

    public static Database open(Optional<String> url, Optional<String> user, Optional<String> password, Path dataDir, int poolSize) {
        EmbeddedPostgres embedded = null;
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
            Path dir = dataDir.resolve("postgres").toAbsolutePath();
            try {
                Files.createDirectories(dir);
                embedded = EmbeddedPostgres.builder()
                        .setDataDirectory(dir)
                        .setCleanDataDirectory(false)
                        .setServerConfig("max_connections", "200")
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("could not start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
            }
            jdbcUrl = embedded.getJdbcUrl("postgres", "postgres");
            u = "postgres";
            p = "";
            description = "embedded PostgreSQL (data in " + dir + ", port " + embedded.getPort() + ")";
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

    /** Strips credentials that may be embedded in a JDBC URL's query string. */
    static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password|user)=[^&]*", "$1=***");
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) closeQuietly(embedded);
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException e) {
            LOG.warn("stopping the embedded PostgreSQL failed", e);
        }
    }
}
