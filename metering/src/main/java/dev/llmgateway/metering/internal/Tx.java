package dev.llmgateway.metering.internal;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The one JDBC transaction idiom of metering: commit when the work returns, roll back when it throws (and rethrow). */
public final class Tx {
    private Tx() {}

    /** Work inside a transaction on {@code c}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction on a fresh connection of {@code db}. */
    public static <T> T inTransaction(DataSource db, Work<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            return inTransaction(c, work);
        }
    }

    /** Runs {@code work} in one transaction on {@code c}; a rollback failure is attached to the original failure. */
    public static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
    }
}
