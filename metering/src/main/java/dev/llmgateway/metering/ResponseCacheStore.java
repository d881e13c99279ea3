package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Cached answers shared by gateway replicas through PostgreSQL (table {@code response_cache}). The key is a 32-byte
 * digest computed by the gateway (team, route and normalized request); the entry is opaque bytes. An expired row is
 * never returned; {@link #purgeExpired} deletes them. The latest write of a key wins.
 */
public final class ResponseCacheStore {
    /** Digest length of a key (SHA-256). */
    public static final int KEY_BYTES = 32;

    private final DataSource db;

    public ResponseCacheStore(DataSource db) { this.db = db; }

    /** Stores (or replaces) an entry until {@code expiresAt}. */
    public void put(byte[] key, String teamId, String route, byte[] entry, Instant now, Instant expiresAt) {
        checkKey(key);
        String sql = "INSERT INTO response_cache (key, team_id, route, entry, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (key) DO UPDATE SET team_id = EXCLUDED.team_id, route = EXCLUDED.route, entry = EXCLUDED.entry, "
                + "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, key);
            ps.setString(2, teamId);
            ps.setString(3, route);
            ps.setBytes(4, entry);
            ps.setTimestamp(5, Timestamp.from(now));
            ps.setTimestamp(6, Timestamp.from(expiresAt));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("storing a cached response", e);
        }
    }

    /** A stored entry: its bytes and when it expires. */
    public record Entry(byte[] entry, Instant expiresAt) {}

    /** The entry of {@code key} if it has not expired at {@code now}. */
    public Optional<Entry> get(byte[] key, Instant now) {
        checkKey(key);
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT entry, expires_at FROM response_cache WHERE key = ? AND expires_at > ?")) {
            ps.setBytes(1, key);
            ps.setTimestamp(2, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Entry(rs.getBytes(1), rs.getTimestamp(2).toInstant())) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading a cached response", e);
        }
    }

    /** Deletes the entries expired at {@code now}; returns how many. */
    public int purgeExpired(Instant now) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM response_cache WHERE expires_at <= ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("purging expired cached responses", e);
        }
    }

    private static void checkKey(byte[] key) {
        if (key == null || key.length != KEY_BYTES) throw new IllegalArgumentException("a cache key has " + KEY_BYTES + " bytes");
    }
}
