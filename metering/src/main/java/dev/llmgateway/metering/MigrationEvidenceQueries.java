package dev.llmgateway.metering;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The evidence a migration stage is judged on, aggregated in SQL: feedback and shadow verdicts clustered per end
 * user (the routing sticky key: {@code user:<end_user>}, else {@code key:<key id>}), and per-side traffic with the
 * latency distribution. Read-only.
 */
public final class MigrationEvidenceQueries {
    /** The routing sticky key of a usage row. */
    static final String STICKY_KEY_SQL = "COALESCE('user:' || e.end_user, 'key:' || e.key_id, 'team:' || e.team_id)";
    private static final String ERROR_SQL = "(http_status >= 500 OR http_status IN (408, 429))";
    private static final String PERCENTILES_SQL;

    static {
        StringBuilder sb = new StringBuilder("ARRAY[");
        for (int i = 0; i <= 100; i++) sb.append(i == 0 ? "" : ",").append(i / 100.0);
        PERCENTILES_SQL = sb.append("]::float8[]").toString();
    }

    /**
     * Feedback of one side clustered per end user: {@code users} end users gave {@code scores} (latest) scores;
     * {@code sumOfUserMeans} and {@code sumOfSquaredUserMeans} are over the users' mean scores in [0,1].
     */
    public record UserScores(DeploymentClass side, long users, long scores, double sumOfUserMeans,
                             double sumOfSquaredUserMeans) {}

    /**
     * Judged shadow comparisons between the migration's two deployments, from the open ({@code to}) deployment's point
     * of view whichever side was the shadow, and clustered per end user (win 1, tie 0.5, loss 0).
     */
    public record OrientedShadow(long wins, long ties, long losses, long users, double sumOfUserMeans,
                                 double sumOfSquaredUserMeans) {
        public static final OrientedShadow NONE = new OrientedShadow(0, 0, 0, 0, 0, 0);
    }

    /** Requests, errors, and latency (ms) of successful requests at percentiles 0..100 (empty without successes). */
    public record Traffic(DeploymentClass side, long requests, long errors, List<Long> latencyMsPercentiles) {}

    private final DataSource db;

    public MigrationEvidenceQueries(DataSource db) { this.db = db; }

    /** Latest feedback on the route's non-shadow requests served in {@code from <= time < to}, per side and end user. */
    public List<UserScores> feedbackByUser(String route, Instant from, Instant to) {
        String sql = "WITH scored AS (SELECT e.deployment_class AS side, " + STICKY_KEY_SQL + " AS who, f.score_bp "
                + "FROM usage_events e CROSS JOIN LATERAL (SELECT score_bp FROM feedback WHERE request_id = e.request_id "
                + "ORDER BY id DESC LIMIT 1) f WHERE e.route = ? AND e.time >= ? AND e.time < ? AND NOT e.shadow), "
                + "per_user AS (SELECT side, who, count(*) AS n, avg(score_bp)::float8 / 10000 AS m FROM scored GROUP BY side, who) "
                + "SELECT side, count(*), sum(n)::bigint, sum(m), sum(m * m) FROM per_user GROUP BY side ORDER BY side";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, route, from, to);
            try (ResultSet rs = ps.executeQuery()) {
                List<UserScores> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new UserScores(DeploymentClass.fromWire(rs.getString(1)), rs.getLong(2), rs.getLong(3),
                            rs.getDouble(4), rs.getDouble(5)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("aggregating feedback per end user of route " + route, e);
        }
    }

