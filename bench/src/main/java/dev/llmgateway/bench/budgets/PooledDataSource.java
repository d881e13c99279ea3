package dev.llmgateway.bench.budgets;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A minimal connection pool for the benchmark, standing in for the gateway's pooled datasource (Agroal): closing a
 * connection returns it to the pool instead of ending the PostgreSQL backend.
 */
final class PooledDataSource implements DataSource {
    private final DataSource target;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

    PooledDataSource(DataSource target) { this.target = target; }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c = idle.poll();
        if (c == null || c.isClosed()) c = target.getConnection();
        Connection real = c;
        real.setAutoCommit(true);
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        if (!closed.compareAndSet(false, true)) return null; // closing twice is a no-op (JDBC)
                        if (!real.getAutoCommit()) real.rollback();
                        idle.offer(real);
                        return null;
                    }
                    if (method.getName().equals("isClosed")) return closed.get();
                    if (closed.get()) throw new SQLException("connection is closed");
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override public Connection getConnection(String u, String p) throws SQLException { return getConnection(); }
    @Override public PrintWriter getLogWriter() throws SQLException { return target.getLogWriter(); }
    @Override public void setLogWriter(PrintWriter out) throws SQLException { target.setLogWriter(out); }
    @Override public void setLoginTimeout(int seconds) throws SQLException { target.setLoginTimeout(seconds); }
    @Override public int getLoginTimeout() throws SQLException { return target.getLoginTimeout(); }
    @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> iface) { return false; }
}
