package dev.llmgateway.metering.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.metering.TestDatabase;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link Tx} against the real test PostgreSQL: what it commits, what it rolls back, and the connection state it leaves. */
class TxTest {
    private static DataSource db;

    @BeforeAll
    static void database() throws SQLException {
        db = TestDatabase.empty();
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE tx_rows (name text PRIMARY KEY)");
        }
    }

    private static void insert(Connection c, String name) throws SQLException {
        try (var ps = c.prepareStatement("INSERT INTO tx_rows (name) VALUES (?)")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    /** Seen from another connection, so only committed rows count. */
    private static boolean stored(String name) throws SQLException {
        try (Connection c = db.getConnection(); var ps = c.prepareStatement("SELECT 1 FROM tx_rows WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Test
    void commitsTheWorkAndReturnsItsResult() throws SQLException {
        int result = Tx.inTransaction(db, c -> {
            insert(c, "committed-a");
            insert(c, "committed-b");
            return 42;
        });
        assertThat(result).isEqualTo(42);
        assertThat(stored("committed-a")).isTrue();
        assertThat(stored("committed-b")).isTrue();
    }

    @Test
    void rollsBackAndRethrowsTheSameSqlRuntimeOrError() throws SQLException {
        SQLException sql = new SQLException("refused", "23505");
        RuntimeException runtime = new IllegalStateException("broken invariant");
        Error error = new AssertionError("fatal");
        String[] names = {"sql", "runtime", "error"};
        Throwable[] failures = {sql, runtime, error};
        for (int i = 0; i < names.length; i++) {
            String name = "rolled-back-" + names[i];
            Throwable failure = failures[i];
            assertThatThrownBy(() -> Tx.inTransaction(db, c -> {
                insert(c, name);
                assertThat(stored(name)).as("not visible before commit").isFalse();
                if (failure instanceof SQLException s) throw s;
                if (failure instanceof RuntimeException r) throw r;
                throw (Error) failure;
            })).isSameAs(failure);
            assertThat(stored(name)).as(name).isFalse();
        }
    }

    @Test
    void aFailingStatementRollsBackEarlierWritesOfTheTransaction() throws SQLException {
        Tx.inTransaction(db, c -> { insert(c, "dup"); return null; });
        assertThatThrownBy(() -> Tx.inTransaction(db, c -> {
            insert(c, "before-dup");
            insert(c, "dup"); // unique violation
            return null;
        })).isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
        assertThat(stored("before-dup")).isFalse();
    }

    @Test
    void restoresAutocommitOnTheConnectionAfterSuccessAndFailure() throws SQLException {
        try (Connection c = db.getConnection()) {
            assertThat(c.getAutoCommit()).isTrue();
            Tx.inTransaction(c, tx -> {
                assertThat(tx.getAutoCommit()).isFalse();
                insert(tx, "autocommit-ok");
                return null;
            });
            assertThat(c.getAutoCommit()).isTrue();
            assertThatThrownBy(() -> Tx.inTransaction(c, tx -> {
                insert(tx, "autocommit-failed");
                throw new IllegalArgumentException("no");
            })).hasMessage("no");
            assertThat(c.getAutoCommit()).isTrue();
            insert(c, "autocommit-after"); // autocommitted: visible to others at once
            assertThat(stored("autocommit-after")).isTrue();
            assertThat(stored("autocommit-ok")).isTrue();
            assertThat(stored("autocommit-failed")).isFalse();

            c.setAutoCommit(false);
            Tx.inTransaction(c, tx -> { insert(tx, "manual"); return null; });
            assertThat(c.getAutoCommit()).as("left as the caller had it").isFalse();
            assertThat(stored("manual")).isTrue();
        }
    }

    @Test
    void runsAtTheAskedIsolationLevelAndRestoresIt() throws SQLException {
        try (Connection c = db.getConnection()) {
            assertThat(level(c)).isEqualTo("read committed");
        }
        String inside = Tx.inTransaction(db, Connection.TRANSACTION_REPEATABLE_READ, c -> {
            insert(c, "repeatable");
            return level(c);
        });
        assertThat(inside).isEqualTo("repeatable read");
        assertThat(stored("repeatable")).isTrue();
        assertThatThrownBy(() -> Tx.inTransaction(db, Connection.TRANSACTION_SERIALIZABLE, c -> {
            insert(c, "serializable-failed");
            throw new IllegalStateException(level(c));
        })).hasMessage("serializable");
        assertThat(stored("serializable-failed")).isFalse();
    }

    @Test
    void aReadOnlyCursorReturnsItsResultAndNeverCommits() throws SQLException, IOException {
        long n = Tx.readOnlyCursor(db, c -> {
            assertThat(c.getAutoCommit()).as("autocommit off lets the driver use a cursor").isFalse();
            insert(c, "cursor-write"); // not meant to happen in read-only work; shows that nothing is committed
            try (var ps = c.prepareStatement("SELECT count(*) FROM tx_rows")) {
                ps.setFetchSize(1);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        assertThat(n).isPositive();
        assertThat(stored("cursor-write")).isFalse();
        IOException io = new IOException("client went away");
        assertThatThrownBy(() -> Tx.readOnlyCursor(db, c -> { throw io; })).isSameAs(io);
    }

    private static String level(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW transaction_isolation")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
