package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.Tx;
import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Reads stored usage: totals with filters and grouping, one request by id, CSV export, and savings reports. */
public final class UsageQueries {
    private final DataSource db;

    public UsageQueries(DataSource db) { this.db = db; }

    /**
     * Which events to include; null means "any". Time is half-open: {@code from <= time < to}.
     * {@code shadow}: null includes shadow requests, false excludes them, true selects only them.
     */
    public record Filter(String teamId, String keyId, String route, String deployment, Instant from, Instant to, Boolean shadow) {
        public static Filter all() { return new Filter(null, null, null, null, null, null, null); }
        public Filter team(String v) { return new Filter(v, keyId, route, deployment, from, to, shadow); }
        public Filter key(String v) { return new Filter(teamId, v, route, deployment, from, to, shadow); }
        public Filter route(String v) { return new Filter(teamId, keyId, v, deployment, from, to, shadow); }
        public Filter deployment(String v) { return new Filter(teamId, keyId, route, v, from, to, shadow); }
        public Filter between(Instant f, Instant t) { return new Filter(teamId, keyId, route, deployment, f, t, shadow); }
        public Filter shadow(Boolean v) { return new Filter(teamId, keyId, route, deployment, from, to, v); }
    }

    /** A dimension to group totals by; days and months are UTC. */
    public enum Grouping {
        DAY("to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD')"), MONTH("to_char(time AT TIME ZONE 'UTC', 'YYYY-MM')"),
        TEAM("team_id"), KEY("coalesce(key_id, '')"), DEPLOYMENT("deployment"), ROUTE("route"),
        /** How the tokens were counted: provider, engine, estimated (or unrecorded, before migration V8). */
        TOKEN_SOURCE("token_source");

        final String sql;

        Grouping(String sql) { this.sql = sql; }
    }

    /**
     * Summed usage, money in exact micro-USD. Team figures ({@code requests}, tokens, {@code providerCostMicros},
     * {@code teamChargeMicros}, {@code baselineCostMicros}) cover the teams' own requests only; shadow requests (the
     * operator's evaluation traffic, never team spend) are reported apart: {@code shadowRequests} and
     * {@code shadowCostMicros} (what the provider charges the operator for them). {@code baselineCostMicros} sums the
     * requests that have a priced baseline; {@code requestsWithoutBaseline} counts those that have none.
     */
    public record Totals(long requests, long promptTokens, long completionTokens, long cachedTokens,
                         MicroUsd providerCostMicros, MicroUsd teamChargeMicros, MicroUsd baselineCostMicros,
                         long requestsWithoutBaseline, long shadowRequests, MicroUsd shadowCostMicros) {}

    /** Totals for one group; {@code key} holds one value per requested grouping, in order. */
    public record Group(List<String> key, Totals totals) {}

    /** Period length of a savings report (UTC). */
    public enum Period { DAY, MONTH }

    /**
     * Savings of one route and team in one period, over the teams' own (non-shadow) requests. {@code providerCostMicros}
     * is what they actually cost; {@code shadowCostMicros} what the shadow traffic cost on top (reported apart, never
     * team spend). {@code baselineCostMicros} is what the requests with a priced baseline would have cost on the route's
     * closed baseline, {@code savingMicros = baseline - provider cost of those same requests} (negative when the
     * migration costs more); both empty when no request has a priced baseline ("no baseline", not a zero saving).
     * {@code requestsWithoutBaseline} counts requests left out of the saving for lack of a baseline price;
     * {@code unpricedOpenRequests} counts requests served by an open deployment priced at zero (flagged: their saving
     * would read as 100%). {@code cacheHits} counts answers served from the response cache (provider cost 0) and
     * {@code cacheSavedMicros} the provider cost they avoided.
     */
    public record Saving(String route, String teamId, LocalDate periodStart, long requests, MicroUsd teamChargeMicros,
                         MicroUsd providerCostMicros, Optional<MicroUsd> baselineCostMicros, Optional<MicroUsd> savingMicros,
                         long requestsWithoutBaseline, long unpricedOpenRequests, long shadowRequests,
                         MicroUsd shadowCostMicros, long cacheHits, MicroUsd cacheSavedMicros) {}

