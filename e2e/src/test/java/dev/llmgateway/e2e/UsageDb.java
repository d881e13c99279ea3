package dev.llmgateway.e2e;

import dev.llmgateway.metering.UsageQueries;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** Reads the usage the gateways stored, straight from PostgreSQL over JDBC. */
final class UsageDb {
    private final PGSimpleDataSource ds = new PGSimpleDataSource();

    UsageDb(int port) {
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName("postgres");
        ds.setUser("postgres");
        ds.setConnectTimeout(5);
        ds.setSocketTimeout(30);
    }

    static String jdbcUrl(int port) { return "jdbc:postgresql://127.0.0.1:" + port + "/postgres"; }

    DataSource dataSource() { return ds; }

    UsageQueries queries() { return new UsageQueries(ds); }

    long rows() {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM usage_events")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Request ids stored more than once, with their counts (must be empty). */
    Map<String, Long> duplicates() {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT request_id, count(*) FROM usage_events GROUP BY request_id HAVING count(*) > 1 LIMIT 100")) {
            while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Which of these request ids have a row in usage_events. */
    Set<String> present(Set<String> ids) {
        Set<String> out = new HashSet<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT DISTINCT request_id FROM usage_events WHERE request_id = ANY(?)")) {
            Array arr = c.createArrayOf("text", ids.toArray());
            ps.setArray(1, arr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Holds a lock that blocks inserts into {@code usage_request_ids} (hence every usage batch) until closed, so that
     * acknowledged usage piles up in the gateway's journal only. Reads of usage_events are not blocked.
     */
    AutoCloseable blockUsageInserts() throws SQLException {
        Connection c = ds.getConnection();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE usage_request_ids IN SHARE ROW EXCLUSIVE MODE");
        }
        return () -> {
            try (c) {
                c.rollback();
            }
        };
    }

    /** Sum of team_charge_micros (exact numeric) of a team's usage rows, rounded up to whole micro-USD. */
    long teamChargeMicros(String team) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ceil(coalesce(sum(team_charge_micros), 0))::bigint FROM usage_events WHERE team_id = ?")) {
            ps.setString(1, team);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until every one of {@code ids} is stored and the row count has not changed for {@code quietMs}, or the
     * timeout passes; returns the ids still missing (empty on success). Transient connection errors count as "not yet".
     */
    Set<String> awaitStored(Set<String> ids, long timeoutMs, long quietMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        long lastRows = -1;
        long stableSince = System.currentTimeMillis();
        Set<String> missing = new HashSet<>(ids);
        while (true) {
            try {
                long rows = rows();
                if (rows != lastRows) {
                    lastRows = rows;
                    stableSince = System.currentTimeMillis();
                }
                if (!missing.isEmpty()) missing.removeAll(present(missing));
                if (missing.isEmpty() && System.currentTimeMillis() - stableSince >= quietMs) return missing;
            } catch (IllegalStateException e) {
                // the database may still be coming back
            }
            if (System.currentTimeMillis() > deadline) return missing;
            GatewayProcess.sleep(250);
        }
    }
}
