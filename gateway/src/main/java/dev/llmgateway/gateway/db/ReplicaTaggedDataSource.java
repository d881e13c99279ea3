package dev.llmgateway.gateway.db;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands out connections whose session names this replica ({@code gateway.replica_id}), so the rows the usage writer
 * inserts record which replica stored them (the column's default reads the setting). Budget leases of a replica that
 * was killed are reconciled from exactly those rows.
 */
public final class ReplicaTaggedDataSource implements DataSource {
    private final DataSource delegate;
    private final String replicaId;

    public ReplicaTaggedDataSource(DataSource delegate, String replicaId) {
        this.delegate = Objects.requireNonNull(delegate);
        this.replicaId = Objects.requireNonNull(replicaId);
    }

    private Connection tag(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('gateway.replica_id', ?, false)")) {
            ps.setString(1, replicaId);
            ps.execute();
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override
    public Connection getConnection() throws SQLException { return tag(delegate.getConnection()); }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return tag(delegate.getConnection(username, password));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException { return delegate.getLogWriter(); }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException { delegate.setLogWriter(out); }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException { delegate.setLoginTimeout(seconds); }

    @Override
    public int getLoginTimeout() throws SQLException { return delegate.getLoginTimeout(); }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException { return delegate.getParentLogger(); }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException { return delegate.unwrap(iface); }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException { return delegate.isWrapperFor(iface); }
}