    private static final String SUMS = "count(*) FILTER (WHERE NOT shadow), "
            + "coalesce(sum(prompt_tokens) FILTER (WHERE NOT shadow), 0)::bigint, "
            + "coalesce(sum(completion_tokens) FILTER (WHERE NOT shadow), 0)::bigint, "
            + "coalesce(sum(cached_tokens) FILTER (WHERE NOT shadow), 0)::bigint, "
            + "coalesce(sum(provider_cost_micros) FILTER (WHERE NOT shadow), 0), "
            + "coalesce(sum(team_charge_micros) FILTER (WHERE NOT shadow), 0), "
            + "coalesce(sum(baseline_cost_micros) FILTER (WHERE NOT shadow), 0), "
            + "count(*) FILTER (WHERE NOT shadow AND baseline_cost_micros IS NULL), "
            + "count(*) FILTER (WHERE shadow), coalesce(sum(provider_cost_micros) FILTER (WHERE shadow), 0)";

    /** Recent traffic of one deployment: requests, errors (5xx, 408, 429), latency percentiles of the successful ones. */
    public record DeploymentTraffic(String deployment, long requests, long errors, long latencyMsP50, long latencyMsP95) {}

    /** Traffic per deployment since {@code since} (shadow requests included: they exercise the deployment too). */
    public List<DeploymentTraffic> deploymentTraffic(Instant since) {
        String sql = "SELECT deployment, count(*), count(*) FILTER (WHERE (http_status >= 500 OR http_status IN (408, 429)) "
                // a full connection pool of the gateway's own is not the deployment's error
                + "AND error_code IS DISTINCT FROM 'gateway_capacity'), "
                + "coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE http_status = 200)), 0)::bigint, "
                + "coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE http_status = 200)), 0)::bigint "
                + "FROM usage_events WHERE time >= ? GROUP BY deployment ORDER BY deployment";
        try (java.sql.Connection c = db.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, java.sql.Timestamp.from(since));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                List<DeploymentTraffic> out = new java.util.ArrayList<>();
                while (rs.next()) out.add(new DeploymentTraffic(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
                return out;
            }
        } catch (java.sql.SQLException e) {
            throw new StoreException("reading deployment traffic", e);
        }
    }

    /** Totals over everything the filter selects. */
    public Totals total(Filter filter) {
        List<Group> g = totals(filter);
        return g.get(0).totals();
    }

