package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Per-route migration state and its append-only transition history in PostgreSQL. A save writes the new state and
 * its transition in one transaction, and only if the stored version is still the one the new state was derived
 * from (optimistic concurrency), so two gateway replicas evaluating the same evidence never both promote.
 */
public final class MigrationStore {
    /** Outcome of a save: stored, or refused because another writer saved first (reload and re-decide). */
    public enum SaveResult { OK, CONFLICT }

    private static final String STATE_COLUMNS = "route, stage_index, status, since, version";

    private final DataSource db;

    public MigrationStore(DataSource db) { this.db = db; }

    public Optional<StoredMigrationState> load(String route) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + STATE_COLUMNS + " FROM migration_states WHERE route = ?")) {
            ps.setString(1, route);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(state(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the migration state of route " + route, e);
        }
    }

    /** Every stored state, ordered by route. */
    public List<StoredMigrationState> loadAll() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + STATE_COLUMNS + " FROM migration_states ORDER BY route");
             ResultSet rs = ps.executeQuery()) {
            List<StoredMigrationState> out = new ArrayList<>();
            while (rs.next()) out.add(state(rs));
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading migration states", e);
        }
    }

    /**
     * Stores {@code next} and appends {@code transition}, atomically, if the stored version still equals
     * {@code next.version()} (0: the route must not be stored yet). On OK the stored version becomes
     * {@code next.version() + 1}. The transition must belong to the same route and end at {@code next}'s stage.
     */
    public SaveResult save(StoredMigrationState next, StoredMigrationTransition transition) {
        if (!transition.route().equals(next.route())) {
            throw new IllegalArgumentException("transition of route " + transition.route() + " saved with state of " + next.route());
        }
        if (transition.toStage() != next.stageIndex()) {
            throw new IllegalArgumentException("transition ends at stage " + transition.toStage() + " but the state is at "
                    + next.stageIndex());
        }
        long newVersion = Math.addExact(next.version(), 1);
        String write = next.version() == 0
                ? "INSERT INTO migration_states (stage_index, status, since, version, route) VALUES (?, ?, ?, ?, ?) "
                        + "ON CONFLICT (route) DO NOTHING"
                : "UPDATE migration_states SET stage_index = ?, status = ?, since = ?, version = ?, updated_at = now() "
                        + "WHERE route = ? AND version = ?";
        try {
            return Tx.inTransaction(db, c -> {
                int changed;
                try (PreparedStatement ps = c.prepareStatement(write)) {
                    ps.setInt(1, next.stageIndex());
                    ps.setString(2, next.status().name());
                    ps.setTimestamp(3, Timestamp.from(next.since()));
                    ps.setLong(4, newVersion);
                    ps.setString(5, next.route());
                    if (next.version() != 0) ps.setLong(6, next.version());
                    changed = ps.executeUpdate();
                }
                if (changed == 0) return SaveResult.CONFLICT; // changed nothing
                Invariants.check(changed == 1, "a migration save changes exactly one state row");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO migration_transitions "
                        + "(route, from_stage, to_stage, kind, reason, at, actor, state_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, transition.route());
                    ps.setInt(2, transition.fromStage());
                    ps.setInt(3, transition.toStage());
                    ps.setString(4, transition.kind().name());
                    ps.setString(5, transition.reason());
                    ps.setTimestamp(6, Timestamp.from(transition.at()));
                    ps.setString(7, transition.actor().wire());
                    ps.setLong(8, newVersion);
                    ps.executeUpdate();
                }
                return SaveResult.OK;
            });
        } catch (SQLException e) {
            throw new StoreException("saving the migration state of route " + next.route(), e);
        }
    }

    /** The newest {@code limit} transitions of a route, oldest first (the order of the routing library's history). */
    public List<StoredMigrationTransition> history(String route, int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must be >= 0");
        String sql = "SELECT route, from_stage, to_stage, kind, reason, at, actor FROM ("
                + "SELECT * FROM migration_transitions WHERE route = ? ORDER BY state_version DESC LIMIT ?) t "
                + "ORDER BY state_version";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<StoredMigrationTransition> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new StoredMigrationTransition(rs.getString(1), rs.getInt(2), rs.getInt(3),
                            StoredMigrationTransition.Kind.valueOf(rs.getString(4)), rs.getString(5),
                            rs.getTimestamp(6).toInstant(), StoredMigrationTransition.Actor.fromWire(rs.getString(7))));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading the migration history of route " + route, e);
        }
    }

    private static StoredMigrationState state(ResultSet rs) throws SQLException {
        return new StoredMigrationState(rs.getString(1), rs.getInt(2), StoredMigrationState.Status.valueOf(rs.getString(3)),
                rs.getTimestamp(4).toInstant(), rs.getLong(5));
    }
}