    /**
     * Judged shadow pairs of the route created in {@code from <= created_at < to} between {@code closedDeployment}
     * and {@code openDeployment} (either one the shadow), oriented to the open deployment: the stored verdict is the
     * shadow's, so it is kept when the open deployment was the shadow and reversed when it was the primary. Pairs
     * with other deployments are ignored.
     */
    public OrientedShadow shadowByUser(String route, String closedDeployment, String openDeployment, Instant from, Instant to) {
        String sql = "WITH oriented AS (SELECT " + STICKY_KEY_SQL + " AS who, "
                + "CASE WHEN p.shadow_deployment = ? THEN p.verdict "
                + "ELSE CASE p.verdict WHEN 'WIN' THEN 'LOSS' WHEN 'LOSS' THEN 'WIN' ELSE 'TIE' END END AS v "
                + "FROM shadow_pairs p JOIN usage_request_ids r ON r.request_id = p.request_id "
                + "JOIN usage_events e ON e.request_id = r.request_id AND e.time = r.time "
                + "WHERE p.route = ? AND p.created_at >= ? AND p.created_at < ? AND p.verdict IS NOT NULL "
                + "AND ((p.shadow_deployment = ? AND p.primary_deployment = ?) OR (p.shadow_deployment = ? AND p.primary_deployment = ?))), "
                + "per_user AS (SELECT who, avg(CASE v WHEN 'WIN' THEN 1.0 WHEN 'TIE' THEN 0.5 ELSE 0.0 END)::float8 AS m FROM oriented GROUP BY who) "
                + "SELECT (SELECT count(*) FILTER (WHERE v = 'WIN') FROM oriented), (SELECT count(*) FILTER (WHERE v = 'TIE') FROM oriented), "
                + "(SELECT count(*) FILTER (WHERE v = 'LOSS') FROM oriented), count(*), COALESCE(sum(m), 0), COALESCE(sum(m * m), 0) FROM per_user";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, openDeployment);
            ps.setString(2, route);
            ps.setTimestamp(3, Timestamp.from(from));
            ps.setTimestamp(4, Timestamp.from(to));
            ps.setString(5, openDeployment);
            ps.setString(6, closedDeployment);
            ps.setString(7, closedDeployment);
            ps.setString(8, openDeployment);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new OrientedShadow(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5), rs.getDouble(6));
            }
        } catch (SQLException e) {
            throw new StoreException("aggregating shadow verdicts per end user of route " + route, e);
        }
    }

    /** Per deployment class, the route's non-shadow traffic in {@code from <= time < to} (classes without traffic absent). */
    public List<Traffic> traffic(String route, Instant from, Instant to) {
        String sql = "SELECT deployment_class, count(*), count(*) FILTER (WHERE " + ERROR_SQL + "), "
                + "percentile_cont(" + PERCENTILES_SQL + ") WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT " + ERROR_SQL + ") "
                + "FROM usage_events e WHERE route = ? AND time >= ? AND time < ? AND NOT shadow GROUP BY 1 ORDER BY 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, route, from, to);
            try (ResultSet rs = ps.executeQuery()) {
                List<Traffic> out = new ArrayList<>();
                while (rs.next()) {
                    List<Long> pct = new ArrayList<>(101);
                    Array a = rs.getArray(4);
                    if (a != null) {
                        for (Object o : (Object[]) a.getArray()) pct.add(Math.round(((Number) o).doubleValue()));
                    }
                    out.add(new Traffic(DeploymentClass.fromWire(rs.getString(1)), rs.getLong(2), rs.getLong(3), List.copyOf(pct)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading traffic of route " + route, e);
        }
    }

    /** Requests of a route in one time bucket, and how many of them the open deployment class served. */
    public record ShareBucket(Instant start, long requests, long openRequests) {}

    /** Granularity of {@link #openShare} buckets (PostgreSQL date_trunc units). */
    public enum BucketUnit { MINUTE, HOUR, DAY }

    /** Non-shadow requests of the route in {@code from <= time < to} per bucket (UTC), oldest first; empty buckets absent. */
    public List<ShareBucket> openShare(String route, Instant from, Instant to, BucketUnit unit) {
        String sql = "SELECT date_trunc('" + unit.name().toLowerCase() + "', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*), "
                + "count(*) FILTER (WHERE deployment_class = 'open') FROM usage_events WHERE route = ? AND time >= ? AND time < ? "
                + "AND NOT shadow GROUP BY 1 ORDER BY 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, route, from, to);
            try (ResultSet rs = ps.executeQuery()) {
                List<ShareBucket> out = new ArrayList<>();
                while (rs.next()) out.add(new ShareBucket(rs.getTimestamp(1).toInstant(), rs.getLong(2), rs.getLong(3)));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading the open share of route " + route, e);
        }
    }

    private static void bind(PreparedStatement ps, String route, Instant from, Instant to) throws SQLException {
        ps.setString(1, route);
        ps.setTimestamp(2, Timestamp.from(from));
        ps.setTimestamp(3, Timestamp.from(to));
    }
}
