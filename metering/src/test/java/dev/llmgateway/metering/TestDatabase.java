package dev.llmgateway.metering;

import dev.llmgateway.testsupport.TestPostgres;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for tests: one server per JVM ({@link TestPostgres}: embedded by default, a container of the
 * production version with {@code -Dgateway.test.db=testcontainers}), a fresh migrated database per call to {@link #fresh()}.
 */
public final class TestDatabase {
    private TestDatabase() {}

    /** A new, empty database with the full schema applied. */
    public static synchronized DataSource fresh() {
        DataSource ds = empty();
        Schema.migrate(ds);
        return ds;
    }

    /** A new database without any schema (for migration tests). */
    public static synchronized DataSource empty() {
        return TestPostgres.dataSource(TestPostgres.freshDatabase("t"));
    }
}
