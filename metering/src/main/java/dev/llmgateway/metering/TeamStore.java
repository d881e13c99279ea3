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
import java.time.Instant;
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

    /**
     * A key looked up by its secret, with the team it belongs to. {@code previousSecret}: the secret presented is the
     * one the key had before its last rotation, accepted until {@link ApiKey#previousExpiresAt()}.
     */
    public record KeyOwner(ApiKey key, Team team, boolean previousSecret) {
        public KeyOwner(ApiKey key, Team team) { this(key, team, false); }

        /** Until when this secret is accepted: the key's expiry, or its previous secret's overlap window if earlier. */
        public Optional<Instant> validUntil() {
            Optional<Instant> window = previousSecret ? key.previousExpiresAt() : Optional.empty();
            if (window.isEmpty()) return key.expiresAt();
            if (key.expiresAt().isEmpty()) return window;
            return Optional.of(window.get().isBefore(key.expiresAt().get()) ? window.get() : key.expiresAt().get());
        }

        /** Whether this secret is no longer accepted at {@code now} (expired key, or a rotated-out secret past its window). */
        public boolean expired(Instant now) { return validUntil().map(t -> !now.isBefore(t)).orElse(false); }
    }

    /** Outcome of creating a team. {@code DELETED_ID}: a deleted team had this id; ids are never reused. */
    public enum CreateResult { CREATED, ALREADY_EXISTS, DELETED_ID }

    private static final String TEAM_COLUMNS = "id, display_name, use_class, created_at, deleted_at";
    private static final String KEY_COLUMNS = "k.id, k.team_id, k.name, k.key_prefix, k.allowed_routes, k.created_at, k.revoked_at, "
            + "k.description, k.expires_at, k.last_used_at, k.rotated_at, k.previous_expires_at";

    public CreateResult createTeam(String id, String displayName, UseClass useClass) {
        String sql = "INSERT INTO teams (id, display_name, use_class) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            ps.setString(2, displayName);
            ps.setString(3, useClass.wire());
            if (ps.executeUpdate() == 1) return CreateResult.CREATED;
        } catch (SQLException e) {
            throw new StoreException("creating team " + id, e);
        }
        return anyTeam(id).map(t -> t.deleted() ? CreateResult.DELETED_ID : CreateResult.ALREADY_EXISTS).orElse(CreateResult.ALREADY_EXISTS);
    }

    /** The teams that are not deleted. */
    public List<Team> teams() { return teams(false); }

    /** Every team; with {@code includeDeleted}, deleted ones too (their usage history stays). */
    public List<Team> teams(boolean includeDeleted) {
        String sql = "SELECT " + TEAM_COLUMNS + " FROM teams" + (includeDeleted ? "" : " WHERE deleted_at IS NULL") + " ORDER BY id";
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            List<Team> out = new ArrayList<>();
            while (rs.next()) out.add(team(rs, 1));
            return out;
        } catch (SQLException e) {
            throw new StoreException("listing teams", e);
        }
    }

    /** A team that is not deleted. */
    public Optional<Team> team(String id) { return anyTeam(id).filter(t -> !t.deleted()); }

    /** A team, deleted or not. */
    public Optional<Team> anyTeam(String id) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + TEAM_COLUMNS + " FROM teams WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(team(rs, 1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading team " + id, e);
        }
    }

    /** Changes a live team's display name and/or use class; empty = unchanged. Returns the team, empty if none (or deleted). */
    public Optional<Team> updateTeam(String id, Optional<String> displayName, Optional<UseClass> useClass) {
        String sql = "UPDATE teams SET display_name = COALESCE(?, display_name), use_class = COALESCE(?, use_class) "
                + "WHERE id = ? AND deleted_at IS NULL";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, displayName.orElse(null));
            ps.setString(2, useClass.map(UseClass::wire).orElse(null));
            ps.setString(3, id);
            if (ps.executeUpdate() == 0) return Optional.empty();
        } catch (SQLException e) {
            throw new StoreException("updating team " + id, e);
        }
        return team(id);
    }

    /**
     * Soft-deletes a team: marks it deleted and revokes every key it has, in one statement. Its usage rows, budgets,
     * ledger entries and statements stay, and its id is never reused. Returns false when no live team has this id.
     */
    public boolean deleteTeam(String id) {
        String sql = "WITH t AS (UPDATE teams SET deleted_at = now() WHERE id = ? AND deleted_at IS NULL RETURNING id), "
                + "k AS (UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE team_id IN (SELECT id FROM t) RETURNING id) "
                + "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM k)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == 1;
            }
        } catch (SQLException e) {
            throw new StoreException("deleting team " + id, e);
        }
    }

    /** Issues a new key for an existing team; {@code allowedRoutes} empty means every route. */
    public IssuedKey issueKey(String teamId, String name, Optional<List<String>> allowedRoutes) {
        return issueKey(teamId, name, allowedRoutes, "", Optional.empty());
    }

    /** Issues a new key for a live team, with a description and an optional expiry. */
    public IssuedKey issueKey(String teamId, String name, Optional<List<String>> allowedRoutes, String description,
                              Optional<Instant> expiresAt) {
        String secret = newSecret();
        byte[] idRaw = new byte[9];
        RANDOM.nextBytes(idRaw);
        String id = "key_" + Base64.getUrlEncoder().withoutPadding().encodeToString(idRaw);
        String prefix = prefix(secret);
        // A deleted team's id still satisfies the foreign key, so it is refused here.
        String sql = "INSERT INTO api_keys (id, team_id, name, key_hash, key_prefix, allowed_routes, description, expires_at) "
                + "SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM teams WHERE id = ? AND deleted_at IS NOT NULL) "
                + "RETURNING created_at";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            ps.setString(2, teamId);
            ps.setString(3, name);
            ps.setBytes(4, hash(secret));
            ps.setString(5, prefix);
            if (allowedRoutes.isPresent()) ps.setArray(6, c.createArrayOf("text", allowedRoutes.get().toArray()));
            else ps.setNull(6, java.sql.Types.ARRAY);
            ps.setString(7, description == null ? "" : description);
            setInstant(ps, 8, expiresAt);
            ps.setString(9, teamId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new StoreException("issuing a key for team " + teamId, new IllegalStateException("the team is deleted"));
                ApiKey key = new ApiKey(id, teamId, name, prefix, allowedRoutes.map(List::copyOf),
                        rs.getTimestamp(1).toInstant(), Optional.empty(), description == null ? "" : description, expiresAt,
                        Optional.empty(), Optional.empty(), Optional.empty());
                return new IssuedKey(key, secret);
            }
        } catch (SQLException e) {
            throw new StoreException("issuing a key for team " + teamId, e);
        }
    }

    /**
     * What to change on a key; an empty field is left as it is. {@code expiresAt} and {@code allowedRoutes} hold an
     * inner Optional so they can be cleared (never expires; every route).
     */
    public record KeyChanges(Optional<String> name, Optional<String> description, Optional<Optional<Instant>> expiresAt,
                             Optional<Optional<List<String>>> allowedRoutes) {
        public static KeyChanges none() { return new KeyChanges(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()); }
    }

    /** Changes a key's name, description, expiry or allowed routes. Returns the key as stored, empty when there is none. */
    public Optional<ApiKey> updateKey(String keyId, KeyChanges changes) {
        String sql = "UPDATE api_keys SET name = COALESCE(?, name), description = COALESCE(?, description), "
                + "expires_at = CASE WHEN ? THEN ? ELSE expires_at END, "
                + "allowed_routes = CASE WHEN ? THEN ? ELSE allowed_routes END WHERE id = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, changes.name().orElse(null));
            ps.setString(2, changes.description().orElse(null));
            ps.setBoolean(3, changes.expiresAt().isPresent());
            setInstant(ps, 4, changes.expiresAt().flatMap(e -> e));
            ps.setBoolean(5, changes.allowedRoutes().isPresent());
            Optional<List<String>> routes = changes.allowedRoutes().flatMap(r -> r);
            if (routes.isPresent()) ps.setArray(6, c.createArrayOf("text", routes.get().toArray()));
            else ps.setNull(6, java.sql.Types.ARRAY);
            ps.setString(7, keyId);
            if (ps.executeUpdate() == 0) return Optional.empty();
        } catch (SQLException e) {
            throw new StoreException("updating key " + keyId, e);
        }
        return key(keyId);
    }

    /** Outcome of a rotation: the new secret, or why there is none. */
    public sealed interface Rotation {
        record Rotated(IssuedKey issued) implements Rotation {}
        record NoSuchKey() implements Rotation {}
        record Revoked() implements Rotation {}
    }

    /**
     * Gives a key a new secret and keeps its id, limits, budgets and history. The current secret keeps working for
     * {@code overlap} (zero: refused at once); a secret from an earlier rotation stops at once. Revoked keys are not rotated.
     */
    public Rotation rotateKey(String keyId, java.time.Duration overlap) {
        if (overlap.isNegative()) throw new IllegalArgumentException("overlap must not be negative");
        String secret = newSecret();
        String sql = "UPDATE api_keys k SET previous_key_hash = k.key_hash, "
                + "previous_expires_at = now() + make_interval(secs => ?), key_hash = ?, key_prefix = ?, rotated_at = now() "
                + "WHERE k.id = ? AND k.revoked_at IS NULL RETURNING " + KEY_COLUMNS;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setDouble(1, overlap.toMillis() / 1000.0);
            ps.setBytes(2, hash(secret));
            ps.setString(3, prefix(secret));
            ps.setString(4, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) return new Rotation.Rotated(new IssuedKey(key(rs), secret));
            }
        } catch (SQLException e) {
            throw new StoreException("rotating key " + keyId, e);
        }
        return key(keyId).isPresent() ? new Rotation.Revoked() : new Rotation.NoSuchKey();
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
        String sql = "SELECT " + KEY_COLUMNS + " FROM api_keys k WHERE k.team_id = ? ORDER BY k.created_at, k.id";
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

    /** One key by its id. */
    public Optional<ApiKey> key(String keyId) {
        String sql = "SELECT " + KEY_COLUMNS + " FROM api_keys k WHERE k.id = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(key(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading key " + keyId, e);
        }
    }

    /**
     * Records when keys were last used: one statement for a batch, each key moved forward only (the caller coalesces
     * requests in memory, so this runs every few seconds, never per request).
     */
    public void touchKeys(java.util.Map<String, Instant> lastUsed) {
        if (lastUsed.isEmpty()) return;
        String sql = "UPDATE api_keys k SET last_used_at = v.t FROM unnest(?::text[], ?::timestamptz[]) AS v(id, t) "
                + "WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.t)";
        String[] ids = lastUsed.keySet().toArray(String[]::new);
        Timestamp[] times = new Timestamp[ids.length];
        for (int i = 0; i < ids.length; i++) times[i] = Timestamp.from(lastUsed.get(ids[i]));
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", ids));
            ps.setArray(2, c.createArrayOf("timestamptz", times));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("recording when " + ids.length + " keys were last used", e);
        }
    }

    /** Finds the key whose secret this is (revoked keys included, so callers can say "revoked"). */
    public Optional<KeyOwner> findBySecret(String secret) { return findByHash(hash(secret)); }

    /** Finds the key with this SHA-256 hash, current or previous secret (revoked and expired keys included). */
    public Optional<KeyOwner> findByHash(byte[] keyHash) {
        String sql = "SELECT " + KEY_COLUMNS + ", t.id, t.display_name, t.use_class, t.created_at, t.deleted_at, "
                + "k.key_hash <> ? FROM api_keys k JOIN teams t ON t.id = k.team_id "
                + "WHERE k.key_hash = ? OR k.previous_key_hash = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, keyHash);
            ps.setBytes(2, keyHash);
            ps.setBytes(3, keyHash);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new KeyOwner(key(rs), team(rs, 13), rs.getBoolean(18))) : Optional.empty();
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
        MessageDigest sha = SHA256.get(); // one per thread: MessageDigest.getInstance costs more than the hash of a key
        sha.reset();
        return sha.digest(secret.getBytes(StandardCharsets.UTF_8));
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private static String newSecret() {
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private static String prefix(String secret) { return secret.substring(0, KEY_PREFIX.length() + 4); }

    private static void setInstant(PreparedStatement ps, int i, Optional<Instant> v) throws SQLException {
        if (v.isPresent()) ps.setTimestamp(i, Timestamp.from(v.get()));
        else ps.setNull(i, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
    }

    private static Optional<Instant> instant(ResultSet rs, int i) throws SQLException {
        return Optional.ofNullable(rs.getTimestamp(i)).map(Timestamp::toInstant);
    }

    private static Team team(ResultSet rs, int i) throws SQLException {
        return new Team(rs.getString(i), rs.getString(i + 1), UseClass.fromWire(rs.getString(i + 2)),
                rs.getTimestamp(i + 3).toInstant(), instant(rs, i + 4));
    }

    private static ApiKey key(ResultSet rs) throws SQLException {
        Array routes = rs.getArray(5);
        Optional<List<String>> allowed = routes == null ? Optional.empty()
                : Optional.of(List.copyOf(Arrays.asList((String[]) routes.getArray())));
        return new ApiKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), allowed,
                rs.getTimestamp(6).toInstant(), instant(rs, 7), rs.getString(8), instant(rs, 9), instant(rs, 10),
                instant(rs, 11), instant(rs, 12));
    }
}
