package dev.llmgateway.metering.internal.budget;

import dev.llmgateway.metering.BudgetUnit;
import dev.llmgateway.metering.StoreException;
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
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * SQL for budget periods, leases and alerts. Lock order everywhere: the lease row first, then the period row,
 * so concurrent grants, reports and expiries cannot deadlock.
 */
public final class LeaseLedger {
    private final DataSource db;

    public LeaseLedger(DataSource db) { this.db = db; }

    /** Creates the period row (all counters zero) if missing, then a new empty open lease; returns the lease id. */
    public long openLease(long budgetId, Instant periodStart, Optional<Instant> periodEnd, String replicaId,
                          Instant now, Instant expiresAt) {
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO budget_periods (budget_id, period_start, period_end) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                ps.setLong(1, budgetId);
                ps.setTimestamp(2, Timestamp.from(periodStart));
                ps.setTimestamp(3, periodEnd.map(Timestamp::from).orElse(null));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO budget_leases (budget_id, period_start, replica_id, created_at, expires_at) "
                            + "VALUES (?, ?, ?, ?, ?) RETURNING id")) {
                ps.setLong(1, budgetId);
                ps.setTimestamp(2, Timestamp.from(periodStart));
                ps.setString(3, replicaId);
                ps.setTimestamp(4, Timestamp.from(now));
                ps.setTimestamp(5, Timestamp.from(expiresAt));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            throw new StoreException("opening a lease on budget " + budgetId, e);
        }
    }

    /** Outcome of asking the period for more budget. {@code leaseOpen=false}: the lease was expired by another replica. */
    public record TopUp(boolean leaseOpen, boolean admitted, long grantMicros, long grantTokens, PeriodTotals totals) {}

    /**
     * The single atomic grant: locks the period row, and in one UPDATE either grants {@code ask} plus a slice
     * (at most limit/slices and remaining/shareDivisor, rounded down to whole multiples of {@code need}, never more
     * than remains) when {@code limit - allocated >= ask} in every limited dimension; or, when that does not hold,
     * returns {@code ret} (the holder's unused lease) for a hard budget, or grants what remains up to {@code ask}
     * for a soft one. The grant is a signed change of the lease's {@code granted}.
     */
    private static final String GRANT_SQL = """
            UPDATE budget_periods p
               SET allocated_micros = g.m + g.dm, allocated_tokens = g.t + g.dt
              FROM (SELECT s.budget_id, s.period_start, s.m, s.t, s.lm, s.lt, s.admit,
                           CASE WHEN s.lm IS NULL THEN 0
                                WHEN NOT s.admit AND NOT s.soft THEN -s.ret_m
                                WHEN NOT s.admit THEN LEAST(GREATEST(s.rm, 0), s.ask_m)
                                WHEN s.ask_m = 0 THEN 0
                                ELSE s.ask_m + LEAST(s.rm - s.ask_m,
                                     (LEAST(s.lm / s.slices, s.rm / s.share_div) / GREATEST(s.need_m, 1)) * GREATEST(s.need_m, 1))
                           END AS dm,
                           CASE WHEN s.lt IS NULL THEN 0
                                WHEN NOT s.admit AND NOT s.soft THEN -s.ret_t
                                WHEN NOT s.admit THEN LEAST(GREATEST(s.rt, 0), s.ask_t)
                                WHEN s.ask_t = 0 THEN 0
                                ELSE s.ask_t + LEAST(s.rt - s.ask_t,
                                     (LEAST(s.lt / s.slices, s.rt / s.share_div) / GREATEST(s.need_t, 1)) * GREATEST(s.need_t, 1))
                           END AS dt
                      FROM (SELECT r.*, (r.lm IS NULL OR r.rm >= r.ask_m) AND (r.lt IS NULL OR r.rt >= r.ask_t) AS admit
                              FROM (SELECT q.budget_id, q.period_start, q.allocated_micros AS m, q.allocated_tokens AS t,
                                           b.limit_micros_usd AS lm, b.limit_tokens AS lt,
                                           b.limit_micros_usd - q.allocated_micros AS rm,
                                           b.limit_tokens - q.allocated_tokens AS rt, x.*
                                      FROM budget_periods q
                                      JOIN budgets b ON b.id = q.budget_id
                                     CROSS JOIN (SELECT ?::bigint AS ask_m, ?::bigint AS ask_t, ?::bigint AS need_m,
                                                        ?::bigint AS need_t, ?::bigint AS ret_m, ?::bigint AS ret_t,
                                                        ?::bigint AS slices, ?::bigint AS share_div, ?::boolean AS soft) x
                                     WHERE q.budget_id = ? AND q.period_start = ?
                                       FOR NO KEY UPDATE OF q) r) s) g
             WHERE p.budget_id = g.budget_id AND p.period_start = g.period_start
            RETURNING g.admit, g.dm, g.dt, g.lm, g.lt, p.allocated_micros, p.allocated_tokens, p.spent_micros,
                      p.spent_tokens, p.written_off_micros, p.written_off_tokens, p.over_grant_micros, p.over_grant_tokens
            """;

    /**
     * Renews the lease and asks its period for budget (see {@link #GRANT_SQL}), in one transaction.
     * {@code ask*}: what the lease lacks for the request; {@code need*}: the request's worst case; {@code ret*}:
     * the lease's unused part, returned if a hard budget refuses.
     */
    public TopUp topUp(long leaseId, long budgetId, Instant periodStart, long askMicros, long askTokens, long needMicros,
                       long needTokens, long retMicros, long retTokens, int slices, int shareDivisor, boolean soft,
                       Instant expiresAt) {
        try {
            TopUp topUp = Tx.inTransaction(db, c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE budget_leases SET expires_at = ? WHERE id = ? AND state = 'open'")) {
                    ps.setTimestamp(1, Timestamp.from(expiresAt));
                    ps.setLong(2, leaseId);
                    if (ps.executeUpdate() == 0) return new TopUp(false, false, 0, 0, null); // changed nothing
                }
                TopUp result;
                try (PreparedStatement ps = c.prepareStatement(GRANT_SQL)) {
                    int i = 1;
                    for (long v : new long[] {askMicros, askTokens, needMicros, needTokens, retMicros, retTokens, slices, shareDivisor})
                        ps.setLong(i++, v);
                    ps.setBoolean(i++, soft);
                    ps.setLong(i++, budgetId);
                    ps.setTimestamp(i, Timestamp.from(periodStart));
                    try (ResultSet rs = ps.executeQuery()) {
                        BudgetInvariants.check(rs.next(), () -> "no period row for budget " + budgetId + " at " + periodStart);
                        PeriodTotals totals = new PeriodTotals(optLong(rs, 4), optLong(rs, 5), rs.getLong(6), rs.getLong(7),
                                rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getLong(13));
                        result = new TopUp(true, rs.getBoolean(1), rs.getLong(2), rs.getLong(3), totals);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE budget_leases SET granted_micros = granted_micros + ?, granted_tokens = granted_tokens + ? WHERE id = ?")) {
                    ps.setLong(1, result.grantMicros());
                    ps.setLong(2, result.grantTokens());
                    ps.setLong(3, leaseId);
                    ps.executeUpdate();
                }
                return result;
            });
            if (topUp.totals() != null) checkGrant(topUp);
            return topUp;
        } catch (SQLException e) {
            throw new StoreException("taking budget lease " + leaseId, e);
        }
    }

    /** A positive grant is at most what remained, so it never takes allocated above the limit. */
    private static void checkGrant(TopUp r) {
        PeriodTotals t = r.totals();
        if (r.grantTokens() > 0 && t.limitTokens().isPresent())
            BudgetInvariants.check(t.allocatedTokens() <= t.limitTokens().getAsLong(),
                    () -> "grant took allocated tokens above the limit: " + t);
        if (r.grantMicros() > 0 && t.limitMicros().isPresent())
            BudgetInvariants.check(t.allocatedMicros() <= t.limitMicros().getAsLong(),
                    () -> "grant took allocated micros above the limit: " + t);
    }

    /**
     * Outcome of a report: the lease before and after, and the period's totals after. {@code takenOver}: the lease
     * had been expired and reconciled from stored usage, which already counts (or will count) what its replica
     * reports, so the report changed nothing.
     */
    public record Report(LeaseRow before, LeaseRow after, PeriodTotals totals, boolean takenOver) {
        public Report(LeaseRow before, LeaseRow after, PeriodTotals totals) { this(before, after, totals, false); }
    }

    /**
     * Reports more spend on a lease and closes it as asked, in one transaction; the period's counters move by the
     * lease's changes so that each stays the sum over its leases. An open lease kept open is renewed to {@code expiresAt}.
     */
    public Optional<Report> report(long leaseId, long deltaMicros, long deltaTokens, LeaseRow.Closing closing,
                                   long keepMicros, long keepTokens, Instant now, Instant expiresAt) {
        try {
            return Tx.inTransaction(db, c -> report(c, leaseId, deltaMicros, deltaTokens, closing, keepMicros, keepTokens, now, expiresAt, true));
        } catch (SQLException e) {
            throw new StoreException("reporting spend on budget lease " + leaseId, e);
        }
    }

    private Optional<Report> report(Connection c, long leaseId, long deltaMicros, long deltaTokens, LeaseRow.Closing closing,
                                    long keepMicros, long keepTokens, Instant now, Instant expiresAt, boolean byHolder)
            throws SQLException {
        LeaseRow before;
        long budgetId;
        Timestamp periodStart;
        boolean fromUsage;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT state, granted_micros, granted_tokens, reported_micros, reported_tokens, budget_id, period_start, "
                        + "reconciled_from_usage_at IS NOT NULL FROM budget_leases WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, leaseId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty(); // the budget was deleted with its leases
                before = new LeaseRow(leaseId, rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
                budgetId = rs.getLong(6);
                periodStart = rs.getTimestamp(7);
                fromUsage = rs.getBoolean(8);
            }
        }
        if (byHolder && fromUsage) { // its usage rows count instead (see reconcileFromUsage), so this must not add twice
            return Optional.of(new Report(before, before, movePeriod(c, budgetId, periodStart, 0, 0, 0, 0, 0, 0, 0, 0), true));
        }
        LeaseRow after = before.afterReport(deltaMicros, deltaTokens, closing, keepMicros, keepTokens);
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE budget_leases SET state = ?, granted_micros = ?, granted_tokens = ?, reported_micros = ?, "
                        + "reported_tokens = ?, expires_at = CASE WHEN ? THEN ? ELSE expires_at END, "
                        + "closed_at = CASE WHEN ? THEN COALESCE(closed_at, ?) ELSE closed_at END WHERE id = ?")) {
            ps.setString(1, after.state());
            ps.setLong(2, after.grantedMicros());
            ps.setLong(3, after.grantedTokens());
            ps.setLong(4, after.reportedMicros());
            ps.setLong(5, after.reportedTokens());
            ps.setBoolean(6, after.open());
            ps.setTimestamp(7, Timestamp.from(expiresAt));
            ps.setBoolean(8, !after.open());
            ps.setTimestamp(9, Timestamp.from(now));
            ps.setLong(10, leaseId);
            ps.executeUpdate();
        }
        long overMicros = Math.max(0, after.reportedMicros() - before.grantedMicros());
        long overTokens = Math.max(0, after.reportedTokens() - before.grantedTokens());
        PeriodTotals totals = movePeriod(c, budgetId, periodStart,
                after.grantedMicros() - before.grantedMicros(), after.grantedTokens() - before.grantedTokens(),
                after.reportedMicros() - before.reportedMicros(), after.reportedTokens() - before.reportedTokens(),
                after.writtenOffMicros() - before.writtenOffMicros(), after.writtenOffTokens() - before.writtenOffTokens(),
                overMicros, overTokens);
        return Optional.of(new Report(before, after, totals));
    }

    private static PeriodTotals movePeriod(Connection c, long budgetId, Timestamp periodStart, long allocM, long allocT,
                                           long spentM, long spentT, long woM, long woT, long overM, long overT) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE budget_periods p SET allocated_micros = allocated_micros + ?, allocated_tokens = allocated_tokens + ?, "
                        + "spent_micros = spent_micros + ?, spent_tokens = spent_tokens + ?, "
                        + "written_off_micros = written_off_micros + ?, written_off_tokens = written_off_tokens + ?, "
                        + "over_grant_micros = over_grant_micros + ?, over_grant_tokens = over_grant_tokens + ? "
                        + "FROM budgets b WHERE b.id = p.budget_id AND p.budget_id = ? AND p.period_start = ? "
                        + "RETURNING b.limit_micros_usd, b.limit_tokens, p.allocated_micros, p.allocated_tokens, p.spent_micros, "
                        + "p.spent_tokens, p.written_off_micros, p.written_off_tokens, p.over_grant_micros, p.over_grant_tokens")) {
            int i = 1;
            for (long v : new long[] {allocM, allocT, spentM, spentT, woM, woT, overM, overT}) ps.setLong(i++, v);
            ps.setLong(i++, budgetId);
            ps.setTimestamp(i, periodStart);
            try (ResultSet rs = ps.executeQuery()) {
                BudgetInvariants.check(rs.next(), () -> "no period row for budget " + budgetId + " at " + periodStart);
                return totals(rs, 1);
            }
        }
    }

    /**
     * Expires open leases not renewed since {@code now}: their unreported part is written off (presumed spent),
     * so a vanished replica's lease can never be spent twice. Returns the ids expired.
     */
    public List<Long> expireLapsedLeases(Instant now) {
        List<Long> expired = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            List<Long> candidates = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id FROM budget_leases WHERE state = 'open' AND expires_at < ? ORDER BY id LIMIT 100")) {
                ps.setTimestamp(1, Timestamp.from(now));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) candidates.add(rs.getLong(1));
                }
            }
            if (candidates.isEmpty()) return expired;
            for (long id : candidates) {
                boolean wasExpired = Tx.inTransaction(c, tx -> {
                    try (PreparedStatement ps = tx.prepareStatement(
                            "UPDATE budget_leases SET state = 'expired', closed_at = ? WHERE id = ? AND state = 'open' AND expires_at < ? "
                                    + "RETURNING budget_id, period_start, granted_micros - reported_micros, granted_tokens - reported_tokens")) {
                        ps.setTimestamp(1, Timestamp.from(now));
                        ps.setLong(2, id);
                        ps.setTimestamp(3, Timestamp.from(now));
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next()) return false;
                            movePeriod(tx, rs.getLong(1), rs.getTimestamp(2), 0, 0, 0, 0, rs.getLong(3), rs.getLong(4), 0, 0);
                            return true;
                        }
                    }
                });
                if (wasExpired) expired.add(id);
            }
            return expired;
        } catch (SQLException e) {
            throw new StoreException("expiring lapsed budget leases", e);
        }
    }

    /** Reconciles an expired lease with its actual total spend (e.g. from the usage journal); false if not expired. */
    public boolean reconcileExpired(long leaseId, long totalMicros, long totalTokens, Instant now) {
        try {
            return Tx.inTransaction(db, c -> {
                LeaseRow row = lease(c, leaseId, true).orElse(null);
                if (row == null || !row.expired()) return false; // changed nothing
                report(c, leaseId, Math.max(0, totalMicros - row.reportedMicros()), Math.max(0, totalTokens - row.reportedTokens()),
                        LeaseRow.Closing.CLOSE, 0, 0, now, now, false);
                return true;
            });
        } catch (SQLException e) {
            throw new StoreException("reconciling budget lease " + leaseId, e);
        }
    }

    /**
     * What a lease's replica stored as usage while it held the lease: non-shadow usage rows stamped with its replica
     * id, of the budget's team (and key), from shortly before the lease was opened (a request is received before it is
     * admitted) until the lease was expired or the same replica opened its next lease on the budget; exact charges are
     * summed and rounded up once, as a lease rounds its own spend. Conservative: a
     * request received just before the lease opened but admitted on an earlier one counts here too.
     */
    private static final String USAGE_OF_LEASE = """
            SELECT COALESCE(CEIL(SUM(e.team_charge_micros)), 0)::bigint, COALESCE(SUM(e.prompt_tokens + e.completion_tokens), 0)
              FROM budget_leases l
              JOIN budgets b ON b.id = l.budget_id
              JOIN usage_events e ON e.replica_id = l.replica_id AND e.team_id = b.team_id
                                 AND (b.key_id IS NULL OR e.key_id = b.key_id) AND NOT e.shadow
                                 AND e.time >= l.created_at - interval '10 seconds'
                                 AND e.time < LEAST(COALESCE(l.closed_at, 'infinity'::timestamptz),
                                                    COALESCE((SELECT min(n.created_at) FROM budget_leases n
                                                               WHERE n.budget_id = l.budget_id AND n.replica_id = l.replica_id
                                                                 AND n.id > l.id), 'infinity'::timestamptz))
             WHERE l.id = ?
            """;

    /** A lease reconciled from stored usage: its id and the spend that now counts instead of the presumption. */
    public record Reconciled(long leaseId, String replicaId, long grantedMicros, long grantedTokens, long spentMicros, long spentTokens) {}

    /**
     * Reconciles expired leases (at most 100 per call) from the usage their replicas stored: the presumed spend is
     * replaced by the stored spend (never less than what the replica reported) and the unspent rest returns to the
     * period. Replicas whose usage rows carry their id (the gateway) only; the holder's own late reports are then ignored.
     */
    public List<Reconciled> reconcileFromUsage(Instant now) {
        try (Connection c = db.getConnection()) {
            List<Long> candidates = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM budget_leases WHERE state = 'expired' ORDER BY id LIMIT 100");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) candidates.add(rs.getLong(1));
            }
            List<Reconciled> out = new ArrayList<>();
            if (candidates.isEmpty()) return out;
            for (long id : candidates) {
                Reconciled done = Tx.inTransaction(c, tx -> {
                    LeaseRow row = lease(tx, id, true).orElse(null);
                    if (row == null || !row.expired()) return null; // changed nothing
                    long[] used = usageOf(tx, id);
                    Report r = report(tx, id, Math.max(0, used[0] - row.reportedMicros()), Math.max(0, used[1] - row.reportedTokens()),
                            LeaseRow.Closing.CLOSE, 0, 0, now, now, false).orElseThrow();
                    markFromUsage(tx, id, now);
                    return new Reconciled(id, replicaOf(tx, id), row.grantedMicros(), row.grantedTokens(), r.after().reportedMicros(),
                            r.after().reportedTokens());
                });
                if (done != null) out.add(done);
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reconciling expired budget leases from stored usage", e);
        }
    }

    /**
     * Adds usage stored after a lease was reconciled from usage (a restarted replica replaying its journal, a slow
     * writer), for leases reconciled within {@code horizon}; returns how many leases grew. The spend counts in full
     * (as over-grant if it exceeds what was granted), so no stored usage is left out of its budget.
     */
    public int addLateUsage(Instant now, java.time.Duration horizon) {
        try (Connection c = db.getConnection()) {
            List<Long> candidates = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id FROM budget_leases WHERE reconciled_from_usage_at > ? AND state = 'reconciled' ORDER BY id LIMIT 1000")) {
                ps.setTimestamp(1, Timestamp.from(now.minus(horizon)));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) candidates.add(rs.getLong(1));
                }
            }
            int grew = 0;
            for (long id : candidates) {
                boolean grown = Tx.inTransaction(c, tx -> {
                    LeaseRow row = lease(tx, id, true).orElse(null);
                    long[] used = row == null ? null : usageOf(tx, id);
                    if (row == null || (used[0] <= row.reportedMicros() && used[1] <= row.reportedTokens())) return false; // changed nothing
                    report(tx, id, Math.max(0, used[0] - row.reportedMicros()), Math.max(0, used[1] - row.reportedTokens()),
                            LeaseRow.Closing.KEEP, 0, 0, now, now, false);
                    return true;
                });
                if (grown) grew++;
            }
            return grew;
        } catch (SQLException e) {
            throw new StoreException("adding late usage to reconciled budget leases", e);
        }
    }

    private static long[] usageOf(Connection c, long leaseId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(USAGE_OF_LEASE)) {
            ps.setLong(1, leaseId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2)};
            }
        }
    }

    private static void markFromUsage(Connection c, long leaseId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE budget_leases SET reconciled_from_usage_at = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setLong(2, leaseId);
            ps.executeUpdate();
        }
    }

    private static String replicaOf(Connection c, long leaseId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT replica_id FROM budget_leases WHERE id = ?")) {
            ps.setLong(1, leaseId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "?";
            }
        }
    }

    private static Optional<LeaseRow> lease(Connection c, long leaseId, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT state, granted_micros, granted_tokens, reported_micros, reported_tokens FROM budget_leases WHERE id = ?"
                        + (lock ? " FOR UPDATE" : ""))) {
            ps.setLong(1, leaseId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new LeaseRow(leaseId, rs.getString(1), rs.getLong(2), rs.getLong(3),
                        rs.getLong(4), rs.getLong(5))) : Optional.empty();
            }
        }
    }

    /** The lease as stored. */
    public Optional<LeaseRow> lease(long leaseId) {
        try (Connection c = db.getConnection()) {
            return lease(c, leaseId, false);
        } catch (SQLException e) {
            throw new StoreException("reading budget lease " + leaseId, e);
        }
    }

    /** The period's totals; empty when nothing was ever leased in it. */
    public Optional<PeriodTotals> totals(long budgetId, Instant periodStart) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT b.limit_micros_usd, b.limit_tokens, p.allocated_micros, p.allocated_tokens, p.spent_micros, "
                        + "p.spent_tokens, p.written_off_micros, p.written_off_tokens, p.over_grant_micros, p.over_grant_tokens "
                        + "FROM budget_periods p JOIN budgets b ON b.id = p.budget_id WHERE p.budget_id = ? AND p.period_start = ?")) {
            ps.setLong(1, budgetId);
            ps.setTimestamp(2, Timestamp.from(periodStart));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(totals(rs, 1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading budget period of budget " + budgetId, e);
        }
    }

    /**
     * Checks that every counter of the period equals the sum of the same quantity over its leases, and that grants
     * never exceeded the limit ({@code allocated - over_grant <= limit}, unless the limit was lowered). For tests and audits.
     */
    public void checkPeriodAgainstLeases(long budgetId, Instant periodStart) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT p.allocated_micros, p.allocated_tokens, p.spent_micros, p.spent_tokens, p.written_off_micros, "
                        + "p.written_off_tokens, "
                        + "COALESCE(SUM(l.granted_micros), 0), COALESCE(SUM(l.granted_tokens), 0), "
                        + "COALESCE(SUM(l.reported_micros), 0), COALESCE(SUM(l.reported_tokens), 0), "
                        + "COALESCE(SUM(l.granted_micros - l.reported_micros) FILTER (WHERE l.state = 'expired'), 0), "
                        + "COALESCE(SUM(l.granted_tokens - l.reported_tokens) FILTER (WHERE l.state = 'expired'), 0) "
                        + "FROM budget_periods p LEFT JOIN budget_leases l ON l.budget_id = p.budget_id AND l.period_start = p.period_start "
                        + "WHERE p.budget_id = ? AND p.period_start = ? GROUP BY p.budget_id, p.period_start")) {
            ps.setLong(1, budgetId);
            ps.setTimestamp(2, Timestamp.from(periodStart));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return;
                for (int i = 1; i <= 6; i++) {
                    long counter = rs.getLong(i), sum = rs.getLong(i + 6);
                    int col = i;
                    BudgetInvariants.check(counter == sum, () -> "budget " + budgetId + " period " + periodStart
                            + " counter #" + col + " is " + counter + " but its leases sum to " + sum);
                }
            }
        } catch (SQLException e) {
            throw new StoreException("checking budget period of budget " + budgetId, e);
        }
    }

    /** Records a threshold crossing; true only for the one replica whose insert wins. */
    public boolean recordAlert(long budgetId, Instant periodStart, int thresholdPct, BudgetUnit unit, long used, long limit,
                               String replicaId, Instant now) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO budget_alerts (budget_id, period_start, threshold_pct, unit, used_amount, limit_amount, replica_id, fired_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (budget_id, period_start, threshold_pct) DO NOTHING")) {
            ps.setLong(1, budgetId);
            ps.setTimestamp(2, Timestamp.from(periodStart));
            ps.setInt(3, thresholdPct);
            ps.setString(4, unit.wire());
            ps.setLong(5, used);
            ps.setLong(6, limit);
            ps.setString(7, replicaId);
            ps.setTimestamp(8, Timestamp.from(now));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("recording a budget alert for budget " + budgetId, e);
        }
    }

    /** A recorded alert not yet delivered, with its delivery attempts so far. */
    public record PendingAlert(long id, int attempts, dev.llmgateway.metering.BudgetAlert alert) {}

    /**
     * Recorded alerts neither delivered nor given up: this replica's, plus those of replicas that left them undelivered
     * since before {@code orphanedBefore} (taken over: their replica id becomes this one, so one replica delivers each).
     */
    public List<PendingAlert> undeliveredAlerts(String replicaId, Instant orphanedBefore) {
        String sql = "WITH mine AS (UPDATE budget_alerts SET replica_id = ? WHERE delivered_at IS NULL AND gave_up_at IS NULL "
                + "AND (replica_id = ? OR fired_at < ?) RETURNING *) "
                + "SELECT m.id, m.delivery_attempts, m.budget_id, b.team_id, b.key_id, m.threshold_pct, m.unit, m.used_amount, "
                + "m.limit_amount, m.period_start, p.period_end, m.fired_at, m.replica_id FROM mine m "
                + "JOIN budgets b ON b.id = m.budget_id "
                + "LEFT JOIN budget_periods p ON p.budget_id = m.budget_id AND p.period_start = m.period_start ORDER BY m.id";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, replicaId);
            ps.setString(2, replicaId);
            ps.setTimestamp(3, Timestamp.from(orphanedBefore));
            try (ResultSet rs = ps.executeQuery()) {
                List<PendingAlert> out = new ArrayList<>();
                while (rs.next()) {
                    Timestamp end = rs.getTimestamp(11);
                    out.add(new PendingAlert(rs.getLong(1), rs.getInt(2), new dev.llmgateway.metering.BudgetAlert(rs.getLong(3),
                            rs.getString(4), java.util.Optional.ofNullable(rs.getString(5)), rs.getInt(6), BudgetUnit.fromWire(rs.getString(7)),
                            rs.getLong(8), rs.getLong(9), rs.getTimestamp(10).toInstant(),
                            java.util.Optional.ofNullable(end).map(Timestamp::toInstant), rs.getTimestamp(12).toInstant(), rs.getString(13))));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading undelivered budget alerts", e);
        }
    }

    /** Records that an alert was delivered. */
    public void alertDelivered(long alertId, Instant at) {
        alertUpdate("UPDATE budget_alerts SET delivered_at = ?, delivery_attempts = delivery_attempts + 1 WHERE id = ?", alertId, at, null);
    }

    /** Records a failed delivery attempt; {@code giveUp}: no more attempts (the alert stays recorded with its last error). */
    public void alertFailed(long alertId, String error, boolean giveUp, Instant at) {
        alertUpdate("UPDATE budget_alerts SET delivery_attempts = delivery_attempts + 1, last_error = ?, "
                + "gave_up_at = CASE WHEN " + giveUp + " THEN ?::timestamptz END WHERE id = ?", alertId, at, error);
    }

    private void alertUpdate(String sql, long alertId, Instant at, String error) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (error != null) ps.setString(i++, error.length() > 500 ? error.substring(0, 500) : error);
            ps.setTimestamp(i++, Timestamp.from(at));
            ps.setLong(i, alertId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("recording the delivery of budget alert " + alertId, e);
        }
    }

    /** Thresholds already recorded for the period (so a restarted replica does not try them again). */
    public List<Integer> recordedThresholds(long budgetId, Instant periodStart) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT threshold_pct FROM budget_alerts WHERE budget_id = ? AND period_start = ?")) {
            ps.setLong(1, budgetId);
            ps.setTimestamp(2, Timestamp.from(periodStart));
            try (ResultSet rs = ps.executeQuery()) {
                List<Integer> out = new ArrayList<>();
                while (rs.next()) out.add(rs.getInt(1));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading budget alerts of budget " + budgetId, e);
        }
    }

    private static PeriodTotals totals(ResultSet rs, int i) throws SQLException {
        return new PeriodTotals(optLong(rs, i), optLong(rs, i + 1), rs.getLong(i + 2), rs.getLong(i + 3), rs.getLong(i + 4),
                rs.getLong(i + 5), rs.getLong(i + 6), rs.getLong(i + 7), rs.getLong(i + 8), rs.getLong(i + 9));
    }

    private static OptionalLong optLong(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
    }
}
