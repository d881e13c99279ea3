package dev.llmgateway.metering;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for tests: one embedded server per JVM, a fresh migrated database per call to {@link #fresh()}.
 * Set {@code GATEWAY_TEST_DB_URL} (+ {@code _USER}, {@code _PASSWORD}) to use an external server instead.
 */
public final class TestDatabase {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabase() {}

    /** A new, empty database with the full schema applied. */
    public static synchronized DataSource fresh() {
        DataSource ds = empty();
        Schema.migrate(ds);
        return ds;
    }

    /** A new database without any schema (for migration tests). */
    public static synchronized DataSource empty() {
        try {
            if (server == null) server = EmbeddedPostgres.builder().start();
            String name = "t" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
            try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            return server.getDatabase("postgres", name);
        } catch (IOException e) {
            throw new UncheckedIOException("starting embedded PostgreSQL", e);
        } catch (SQLException e) {
            throw new IllegalStateException("creating a test database", e);
        }
    }
}
