package dev.llmgateway.metering;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** Applies the gateway's PostgreSQL schema (Flyway migrations under {@code db/migration}). */
public final class Schema {
    private Schema() {}

    /** Migrates the database to the newest schema version; returns the number of migrations applied. */
    public static int migrate(DataSource dataSource) {
        return Flyway.configure(Schema.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate()
                .migrationsExecuted;
    }
}
