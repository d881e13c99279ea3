package dev.llmgateway.metering;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Shadow comparisons (outputs truncated to a configured length), their judge verdicts, and the tallies and per-side
 * traffic statistics a migration is evaluated on. A pair is stored once per primary request id; its verdict once.
 */
public final class ShadowStore {
    /** Outcome of storing a pair. */
    public enum RecordResult { RECORDED, DUPLICATE }

    /** Outcome of storing a verdict: the first verdict of a pair stays (evidence must not move under a decision). */
    public enum VerdictResult { RECORDED, NOT_FOUND, ALREADY_JUDGED }

    /** A stored pair: outputs as stored (possibly truncated), and the verdict once judged. */
    public record StoredPair(ShadowPair pair, boolean primaryOutputTruncated, boolean shadowOutputTruncated,
                             Optional<ShadowJudgement> judgement) {}

    /** Verdicts of a route's pairs in a window; {@code unjudged} pairs have no verdict yet; {@code shadowFailures} did not answer. */
    public record Tally(String route, long pairs, long wins, long ties, long losses, long unjudged, long shadowFailures) {}

    /**
     * Traffic of one deployment class on a route in a window, from usage_events: requests, errors (HTTP status 5xx,
     * 408 or 429), and latency percentiles (ms, over the requests that succeeded, interpolated as {@code percentile_cont} and rounded
     * half away from zero; 0 when there were none).
     */
    public record SideTraffic(DeploymentClass deploymentClass, long requests, long errors, long latencyMsP50,
                              long latencyMsP95) {}

    private static final String ERROR_SQL = "(http_status >= 500 OR http_status IN (408, 429))";
    private static final String RECORD_COLUMNS = "request_id, route, primary_deployment, shadow_deployment, primary_output, "
            + "shadow_output, primary_latency_ms, shadow_latency_ms, primary_prompt_tokens, primary_completion_tokens, "
            + "shadow_prompt_tokens, shadow_completion_tokens, shadow_status, shadow_error, created_at, "
            + "primary_output_truncated, shadow_output_truncated";
    private static final String PAIR_COLUMNS = RECORD_COLUMNS + ", verdict, judge_deployment, judge_reason, judge_cost_micros, judged_at";

    private final DataSource db;
    private final int outputMaxChars;

    /** {@code outputMaxChars}: longest output stored per side; longer ones are cut (at a code point boundary). */
    public ShadowStore(DataSource db, int outputMaxChars) {
        if (outputMaxChars < 1) throw new IllegalArgumentException("outputMaxChars must be positive");
        this.db = db;
        this.outputMaxChars = outputMaxChars;
    }

