package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.MathContext;
import dev.llmgateway.metering.internal.Tx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * End-user feedback on answers, and its aggregation into migration evidence. Latest wins, history kept: every
 * submission is stored, and the newest one of a request is the one that counts. Feedback is accepted only for a
 * stored, non-shadow request of the same team; anything else is NOT_FOUND (which does not reveal that another
 * team's request exists). Usage reaches PostgreSQL asynchronously (journal first), so feedback sent within
 * moments of the answer may be NOT_FOUND until the usage writer has caught up.
 */
public final class FeedbackStore {
    /** Longest accepted comment, in characters. */
    public static final int COMMENT_MAX_CHARS = 4000;

    /** Outcome of recording feedback. */
    public enum RecordResult { RECORDED, REPLACED, NOT_FOUND }

    /** What a side of the evidence is: the deployment class (open/closed) or the deployment name. */
    public enum SideBy {
        DEPLOYMENT_CLASS("e.deployment_class"), DEPLOYMENT("e.deployment");

        final String sql;

        SideBy(String sql) { this.sql = sql; }
    }

    /** The newest feedback of a request. */
    public record Feedback(String requestId, String teamId, FeedbackScore score, Optional<String> comment, Instant at) {}

    /**
     * Count, sum and sum of squares of the (latest) scores of one side, exact, in basis points
     * ({@code sumOfSquaresBp} in basis points squared); {@code side} is "open"/"closed" or a deployment name.
     */
    public record ScoreAggregate(String route, String side, long count, long sumBp, long sumOfSquaresBp) {
        /** The sum as scores in [0,1], exact (for the routing library's ScoreStats). */
        public BigDecimal sumScore() { return BigDecimal.valueOf(sumBp, 4); }

        /** The sum of squares as scores in [0,1], exact. */
        public BigDecimal sumOfSquaresScore() { return BigDecimal.valueOf(sumOfSquaresBp, 8); }

        /** The mean score, 0 without scores. */
        public BigDecimal meanScore() {
            return count == 0 ? BigDecimal.ZERO : sumScore().divide(BigDecimal.valueOf(count), MathContext.DECIMAL64);
        }
    }

    private final DataSource db;

    public FeedbackStore(DataSource db) { this.db = db; }

    /** Records feedback of {@code teamId} on its request {@code requestId}; comment may be null. */
    public RecordResult record(String requestId, String teamId, FeedbackScore score, String comment, Instant at) {
        if (comment != null && comment.length() > COMMENT_MAX_CHARS) {
            throw new IllegalArgumentException("comment longer than " + COMMENT_MAX_CHARS + " characters");
        }
        String owner = "SELECT e.team_id FROM usage_request_ids r JOIN usage_events e "
                + "ON e.request_id = r.request_id AND e.time = r.time WHERE r.request_id = ? AND NOT e.shadow";
        try {
            return Tx.inTransaction(db, c -> {
                try (PreparedStatement ps = c.prepareStatement(owner)) {
                    ps.setString(1, requestId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next() || !rs.getString(1).equals(teamId)) {
                            return RecordResult.NOT_FOUND;
                        }
                    }
                }
                long earlier = submissions(c, requestId);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO feedback (request_id, team_id, score_bp, comment, created_at) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, requestId);
                    ps.setString(2, teamId);
                    ps.setInt(3, score.basisPoints());
                    ps.setString(4, comment);
                    ps.setTimestamp(5, Timestamp.from(at));
                    ps.executeUpdate();
                }
                return earlier == 0 ? RecordResult.RECORDED : RecordResult.REPLACED;
            });
        } catch (SQLException e) {
            throw new StoreException("recording feedback on request " + requestId, e);
        }
    }

    /** The newest feedback of a request, if any. */
    public Optional<Feedback> latest(String requestId) {
        String sql = "SELECT request_id, team_id, score_bp, comment, created_at FROM feedback WHERE request_id = ? "
                + "ORDER BY id DESC LIMIT 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(new Feedback(rs.getString(1), rs.getString(2), new FeedbackScore(rs.getInt(3)),
                        Optional.ofNullable(rs.getString(4)), rs.getTimestamp(5).toInstant()));
            }
        } catch (SQLException e) {
            throw new StoreException("reading feedback on request " + requestId, e);
        }
    }

    /** How many feedback submissions a request received (replaced ones included). */
    public long submissions(String requestId) {
        try (Connection c = db.getConnection()) {
            return submissions(c, requestId);
        } catch (SQLException e) {
            throw new StoreException("counting feedback on request " + requestId, e);
        }
    }

    /**
     * Latest-feedback statistics of a route's non-shadow requests served in {@code from <= time < to} (the request's
     * time, so the window is the migration stage that served it), one aggregate per side, ordered by side.
     * Sides without feedback are absent.
     */
    public List<ScoreAggregate> aggregate(String route, Instant from, Instant to, SideBy sideBy) {
        String sql = "SELECT " + sideBy.sql + ", count(*)::bigint, sum(f.score_bp)::bigint, "
                + "sum(f.score_bp::bigint * f.score_bp)::bigint FROM usage_events e "
                + "CROSS JOIN LATERAL (SELECT score_bp FROM feedback WHERE request_id = e.request_id ORDER BY id DESC LIMIT 1) f "
                + "WHERE e.route = ? AND e.time >= ? AND e.time < ? AND NOT e.shadow GROUP BY 1 ORDER BY 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
                List<ScoreAggregate> out = new ArrayList<>();
                while (rs.next()) {
                    ScoreAggregate a = new ScoreAggregate(route, rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
                    Invariants.check(a.sumBp() <= a.count() * FeedbackScore.MAX_BASIS_POINTS, "score sum within count x max");
                    out.add(a);
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("aggregating feedback of route " + route, e);
        }
    }

    private static long submissions(Connection c, String requestId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM feedback WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
