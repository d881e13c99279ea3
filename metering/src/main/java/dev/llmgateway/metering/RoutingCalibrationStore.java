package dev.llmgateway.metering;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What routing learns from traffic and shares across replicas: complexity score histograms per route and replica,
 * and the mean output tokens of each deployment's recent answers (from stored usage).
 */
public final class RoutingCalibrationStore {
    private final DataSource db;

    public RoutingCalibrationStore(DataSource db) { this.db = db; }

    /** Stores (replaces) this replica's histogram of a route. */
    public void publish(String route, String replica, int[] bins, Instant at) {
        long samples = 0;
        for (int b : bins) {
            if (b < 0) throw new IllegalArgumentException("bin counts must be >= 0");
            samples += b;
        }
        String sql = "INSERT INTO complexity_calibration (route, replica, bins, samples, updated_at) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (route, replica) DO UPDATE SET bins = EXCLUDED.bins, samples = EXCLUDED.samples, "
                + "updated_at = EXCLUDED.updated_at";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            Integer[] boxed = new Integer[bins.length];
            for (int i = 0; i < bins.length; i++) boxed[i] = bins[i];
            ps.setString(1, route);
            ps.setString(2, replica);
            ps.setArray(3, c.createArrayOf("integer", boxed));
            ps.setInt(4, Math.toIntExact(samples));
            ps.setTimestamp(5, Timestamp.from(at));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("publishing the complexity calibration of route " + route, e);
        }
    }

    /** This replica's stored histogram of a route, if any. */
    public Optional<int[]> own(String route, String replica) {
        String sql = "SELECT bins FROM complexity_calibration WHERE route = ? AND replica = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setString(2, replica);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(ints(rs.getArray(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the complexity calibration of route " + route, e);
        }
    }

    /** The summed histograms of the other replicas updated at or after {@code freshSince}; empty when there are none. */
    public Optional<int[]> others(String route, String replica, Instant freshSince) {
        String sql = "SELECT bins FROM complexity_calibration WHERE route = ? AND replica <> ? AND updated_at >= ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setString(2, replica);
            ps.setTimestamp(3, Timestamp.from(freshSince));
            try (ResultSet rs = ps.executeQuery()) {
                int[] sum = null;
                while (rs.next()) {
                    int[] b = ints(rs.getArray(1));
                    if (sum == null) sum = new int[b.length];
                    for (int i = 0; i < b.length; i++) sum[i] = Math.addExact(sum[i], b[i]);
                }
                return Optional.ofNullable(sum);
            }
        } catch (SQLException e) {
            throw new StoreException("reading other replicas' complexity calibration of route " + route, e);
        }
    }

    /**
     * Mean completion tokens of each deployment's successful, non-shadow answers since {@code since}, rounded, for
     * deployments with at least {@code minAnswers} such answers.
     */
    public Map<String, Long> meanOutputTokens(Instant since, int minAnswers) {
        String sql = "SELECT deployment, round(avg(completion_tokens))::bigint FROM usage_events "
                + "WHERE time >= ? AND NOT shadow AND http_status < 400 GROUP BY deployment HAVING count(*) >= ? ORDER BY 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(since));
            ps.setInt(2, minAnswers);
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, Long> out = new LinkedHashMap<>();
                while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading mean output tokens", e);
        }
    }

    private static int[] ints(Array a) throws SQLException {
        Object[] values = (Object[]) a.getArray();
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = ((Number) values[i]).intValue();
        return out;
    }
}
