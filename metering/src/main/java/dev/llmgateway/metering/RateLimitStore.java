package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import javax.sql.DataSource;

/** Configured rate limits per team and per key; each gateway process loads them into its {@link RateLimiter}. */
public final class RateLimitStore {
    /** Whose limit it is. */
    public enum Subject { TEAM, KEY }

    private final DataSource db;

    public RateLimitStore(DataSource db) { this.db = db; }

    /** Sets (or, with {@link RateLimits#NONE}, clears) the limits of a team or key. */
    public void put(Subject subject, String id, RateLimits limits) {
        boolean clear = limits.requestsPerMinute().isEmpty() && limits.tokensPerMinute().isEmpty();
        String sql = clear
                ? "DELETE FROM rate_limits WHERE subject_type = ? AND subject_id = ?"
                : "INSERT INTO rate_limits (subject_type, subject_id, rpm, tpm) VALUES (?, ?, ?, ?) ON CONFLICT (subject_type, subject_id) "
                + "DO UPDATE SET rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm, updated_at = now()";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, subject.name().toLowerCase());
            ps.setString(2, id);
            if (!clear) {
                setOptional(ps, 3, limits.requestsPerMinute());
                setOptional(ps, 4, limits.tokensPerMinute());
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("storing rate limits of " + subject + " " + id, e);
        }
    }

    /** Every configured limit of one kind of subject, by subject id. */
    public Map<String, RateLimits> all(Subject subject) {
        String sql = "SELECT subject_id, rpm, tpm FROM rate_limits WHERE subject_type = ? ORDER BY subject_id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, subject.name().toLowerCase());
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, RateLimits> out = new LinkedHashMap<>();
                while (rs.next()) out.put(rs.getString(1), new RateLimits(optional(rs, 2), optional(rs, 3)));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading rate limits", e);
        }
    }

    private static void setOptional(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
        if (v.isPresent()) ps.setLong(i, v.getAsLong());
        else ps.setNull(i, Types.BIGINT);
    }

    private static OptionalLong optional(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
    }
}
