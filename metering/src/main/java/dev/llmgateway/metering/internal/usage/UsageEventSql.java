package dev.llmgateway.metering.internal.usage;

import dev.llmgateway.metering.UsageEvent;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Stores a batch of usage events, each request id at most once ever.
 *
 * <p>{@link #insertNew} is one statement: request ids first into {@code usage_request_ids} (ON CONFLICT DO NOTHING),
 * then only the events whose id was new into {@code usage_events}. Columns travel as arrays expanded by
 * {@code unnest}, so a batch of thousands is one round trip.
 *
 * <p>{@link #copyNew} is the writer's bulk path, same result with less PostgreSQL work: binary COPY of the batch's ids
 * into {@code usage_request_ids} and binary COPY of their events (grouped by monthly partition), in the caller's
 * transaction. The ids table's primary key decides: when one of the ids is stored already (or another writer is storing
 * it), the COPY fails on it (unique violation, after waiting for that writer's transaction), the transaction is rolled
 * back and the batch goes through {@link #insertNew}.
 */
public final class UsageEventSql {
    public static final String COLUMNS = "request_id, time, team_id, key_id, end_user, route, policy, stage, deployment, "
            + "provider, upstream_model, deployment_class, prompt_tokens, completion_tokens, cached_tokens, "
            + "provider_cost_micros, team_charge_micros, baseline_cost_micros, latency_ms, ttft_ms, http_status, "
            + "error_code, streamed, shadow, license_id, token_source, cache_hit, cache_saved_micros";
    /** Every stored column: {@link #COLUMNS} (also the CSV export's) and the dispatch trail. */
    public static final String STORED_COLUMNS = COLUMNS + ", attempts";
    private static final int STORED_COLUMN_COUNT = STORED_COLUMNS.split(",").length;

    private static final String INSERT = "WITH batch AS (SELECT * FROM unnest(?::text[], ?::timestamptz[], ?::text[], "
            + "?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], "
            + "?::int8[], ?::int8[], ?::int8[], ?::numeric[], ?::numeric[], ?::numeric[], ?::int4[], ?::int4[], ?::int4[], "
            + "?::text[], ?::bool[], ?::bool[], ?::text[], ?::text[], ?::bool[], ?::numeric[], ?::text[]) AS b(" + STORED_COLUMNS + ")), "
            + "fresh AS (INSERT INTO usage_request_ids (request_id, time) SELECT request_id, time FROM batch "
            + "ON CONFLICT (request_id) DO NOTHING RETURNING request_id) "
            + "INSERT INTO usage_events (" + STORED_COLUMNS + ") SELECT b.* FROM batch b JOIN fresh f USING (request_id)";

    private UsageEventSql() {}

    /** Inserts the events whose request id was never stored; returns how many were new. One row per id even within the batch. */
    public static int insertNew(Connection c, List<UsageEvent> events) throws SQLException {
        Map<String, UsageEvent> unique = new TreeMap<>(); // sorted ids: concurrent writers take key locks in one order
        for (UsageEvent e : events) unique.putIfAbsent(e.requestId(), e);
        int n = unique.size();
        String[] requestId = new String[n], time = new String[n], team = new String[n], key = new String[n],
                endUser = new String[n], route = new String[n], policy = new String[n], stage = new String[n],
                deployment = new String[n], provider = new String[n], model = new String[n], cls = new String[n],
                errorCode = new String[n], license = new String[n], tokenSource = new String[n], attempts = new String[n];
        Long[] prompt = new Long[n], completion = new Long[n], cached = new Long[n];
        BigDecimal[] providerCost = new BigDecimal[n], charge = new BigDecimal[n], baseline = new BigDecimal[n];
        Integer[] latency = new Integer[n], ttft = new Integer[n], status = new Integer[n];
        Boolean[] streamed = new Boolean[n], shadow = new Boolean[n], cacheHit = new Boolean[n];
        BigDecimal[] cacheSaved = new BigDecimal[n];
        int i = 0;
        for (UsageEvent e : unique.values()) {
            requestId[i] = e.requestId();
            time[i] = e.time().toString();
            team[i] = e.teamId();
            key[i] = e.keyId();
            endUser[i] = e.endUser();
            route[i] = e.route();
            policy[i] = e.policy();
            stage[i] = e.stage();
            deployment[i] = e.deployment();
            provider[i] = e.provider();
            model[i] = e.upstreamModel();
            cls[i] = e.deploymentClass().wire();
            prompt[i] = e.promptTokens();
            completion[i] = e.completionTokens();
            cached[i] = e.cachedTokens();
            providerCost[i] = e.providerCostMicros().micros();
            charge[i] = e.teamChargeMicros().micros();
            baseline[i] = e.baselineCostMicros() == null ? null : e.baselineCostMicros().micros();
            tokenSource[i] = e.tokenSource().wire();
            latency[i] = e.latencyMs();
            ttft[i] = e.ttftMs();
            status[i] = e.httpStatus();
            errorCode[i] = e.errorCode();
            streamed[i] = e.streamed();
            shadow[i] = e.shadow();
            license[i] = e.licenseId();
            cacheHit[i] = e.cacheHit();
            cacheSaved[i] = e.cacheSavedMicros().micros();
            attempts[i] = e.attempts();
            i++;
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            int p = 1;
            for (String[] a : new String[][] {requestId, time, team, key, endUser, route, policy, stage, deployment, provider, model, cls}) {
                ps.setArray(p++, c.createArrayOf("text", a));
            }
            for (Long[] a : new Long[][] {prompt, completion, cached}) ps.setArray(p++, c.createArrayOf("int8", a));
            for (BigDecimal[] a : new BigDecimal[][] {providerCost, charge, baseline}) ps.setArray(p++, c.createArrayOf("numeric", a));
            for (Integer[] a : new Integer[][] {latency, ttft, status}) ps.setArray(p++, c.createArrayOf("int4", a));
            ps.setArray(p++, c.createArrayOf("text", errorCode));
            ps.setArray(p++, c.createArrayOf("bool", streamed));
            ps.setArray(p++, c.createArrayOf("bool", shadow));
            ps.setArray(p++, c.createArrayOf("text", license));
            ps.setArray(p++, c.createArrayOf("text", tokenSource));
            ps.setArray(p++, c.createArrayOf("bool", cacheHit));
            ps.setArray(p++, c.createArrayOf("numeric", cacheSaved));
            ps.setArray(p, c.createArrayOf("text", attempts));
            return ps.executeUpdate();
        }
    }

    private static final String UNIQUE_VIOLATION = "23505";

    /**
     * Like {@link #insertNew} (same rows, same return value), through binary COPY ({@link CopyBinary}); {@code c} must not be in auto-commit and
     * the caller commits, or rolls back on an exception. The rows go to {@code usage_events} grouped by month, so
     * PostgreSQL routes them to each monthly partition in one run (COPY into the parent rather than straight into a
     * partition keeps statement triggers and the default partition working as for {@link #insertNew}). Falls back to
     * {@link #insertNew} (after rolling back the transaction) when the connection is not PostgreSQL's own or one of
     * the ids is already stored: there is no look-up first, since a stored id only shows up in the first batch replayed
     * after a crash or in a batch retried after its commit went through, and the ids table's primary key catches it.
     */
    public static int copyNew(Connection c, List<UsageEvent> events) throws SQLException {
        if (c.getAutoCommit()) throw new IllegalStateException("copyNew needs a transaction");
        if (!c.isWrapperFor(PGConnection.class)) return insertNew(c, events);
        Map<String, UsageEvent> unique = new LinkedHashMap<>();
        for (UsageEvent e : events) unique.putIfAbsent(e.requestId(), e);
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        // Ids in sorted order: writers that overlap wait on each other's keys in the same order, never in a cycle.
        CopyBinary ids = new CopyBinary(unique.size() * 64);
        for (UsageEvent e : new TreeMap<>(unique).values()) ids.row(2).text(e.requestId()).timestamptz(e.time());
        try {
            copy(copy, "COPY usage_request_ids (request_id, time) FROM STDIN (FORMAT binary)", ids.finish());
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
            c.rollback(); // one of these ids is stored already (a replay, a retry, another writer): let ON CONFLICT sort them out
            return insertNew(c, events);
        }
        // Rows grouped by month (a stable sort keeps their order within a month), so each partition gets one run.
        CopyBinary rows = new CopyBinary(unique.size() * 400);
        unique.values().stream().sorted(Comparator.comparing((UsageEvent e) -> monthOf(e.time())))
                .forEach(e -> appendRow(rows, e));
        copy(copy, "COPY usage_events (" + STORED_COLUMNS + ") FROM STDIN (FORMAT binary)", rows.finish());
        return unique.size();
    }

    private static void copy(CopyManager copy, String sql, java.io.InputStream data) throws SQLException {
        try {
            copy.copyIn(sql, data, 65536);
        } catch (IOException e) {
            throw new SQLException("COPY of usage rows failed: " + e.getMessage(), "08006", e);
        }
    }

    /** One row in {@link #STORED_COLUMNS} order and types. */
    private static void appendRow(CopyBinary b, UsageEvent e) {
        b.row(STORED_COLUMN_COUNT).text(e.requestId()).timestamptz(e.time()).text(e.teamId()).text(e.keyId()).text(e.endUser())
                .text(e.route()).text(e.policy()).text(e.stage()).text(e.deployment()).text(e.provider())
                .text(e.upstreamModel()).text(e.deploymentClass().wire())
                .int8(e.promptTokens()).int8(e.completionTokens()).int8(e.cachedTokens())
                .numeric(e.providerCostMicros().micros()).numeric(e.teamChargeMicros().micros())
                .numeric(e.baselineCostMicros() == null ? null : e.baselineCostMicros().micros())
                .int4(e.latencyMs()).int4(e.ttftMs()).int4(e.httpStatus()).text(e.errorCode())
                .bool(e.streamed()).bool(e.shadow()).text(e.licenseId()).text(e.tokenSource().wire())
                .bool(e.cacheHit()).numeric(e.cacheSavedMicros().micros()).text(e.attempts());
    }

    /** Creates the monthly partition for {@code month} if missing (moving its rows out of the default partition). */
    public static void ensureMonth(Connection c, YearMonth month) throws SQLException {
        Instant at = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        try (PreparedStatement ps = c.prepareStatement("SELECT usage_events_ensure_month(?)")) {
            ps.setTimestamp(1, Timestamp.from(at));
            ps.execute();
        }
    }

    public static YearMonth monthOf(Instant t) {
        return YearMonth.from(t.atOffset(ZoneOffset.UTC));
    }
}
