package dev.llmgateway.metering.internal.usage;

import dev.llmgateway.metering.UsageEvent;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stores a batch of usage events in one statement: request ids first into {@code usage_request_ids}
 * (ON CONFLICT DO NOTHING), then only the events whose id was new into {@code usage_events}. Columns travel as
 * arrays expanded by {@code unnest}, so a batch of thousands is one round trip.
 */
public final class UsageEventSql {
    public static final String COLUMNS = "request_id, time, team_id, key_id, end_user, route, policy, stage, deployment, "
            + "provider, upstream_model, deployment_class, prompt_tokens, completion_tokens, cached_tokens, "
            + "provider_cost_micros, team_charge_micros, baseline_cost_micros, latency_ms, ttft_ms, http_status, "
            + "error_code, streamed, shadow, license_id, token_source, cache_hit, cache_saved_micros";
    /** Every stored column: {@link #COLUMNS} (also the CSV export's) and the dispatch trail. */
    public static final String STORED_COLUMNS = COLUMNS + ", attempts";

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
        Map<String, UsageEvent> unique = new LinkedHashMap<>();
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
