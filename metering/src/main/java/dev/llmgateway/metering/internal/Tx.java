package dev.llmgateway.metering.internal;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The one JDBC transaction idiom of metering: commit when the work returns, roll back when it throws anything
 * (SQLException, RuntimeException, Error) and rethrow it unchanged; the connection's autocommit (and isolation level,
 * when one is asked) is restored afterwards. Work that decides to change nothing simply returns: committing a
 * transaction that wrote nothing is the same as rolling it back (row locks and transaction-scoped advisory locks are
 * released either way). Callers wrap the SQLException in their own {@code StoreException} with their message.
 */
public final class Tx {
    private Tx() {}

    /** Work inside a transaction on {@code c}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Read-only work over a server-side cursor that may also write its output somewhere. */
    @FunctionalInterface
    public interface CursorWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /** Runs {@code work} in one transaction on a fresh connection of {@code db}. */
    public static <T> T inTransaction(DataSource db, Work<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            return inTransaction(c, work);
        }
    }

    /**
     * Runs {@code work} in one transaction at {@code isolation} (a {@code Connection.TRANSACTION_*} level) on a fresh
     * connection of {@code db}; the connection's level is restored afterwards.
     */
    public static <T> T inTransaction(DataSource db, int isolation, Work<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            int before = c.getTransactionIsolation();
            c.setTransactionIsolation(isolation); // before the transaction's first statement
            T result;
            try {
                result = inTransaction(c, work);
            } catch (SQLException | RuntimeException | Error e) {
                restoreIsolation(c, before, e);
                throw e;
            }
            if (before != isolation) c.setTransactionIsolation(before);
            return result;
        }
    }

    /**
     * Runs {@code work} in one transaction on {@code c}: commits when it returns, rolls back and rethrows when it throws
     * (a rollback failure is attached to the original failure as suppressed). Autocommit is restored to what it was.
     */
    public static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        T result;
        try {
            result = work.run(c);
            c.commit();
        } catch (SQLException | RuntimeException | Error e) {
            rollBack(c, autoCommit, e);
            throw e;
        }
        if (autoCommit) c.setAutoCommit(true);
        return result;
    }

    /**
     * Runs read-only {@code work} on a fresh connection of {@code db} with autocommit off, which lets the PostgreSQL
     * driver stream a query with a cursor (by its fetch size) instead of loading every row; the transaction is always
     * rolled back, since it reads only.
     */
    public static <T> T readOnlyCursor(DataSource db, CursorWork<T> work) throws SQLException, IOException {
        try (Connection c = db.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            T result;
            try {
                result = work.run(c);
            } catch (SQLException | IOException | RuntimeException | Error e) {
                rollBack(c, autoCommit, e);
                throw e;
            }
            c.rollback();
            if (autoCommit) c.setAutoCommit(true);
            return result;
        }
    }

    /** After {@code failure}: rolls back and restores autocommit, attaching whatever fails meanwhile to {@code failure}. */
    private static void rollBack(Connection c, boolean autoCommit, Throwable failure) {
        try {
            c.rollback();
        } catch (SQLException rollback) {
            failure.addSuppressed(rollback);
        }
        restoreAutoCommit(c, autoCommit, failure);
    }

    private static void restoreAutoCommit(Connection c, boolean autoCommit, Throwable failure) {
        if (!autoCommit) return;
        try {
            c.setAutoCommit(true);
        } catch (SQLException restore) {
            failure.addSuppressed(restore);
        }
    }

    private static void restoreIsolation(Connection c, int isolation, Throwable failure) {
        try {
            if (c.getTransactionIsolation() != isolation) c.setTransactionIsolation(isolation);
        } catch (SQLException restore) {
            failure.addSuppressed(restore);
        }
    }
}
