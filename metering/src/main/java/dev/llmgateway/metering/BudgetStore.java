package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.budget.LeaseLedger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;

/** Budget definitions in PostgreSQL: one team-wide budget per team and at most one per key. */
public final class BudgetStore {
    private static final String COLUMNS = "id, team_id, key_id, limit_micros_usd, limit_tokens, period, enforcement, "
            + "alert_thresholds_pct, updated_at";

    private final DataSource db;

    public BudgetStore(DataSource db) { this.db = db; }

    /**
     * Creates or replaces the budget of the definition's team (or key). Replacing keeps the budget id, so spend in
     * the current period still counts against the new limit; lowering the limit below what is already leased
     * stops new grants but does not revoke leases.
     */
    public Budget put(BudgetDefinition d) {
        String sql = "INSERT INTO budgets (team_id, key_id, limit_micros_usd, limit_tokens, period, enforcement, alert_thresholds_pct) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, (COALESCE(key_id, ''))) DO UPDATE SET "
                + "limit_micros_usd = EXCLUDED.limit_micros_usd, limit_tokens = EXCLUDED.limit_tokens, period = EXCLUDED.period, "
                + "enforcement = EXCLUDED.enforcement, alert_thresholds_pct = EXCLUDED.alert_thresholds_pct, updated_at = now() "
                + "RETURNING " + COLUMNS;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, d.teamId());
            ps.setString(2, d.keyId().orElse(null));
            setLong(ps, 3, d.limitMicrosUsd());
            setLong(ps, 4, d.limitTokens());
            ps.setString(5, d.period().wire());
            ps.setString(6, d.enforcement().wire());
            ps.setArray(7, c.createArrayOf("integer", d.alertThresholdsPct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return budget(rs);
            }
        } catch (SQLException e) {
            throw new StoreException("setting the budget of team " + d.teamId(), e);
        }
    }

    /** The team-wide budget ({@code keyId} empty) or the budget of one key. */
    public Optional<Budget> get(String teamId, Optional<String> keyId) {
        String sql = "SELECT " + COLUMNS + " FROM budgets WHERE team_id = ? AND COALESCE(key_id, '') = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            ps.setString(2, keyId.orElse(""));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(budget(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the budget of team " + teamId, e);
        }
    }

    /** Every budget of a team: the team-wide one first, then per-key budgets by key id. */
    public List<Budget> budgetsOf(String teamId) {
        String sql = "SELECT " + COLUMNS + " FROM budgets WHERE team_id = ? ORDER BY key_id NULLS FIRST";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            try (ResultSet rs = ps.executeQuery()) {
                List<Budget> out = new ArrayList<>();
                while (rs.next()) out.add(budget(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing the budgets of team " + teamId, e);
        }
    }

    /** Deletes a budget with its periods, leases and alerts; false when there was none. */
    public boolean delete(String teamId, Optional<String> keyId) {
        String sql = "DELETE FROM budgets WHERE team_id = ? AND COALESCE(key_id, '') = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            ps.setString(2, keyId.orElse(""));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("deleting the budget of team " + teamId, e);
        }
    }

    /** An expired lease: its replica stopped renewing it, so its unreported part is counted as spent. */
    public record ExpiredLease(long leaseId, long budgetId, Instant periodStart, String replicaId, long grantedMicros,
                               long grantedTokens, long reportedMicros, long reportedTokens, Instant expiredAt) {}

    /** Expired, not yet reconciled leases of a team's budgets. */
    public List<ExpiredLease> expiredLeases(String teamId) {
        String sql = "SELECT l.id, l.budget_id, l.period_start, l.replica_id, l.granted_micros, l.granted_tokens, "
                + "l.reported_micros, l.reported_tokens, l.closed_at FROM budget_leases l JOIN budgets b ON b.id = l.budget_id "
                + "WHERE b.team_id = ? AND l.state = 'expired' ORDER BY l.id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            try (ResultSet rs = ps.executeQuery()) {
                List<ExpiredLease> out = new ArrayList<>();
                while (rs.next())
                    out.add(new ExpiredLease(rs.getLong(1), rs.getLong(2), rs.getTimestamp(3).toInstant(), rs.getString(4),
                            rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getTimestamp(9).toInstant()));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing expired budget leases of team " + teamId, e);
        }
    }

    /**
     * Replaces an expired lease's presumed spend by its actual total (e.g. summed from the usage journal for the
     * crashed replica): the unspent rest returns to the period. False when the lease is not expired (any more).
     */
    public boolean reconcileExpiredLease(long leaseId, long totalMicrosUsd, long totalTokens) {
        if (totalMicrosUsd < 0 || totalTokens < 0) throw new IllegalArgumentException("actual spend must not be negative");
        return new LeaseLedger(db).reconcileExpired(leaseId, totalMicrosUsd, totalTokens, Instant.now());
    }

    /** Alerts recorded for a team's budgets, oldest first. */
    public List<BudgetAlert> alerts(String teamId) {
        String sql = "SELECT a.budget_id, b.team_id, b.key_id, a.threshold_pct, a.unit, a.used_amount, a.limit_amount, "
                + "a.period_start, p.period_end, a.fired_at, a.replica_id FROM budget_alerts a JOIN budgets b ON b.id = a.budget_id "
                + "LEFT JOIN budget_periods p ON p.budget_id = a.budget_id AND p.period_start = a.period_start "
                + "WHERE b.team_id = ? ORDER BY a.fired_at, a.id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, teamId);
            try (ResultSet rs = ps.executeQuery()) {
                List<BudgetAlert> out = new ArrayList<>();
                while (rs.next()) {
                    Timestamp end = rs.getTimestamp(9);
                    out.add(new BudgetAlert(rs.getLong(1), rs.getString(2), Optional.ofNullable(rs.getString(3)), rs.getInt(4),
                            BudgetUnit.fromWire(rs.getString(5)), rs.getLong(6), rs.getLong(7), rs.getTimestamp(8).toInstant(),
                            Optional.ofNullable(end).map(Timestamp::toInstant), rs.getTimestamp(10).toInstant(), rs.getString(11)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing budget alerts of team " + teamId, e);
        }
    }

    private static void setLong(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
        if (v.isPresent()) ps.setLong(i, v.getAsLong());
        else ps.setNull(i, Types.BIGINT);
    }

    private static Budget budget(ResultSet rs) throws SQLException {
        long m = rs.getLong(4);
        OptionalLong limitMicros = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(m);
        long t = rs.getLong(5);
        OptionalLong limitTokens = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(t);
        Array thresholds = rs.getArray(8);
        List<Integer> pct = thresholds == null ? List.of() : Arrays.asList((Integer[]) thresholds.getArray());
        BudgetDefinition d = new BudgetDefinition(rs.getString(2), Optional.ofNullable(rs.getString(3)), limitMicros, limitTokens,
                BudgetPeriod.fromWire(rs.getString(6)), BudgetEnforcement.fromWire(rs.getString(7)), pct);
        return new Budget(rs.getLong(1), d, rs.getTimestamp(9).toInstant());
    }
}
