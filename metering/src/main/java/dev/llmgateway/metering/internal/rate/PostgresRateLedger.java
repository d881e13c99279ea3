package dev.llmgateway.metering.internal.rate;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The {@link RateLedger} every replica shares: grants in {@code rate_grants}. One transaction per grant takes a
 * per-bucket advisory lock, reads the grants in the window and inserts the new one, so two replicas never both take
 * the last units. All times are PostgreSQL's clock ({@code clock_timestamp()}), so replica clocks do not matter.
 */
public final class PostgresRateLedger implements RateLedger {
    private final DataSource db;

    public PostgresRateLedger(DataSource db) { this.db = db; }

    @Override
    public GrantResult grant(BucketId bucket, String replicaId, long perMinute, long need, long maxExtra, int shareDivisor,
                             Duration validity) {
        long windowMicros = RateLedger.window(validity).toNanos() / 1_000;
        try {
            return Tx.inTransaction(db, c -> {
                long now;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_advisory_xact_lock(hashtextextended(?, 0)), clock_timestamp()")) {
                    ps.setString(1, "rate_grants:" + bucket.subjectType() + ":" + bucket.kind() + ":" + bucket.subjectId());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        now = micros(rs.getTimestamp(2));
                    }
                }
                List<Counted> inWindow = new ArrayList<>();
                long counted = 0;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT granted_at, granted FROM rate_grants "
                                + "WHERE subject_type = ? AND subject_id = ? AND kind = ? AND granted_at > ? "
                                + "ORDER BY granted_at, id")) {
                    set(ps, bucket);
                    ps.setTimestamp(4, timestamp(now - windowMicros));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            long at = micros(rs.getTimestamp(1)), units = rs.getLong(2);
                            inWindow.add(new Counted(at, units));
                            counted = Math.addExact(counted, units);
                        }
                    }
                }
                if (counted + need > perMinute) { // changes nothing
                    return new GrantResult.Refused(RateLedger.retryAfterNanos(inWindow, now, windowMicros, perMinute, need));
                }
                long units = need + Math.max(0, Math.min(maxExtra, (perMinute - counted - need) / shareDivisor));
                long id = insert(c, bucket, replicaId, now, units, false);
                return new GrantResult.Granted(id, units);
            });
        } catch (SQLException e) {
            throw new StoreException("granting rate-limit units of " + bucket.subjectType() + " " + bucket.subjectId(), e);
        }
    }

    private static long insert(Connection c, BucketId bucket, String replicaId, long atMicros, long units, boolean closed)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO rate_grants (subject_type, subject_id, kind, replica_id, granted_at, granted, closed) "
                        + "VALUES (?, ?, ?, ?, COALESCE(?, clock_timestamp()), ?, ?) RETURNING id")) {
            set(ps, bucket);
            ps.setString(4, replicaId);
            ps.setTimestamp(5, atMicros < 0 ? null : timestamp(atMicros));
            ps.setLong(6, units);
            ps.setBoolean(7, closed);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long micros(java.sql.Timestamp t) {
        java.time.Instant i = t.toInstant();
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
    }

    private static java.sql.Timestamp timestamp(long micros) {
        return java.sql.Timestamp.from(java.time.Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1_000L));
    }

    private static void set(PreparedStatement ps, BucketId bucket) throws SQLException {
        ps.setString(1, bucket.subjectType());
        ps.setString(2, bucket.subjectId());
        ps.setString(3, bucket.kind());
    }

    @Override
    public void close(long grantId, long used) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE rate_grants SET granted = GREATEST(0, LEAST(granted, ?)), closed = true WHERE id = ?")) {
            ps.setLong(1, used);
            ps.setLong(2, grantId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("closing rate-limit grant " + grantId, e);
        }
    }

    @Override
    public void charge(BucketId bucket, String replicaId, long units) {
        if (units <= 0) return;
        try (Connection c = db.getConnection()) {
            insert(c, bucket, replicaId, -1, units, true);
        } catch (SQLException e) {
            throw new StoreException("charging rate-limit units of " + bucket.subjectType() + " " + bucket.subjectId(), e);
        }
    }

    @Override
    public void prune(Duration validity) {
        // Generous: a grant counts for one window; keep ten so a slow replica's late close still finds its row.
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "DELETE FROM rate_grants WHERE granted_at < clock_timestamp() - make_interval(secs => ?)")) {
            ps.setDouble(1, 10.0 * RateLedger.window(validity).toMillis() / 1000.0);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("pruning rate-limit grants", e);
        }
    }
}
