package dev.llmgateway.metering;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** A DataSource whose target can be swapped, to simulate PostgreSQL going away and coming back. */
final class SwitchableDataSource implements DataSource {
    private final AtomicReference<DataSource> target;

    SwitchableDataSource(DataSource initial) { target = new AtomicReference<>(initial); }

    void switchTo(DataSource ds) { target.set(ds); }

    /** A server that is not there: a closed port on loopback. */
    static DataSource unreachable() {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {1});
        ds.setDatabaseName("nowhere");
        ds.setUser("postgres");
        ds.setConnectTimeout(1);
        return ds;
    }

    @Override public Connection getConnection() throws SQLException { return target.get().getConnection(); }
    @Override public Connection getConnection(String u, String p) throws SQLException { return target.get().getConnection(u, p); }
    @Override public PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(PrintWriter out) {}
    @Override public void setLoginTimeout(int seconds) {}
    @Override public int getLoginTimeout() { return 0; }
    @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> iface) { return false; }
}