    /** Totals per group, ordered by the group key; with no grouping, one group with an empty key. */
    public List<Group> totals(Filter filter, Grouping... groupBy) {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (Grouping g : groupBy) sql.append(g.sql).append(", ");
        sql.append(SUMS).append(" FROM usage_events");
        List<Object> params = new ArrayList<>();
        where(filter, sql, params);
        if (groupBy.length > 0) {
            StringBuilder cols = new StringBuilder();
            for (int i = 1; i <= groupBy.length; i++) cols.append(i == 1 ? "" : ", ").append(i);
            sql.append(" GROUP BY ").append(cols).append(" ORDER BY ").append(cols);
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = prepare(c, sql.toString(), params);
             ResultSet rs = ps.executeQuery()) {
            List<Group> out = new ArrayList<>();
            while (rs.next()) {
                List<String> key = new ArrayList<>();
                for (int i = 1; i <= groupBy.length; i++) key.add(rs.getString(i));
                int b = groupBy.length;
                out.add(new Group(List.copyOf(key), new Totals(rs.getLong(b + 1), rs.getLong(b + 2), rs.getLong(b + 3),
                        rs.getLong(b + 4), money(rs, b + 5), money(rs, b + 6), money(rs, b + 7), rs.getLong(b + 8),
                        rs.getLong(b + 9), money(rs, b + 10))));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("summing usage", e);
        }
    }

    /** The stored event of a request, if any. */
    public Optional<UsageEvent> byRequestId(String requestId) {
        String sql = "SELECT " + UsageEventSql.STORED_COLUMNS + " FROM usage_events WHERE request_id = ? "
                + "AND time = (SELECT time FROM usage_request_ids WHERE request_id = ?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, requestId);
            ps.setString(2, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(event(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading usage of request " + requestId, e);
        }
    }

    /** Most records one {@link #records} call returns. */
    public static final int MAX_RECORDS = 500;

    /**
     * The request log: the selected events, newest first, at most {@code limit} (1..{@link #MAX_RECORDS}), each with
     * its routing decision (route, policy, stage, deployment, dispatch trail) and cost. {@code upstreamModel} null =
     * any; HTTP status within [{@code minStatus}, {@code maxStatus}]; {@code before} (exclusive, may be null) pages back.
     */
    public List<UsageEvent> records(Filter filter, String upstreamModel, int minStatus, int maxStatus, Instant before, int limit) {
        if (limit < 1 || limit > MAX_RECORDS) throw new IllegalArgumentException("limit must be between 1 and " + MAX_RECORDS);
        StringBuilder sql = new StringBuilder("SELECT " + UsageEventSql.STORED_COLUMNS + " FROM usage_events");
        List<Object> params = new ArrayList<>();
        where(filter, sql, params);
        String glue = params.isEmpty() ? " WHERE " : " AND ";
        sql.append(glue).append("http_status BETWEEN ? AND ?");
        params.add(minStatus);
        params.add(maxStatus);
        if (upstreamModel != null) { sql.append(" AND upstream_model = ?"); params.add(upstreamModel); }
        if (before != null) { sql.append(" AND time < ?"); params.add(Timestamp.from(before)); }
        sql.append(" ORDER BY time DESC, request_id DESC LIMIT ?");
        params.add(limit);
        try (Connection c = db.getConnection(); PreparedStatement ps = prepare(c, sql.toString(), params);
             ResultSet rs = ps.executeQuery()) {
            List<UsageEvent> out = new ArrayList<>();
            while (rs.next()) out.add(event(rs));
            return out;
        } catch (SQLException e) {
            throw new StoreException("listing usage records", e);
        }
    }

    /**
     * Streams the selected events as CSV (RFC 4180, header row, UTC ISO times, money in exact micro-USD with every
     * sub-micro-dollar digit, {@code shadow} and {@code token_source} columns); returns the row count.
     */
    public long exportCsv(Filter filter, Appendable out) {
        StringBuilder sql = new StringBuilder("SELECT " + UsageEventSql.COLUMNS + " FROM usage_events");
        List<Object> params = new ArrayList<>();
        where(filter, sql, params);
        sql.append(" ORDER BY time, request_id");
        try {
            return Tx.readOnlyCursor(db, c -> {
                long rows = 0;
                try (PreparedStatement ps = prepare(c, sql.toString(), params)) {
                    ps.setFetchSize(1000);
                    try (ResultSet rs = ps.executeQuery()) {
                        out.append(UsageEventSql.COLUMNS.replace(", ", ",")).append("\r\n");
                        int n = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            for (int i = 1; i <= n; i++) {
                                if (i > 1) out.append(',');
                                Object v = i == 2 ? rs.getTimestamp(i).toInstant()
                                        : rs.getObject(i) instanceof java.math.BigDecimal d ? new MicroUsd(d) : rs.getObject(i);
                                if (v != null) out.append(csv(v.toString()));
                            }
                            out.append("\r\n");
                            rows++;
                        }
                    }
                }
                return rows;
            });
        } catch (SQLException e) {
            throw new StoreException("exporting usage", e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing usage CSV", e);
        }
    }

    /** {@link #exportCsv(Filter, Appendable)} as UTF-8 bytes; flushes but does not close the stream. */
    public long exportCsv(Filter filter, OutputStream out) {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        long rows = exportCsv(filter, (Appendable) w);
        try {
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing usage CSV", e);
        }
        return rows;
    }

    /** Savings per route, team and period for the selected events (the filter's shadow setting is ignored). */
    public List<Saving> savings(Filter filter, Period period) {
        String trunc = period == Period.DAY ? "day" : "month";
        StringBuilder sql = new StringBuilder("SELECT route, team_id, (date_trunc('" + trunc + "', time AT TIME ZONE 'UTC'))::date, "
                + "count(*) FILTER (WHERE NOT shadow), coalesce(sum(team_charge_micros) FILTER (WHERE NOT shadow), 0), "
                + "coalesce(sum(provider_cost_micros) FILTER (WHERE NOT shadow), 0), "
                + "sum(baseline_cost_micros) FILTER (WHERE NOT shadow AND baseline_cost_micros IS NOT NULL), "
                + "sum(provider_cost_micros) FILTER (WHERE NOT shadow AND baseline_cost_micros IS NOT NULL), "
                + "count(*) FILTER (WHERE NOT shadow AND baseline_cost_micros IS NULL), "
                + "count(*) FILTER (WHERE NOT shadow AND deployment_class = 'open' AND provider_cost_micros = 0 "
                + "AND team_charge_micros = 0 AND prompt_tokens + completion_tokens > 0), "
                + "count(*) FILTER (WHERE shadow), coalesce(sum(provider_cost_micros) FILTER (WHERE shadow), 0), "
                + "count(*) FILTER (WHERE NOT shadow AND cache_hit), "
                + "coalesce(sum(cache_saved_micros) FILTER (WHERE NOT shadow AND cache_hit), 0) FROM usage_events");
        List<Object> params = new ArrayList<>();
        where(filter.shadow(null), sql, params);
        sql.append(" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
        try (Connection c = db.getConnection(); PreparedStatement ps = prepare(c, sql.toString(), params);
             ResultSet rs = ps.executeQuery()) {
            List<Saving> out = new ArrayList<>();
            while (rs.next()) {
                Optional<MicroUsd> baseline = Optional.ofNullable(rs.getBigDecimal(7)).map(MicroUsd::new);
                Optional<MicroUsd> baselinedCost = Optional.ofNullable(rs.getBigDecimal(8)).map(MicroUsd::new);
                Optional<MicroUsd> saving = baseline.map(b -> b.minus(baselinedCost.orElseThrow()));
                out.add(new Saving(rs.getString(1), rs.getString(2), rs.getObject(3, LocalDate.class), rs.getLong(4),
                        money(rs, 5), money(rs, 6), baseline, saving, rs.getLong(9), rs.getLong(10), rs.getLong(11),
                        money(rs, 12), rs.getLong(13), money(rs, 14)));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("computing savings", e);
        }
    }

    private static void where(Filter f, StringBuilder sql, List<Object> params) {
        List<String> conditions = new ArrayList<>();
        if (f.teamId() != null) { conditions.add("team_id = ?"); params.add(f.teamId()); }
        if (f.keyId() != null) { conditions.add("key_id = ?"); params.add(f.keyId()); }
        if (f.route() != null) { conditions.add("route = ?"); params.add(f.route()); }
        if (f.deployment() != null) { conditions.add("deployment = ?"); params.add(f.deployment()); }
        if (f.from() != null) { conditions.add("time >= ?"); params.add(Timestamp.from(f.from())); }
        if (f.to() != null) { conditions.add("time < ?"); params.add(Timestamp.from(f.to())); }
        if (f.shadow() != null) { conditions.add("shadow = ?"); params.add(f.shadow()); }
        if (!conditions.isEmpty()) sql.append(" WHERE ").append(String.join(" AND ", conditions));
    }

    private static PreparedStatement prepare(Connection c, String sql, List<Object> params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.size(); i++) ps.setObject(i + 1, params.get(i));
        return ps;
    }

    private static String csv(String s) { return CsvCell.of(s); }

    private static MicroUsd money(ResultSet rs, int i) throws SQLException { return new MicroUsd(rs.getBigDecimal(i)); }

    private static UsageEvent event(ResultSet rs) throws SQLException {
        int ttft = rs.getInt(20);
        Integer ttftMs = rs.wasNull() ? null : ttft;
        java.math.BigDecimal baseline = rs.getBigDecimal(18);
        return new UsageEvent(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), DeploymentClass.fromWire(rs.getString(12)), rs.getLong(13), rs.getLong(14),
                rs.getLong(15), TokenSource.fromWire(rs.getString(26)), money(rs, 16), money(rs, 17),
                baseline == null ? null : new MicroUsd(baseline), rs.getInt(19), ttftMs, rs.getInt(21),
                rs.getString(22), rs.getBoolean(23), rs.getBoolean(24), rs.getString(25), rs.getString(29), rs.getBoolean(27),
                money(rs, 28));
    }
}