    public RecordResult record(ShadowPair p) {
        String sql = "INSERT INTO shadow_pairs (" + RECORD_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING";
        String primary = truncate(p.primaryOutput(), outputMaxChars);
        String shadow = p.shadowOutput() == null ? null : truncate(p.shadowOutput(), outputMaxChars);
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, p.requestId());
            ps.setString(2, p.route());
            ps.setString(3, p.primaryDeployment());
            ps.setString(4, p.shadowDeployment());
            ps.setString(5, primary);
            ps.setString(6, shadow);
            ps.setInt(7, p.primaryLatencyMs());
            if (p.shadowLatencyMs() == null) ps.setNull(8, Types.INTEGER);
            else ps.setInt(8, p.shadowLatencyMs());
            ps.setLong(9, p.primaryPromptTokens());
            ps.setLong(10, p.primaryCompletionTokens());
            ps.setLong(11, p.shadowPromptTokens());
            ps.setLong(12, p.shadowCompletionTokens());
            ps.setString(13, p.shadowStatus().name());
            ps.setString(14, p.shadowError());
            ps.setTimestamp(15, Timestamp.from(p.at()));
            ps.setBoolean(16, primary.length() < p.primaryOutput().length());
            ps.setBoolean(17, shadow != null && shadow.length() < p.shadowOutput().length());
            return ps.executeUpdate() == 1 ? RecordResult.RECORDED : RecordResult.DUPLICATE;
        } catch (SQLException e) {
            throw new StoreException("storing the shadow pair of request " + p.requestId(), e);
        }
    }

    /** Adds the judge's verdict to the pair of {@code requestId} (the primary's request id). */
    public VerdictResult recordVerdict(String requestId, ShadowJudgement j) {
        String sql = "UPDATE shadow_pairs SET verdict = ?, judge_deployment = ?, judge_reason = ?, judge_cost_micros = ?, "
                + "judged_at = ? WHERE request_id = ? AND verdict IS NULL";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, j.verdict().name());
            ps.setString(2, j.judgeDeployment());
            ps.setString(3, j.reason());
            ps.setLong(4, j.judgeCostMicros());
            ps.setTimestamp(5, Timestamp.from(j.at()));
            ps.setString(6, requestId);
            if (ps.executeUpdate() == 1) return VerdictResult.RECORDED;
        } catch (SQLException e) {
            throw new StoreException("storing the verdict on request " + requestId, e);
        }
        return find(requestId).isPresent() ? VerdictResult.ALREADY_JUDGED : VerdictResult.NOT_FOUND;
    }

    public Optional<StoredPair> find(String requestId) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + PAIR_COLUMNS + " FROM shadow_pairs WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(pair(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the shadow pair of request " + requestId, e);
        }
    }

    /** Pairs of a route created in {@code from <= at < to} still waiting for a verdict, oldest first (for the judge). */
    public List<StoredPair> unjudged(String route, Instant from, Instant to, int limit) {
        String sql = "SELECT " + PAIR_COLUMNS + " FROM shadow_pairs WHERE route = ? AND created_at >= ? AND created_at < ? "
                + "AND verdict IS NULL AND shadow_status = 'OK' ORDER BY created_at, request_id LIMIT ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<StoredPair> out = new ArrayList<>();
                while (rs.next()) out.add(pair(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("listing unjudged shadow pairs of route " + route, e);
        }
    }

    /** Verdict counts of a route's pairs created in {@code from <= at < to}. */
    public Tally tally(String route, Instant from, Instant to) {
        String sql = "SELECT count(*), count(*) FILTER (WHERE verdict = 'WIN'), count(*) FILTER (WHERE verdict = 'TIE'), "
                + "count(*) FILTER (WHERE verdict = 'LOSS'), count(*) FILTER (WHERE verdict IS NULL), "
                + "count(*) FILTER (WHERE shadow_status <> 'OK') FROM shadow_pairs "
                + "WHERE route = ? AND created_at >= ? AND created_at < ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Tally t = new Tally(route, rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6));
                Invariants.check(t.wins() + t.ties() + t.losses() + t.unjudged() == t.pairs(), "every pair is judged once or unjudged");
                return t;
            }
        } catch (SQLException e) {
            throw new StoreException("tallying shadow verdicts of route " + route, e);
        }
    }

    /**
     * Per deployment class (ordered closed, open; classes without traffic absent), a route's usage in
     * {@code from <= time < to}. {@code includeShadow}: whether shadow calls count (they are the open side's only
     * traffic before its first stage).
     */
    public List<SideTraffic> sideTraffic(String route, Instant from, Instant to, boolean includeShadow) {
        String sql = "SELECT deployment_class, count(*), count(*) FILTER (WHERE " + ERROR_SQL + "), "
                + "round((percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT " + ERROR_SQL + "))::numeric)::bigint, "
                + "round((percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE NOT " + ERROR_SQL + "))::numeric)::bigint "
                + "FROM usage_events WHERE route = ? AND time >= ? AND time < ?"
                + (includeShadow ? "" : " AND NOT shadow") + " GROUP BY 1 ORDER BY 1";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, route);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
                List<SideTraffic> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new SideTraffic(DeploymentClass.fromWire(rs.getString(1)), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), rs.getLong(5)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading traffic of route " + route, e);
        }
    }

    /** The first {@code max} characters, never splitting a surrogate pair. */
    static String truncate(String s, int max) {
        if (s.length() <= max) return s;
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }

    private static StoredPair pair(ResultSet rs) throws SQLException {
        int shadowLatency = rs.getInt(8);
        Integer shadowLatencyMs = rs.wasNull() ? null : shadowLatency;
        ShadowPair p = new ShadowPair(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getInt(7), shadowLatencyMs, rs.getLong(9), rs.getLong(10), rs.getLong(11),
                rs.getLong(12), ShadowPair.Status.valueOf(rs.getString(13)), rs.getString(14), rs.getTimestamp(15).toInstant());
        String verdict = rs.getString(18);
        Optional<ShadowJudgement> j = verdict == null ? Optional.empty()
                : Optional.of(new ShadowJudgement(ShadowJudgement.Verdict.valueOf(verdict), rs.getString(19),
                        rs.getString(20), rs.getLong(21), rs.getTimestamp(22).toInstant()));
        return new StoredPair(p, rs.getBoolean(16), rs.getBoolean(17), j);
    }
}
