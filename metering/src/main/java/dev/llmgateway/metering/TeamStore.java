package dev.llmgateway.metering;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Teams and API keys in PostgreSQL. Keys are stored as SHA-256 hashes; the secret leaves only once, on issue. */
public final class TeamStore {
    private static final String KEY_PREFIX = "gw-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource db;

    public TeamStore(DataSource db) { this.db = db; }

    /** A newly issued key: the stored record plus the secret, which is never retrievable again. */
    public record IssuedKey(ApiKey key, String secret) {}

    /** A key looked up by its secret, with the team it belongs to. */
    public record KeyOwner(ApiKey key, Team team) {}

    /** Outcome of creating a team. */
    public enum CreateResult { CREATED, ALREADY_EXISTS }

    public CreateResult createTeam(String id, String displayName, UseClass useClass) {
        String sql = "INSERT INTO teams (id, display_name, use_class) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            ps.setString(2, displayName);
            ps.setString(3, useClass.wire());
            return ps.executeUpdate() == 1 ? CreateResult.CREATED : CreateResult.ALREADY_EXISTS;
        } catch (SQLException e) {
            throw new StoreException("creating team " + id, e);
        }
    }

    public List<Team> teams() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, display_name, use_class, created_at FROM teams ORDER BY id");
             ResultSet rs = ps.executeQuery()) {
            List<Team> out = new ArrayList<>();
            while (rs.next()) out.add(team(rs, 1));
            return out;
        } catch (SQLException e) {
            throw new StoreException("listing teams", e);
        }
    }

    public Optional<Team> team(String id) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, display_name, use_class, created_at FROM teams WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(team(rs, 1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading team " + id, e);
        }
    }

    /** Issues a new key for an existing team; {@code allowedRoutes} empty means every route. */
    public IssuedKey issueKey(String teamId, String name, Optional<List<String>> allowedRoutes) {
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String secret = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] idRaw = new byte[9];
        RANDOM.nextBytes(idRaw);
        String id = "key_" + Base64.getUrlEncoder().withoutPadding().encodeToString(idRaw);
        String prefix = secret.substring(0, KEY_PREFIX.length() + 4);
        String sql = "INSERT INTO api_keys (id, team_id, name, key_hash, key_prefix, allowed_routes) VALUES (?, ?, ?, ?, ?, ?) "
                + "RETURNING created_at";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            ps.setString(2, teamId);
            ps.setString(3, name);
            ps.setBytes(4, hash(secret));
            ps.setString(5, prefix);
            if (allowedRoutes.isPresent()) ps.setArray(6, c.createArrayOf("text", allowedRoutes.get().toArray()));
            else ps.setNull(6, java.sql.Types.ARRAY);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ApiKey key = new ApiKey(id, teamId, name, prefix, allowedRoutes.map(List::copyOf),
                        rs.getTimestamp(1).toInstant(), Optional.empty());
                return new IssuedKey(key, secret);
            }
        } catch (SQLException e) {
            throw new StoreException("issuing a key for team " + teamId, e);
        }
    }

    /** Revokes a key; returns false when no such key exists. Revoking twice keeps the first revocation time. */
    public boolean revokeKey(String keyId) {
        String sql = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, keyId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("revoking key " + keyId, e);
        }
    }

    public List<ApiKey> keys(String teamId) {
        String sql = "SELECT id, team_id, name, key_prefix, allowed_routes, created_at, revoked_at FROM api_keys "
                + "WHERE team_id = ? ORDER BY created_at, id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            try (ResultSet rs = ps.executeQuery()) {
                List<ApiKey> out = new ArrayList<>();
                while (rs.next()) out.add(key(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing keys of team " + teamId, e);
        }
    }

    /** Finds the key whose secret this is (revoked keys included, so callers can say "revoked"). */
    public Optional<KeyOwner> findBySecret(String secret) { return findByHash(hash(secret)); }

    /** Finds the key with this SHA-256 hash (revoked keys included). */
    public Optional<KeyOwner> findByHash(byte[] keyHash) {
        String sql = "SELECT k.id, k.team_id, k.name, k.key_prefix, k.allowed_routes, k.created_at, k.revoked_at, "
                + "t.id, t.display_name, t.use_class, t.created_at FROM api_keys k JOIN teams t ON t.id = k.team_id "
                + "WHERE k.key_hash = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, keyHash);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new KeyOwner(key(rs), team(rs, 8))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("looking up a key", e);
        }
    }

    /**
     * Makes sure an admin credential exists: stores {@code candidateHash} when none is stored yet.
     * Returns true when the candidate became the credential (so the caller may print a generated key once).
     */
    public boolean initAdminCredential(byte[] candidateHash) {
        String sql = "INSERT INTO admin_credentials (id, key_hash) VALUES (1, ?) ON CONFLICT (id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, candidateHash);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("initialising the admin credential", e);
        }
    }

    /** Replaces the admin credential (used when the operator configures GATEWAY_ADMIN_KEY). */
    public void setAdminCredential(byte[] keyHash) {
        String sql = "INSERT INTO admin_credentials (id, key_hash) VALUES (1, ?) "
                + "ON CONFLICT (id) DO UPDATE SET key_hash = EXCLUDED.key_hash, created_at = now()";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, keyHash);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("storing the admin credential", e);
        }
    }

    /** The stored admin key hash, if any. */
    public Optional<byte[]> adminCredential() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT key_hash FROM admin_credentials WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
        } catch (SQLException e) {
            throw new StoreException("reading the admin credential", e);
        }
    }

    /** SHA-256 of the secret: keys are high-entropy random strings, so a fast hash is the right tool. */
    public static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Team team(ResultSet rs, int i) throws SQLException {
        return new Team(rs.getString(i), rs.getString(i + 1), UseClass.fromWire(rs.getString(i + 2)),
                rs.getTimestamp(i + 3).toInstant());
    }

    private static ApiKey key(ResultSet rs) throws SQLException {
        Array routes = rs.getArray(5);
        Optional<List<String>> allowed = routes == null ? Optional.empty()
                : Optional.of(List.copyOf(Arrays.asList((String[]) routes.getArray())));
        Timestamp revoked = rs.getTimestamp(7);
        return new ApiKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), allowed,
                rs.getTimestamp(6).toInstant(), Optional.ofNullable(revoked).map(Timestamp::toInstant));
    }
}
