package dev.llmgateway.gateway.admin;

import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import dev.llmgateway.metering.UsageQueries.Filter;
import dev.llmgateway.metering.UsageQueries.Grouping;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Usage records: totals with filters and grouping, one record by request id, CSV export, and the savings report. */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {
    @Inject dev.llmgateway.gateway.db.Database database;

    private UsageQueries queries() { return new UsageQueries(database.dataSource()); }

    @GET
    @Path("/usage")
    public Response usage(@QueryParam("team") String team, @QueryParam("key") String key, @QueryParam("route") String route,
                          @QueryParam("deployment") String deployment, @QueryParam("from") String from, @QueryParam("to") String to,
                          @QueryParam("group_by") String groupBy, @QueryParam("format") String format) {
        Filter f = filter(team, key, route, deployment, from, to);
        if ("csv".equals(format)) {
            StreamingOutput out = os -> queries().exportCsv(f, os);
            return Response.ok(out, "text/csv").header("content-disposition", "attachment; filename=usage.csv").build();
        }
        if (format != null && !format.equals("json")) throw AdminErrors.bad("'format' must be json or csv", "format");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "usage");
        body.put("total", totals(queries().total(f)));
        if (groupBy != null && !groupBy.isBlank()) {
            List<Grouping> groupings = new ArrayList<>();
            for (String g : groupBy.split(",")) {
                try {
                    groupings.add(Grouping.valueOf(g.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw AdminErrors.bad("'group_by' takes day, month, team, key, deployment, route, token_source; got '" + g + "'", "group_by");
                }
            }
            List<Map<String, Object>> groups = new ArrayList<>();
            for (UsageQueries.Group g : queries().totals(f, groupings.toArray(Grouping[]::new))) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < groupings.size(); i++) m.put(groupings.get(i).name().toLowerCase(Locale.ROOT), g.key().get(i));
                m.putAll(totals(g.totals()));
                groups.add(m);
            }
            body.put("groups", groups);
        }
        return Response.ok(body).build();
    }

    @GET
    @Path("/usage/{requestId}")
    public Map<String, Object> one(@PathParam("requestId") String requestId) {
        UsageEvent e = queries().byRequestId(requestId)
                .orElseThrow(() -> AdminErrors.notFound("no usage record for request '" + requestId + "' (records reach the database within a second)"));
        return record(e);
    }

    /**
     * The request log: usage records newest first, each with its routing decision (route, policy, stage, deployment,
     * the dispatch attempts) and cost. Filters: team, key, route, deployment, model (the upstream model), status (an
     * HTTP status, or ok, error, 4xx, 5xx), from/to; {@code before} (the last row's time) pages back; limit 1-500.
     */
    @GET
    @Path("/requests")
    public Map<String, Object> requests(@QueryParam("team") String team, @QueryParam("key") String key, @QueryParam("route") String route,
                                        @QueryParam("deployment") String deployment, @QueryParam("model") String model,
                                        @QueryParam("status") String status, @QueryParam("from") String from, @QueryParam("to") String to,
                                        @QueryParam("before") String before, @QueryParam("limit") String limit,
                                        @QueryParam("shadow") String shadow) {
        Filter f = filter(blank(team), blank(key), blank(route), blank(deployment), from, to);
        if (shadow == null || shadow.isBlank() || shadow.equals("false")) f = f.shadow(false);
        else if (!shadow.equals("true") && !shadow.equals("any")) throw AdminErrors.bad("'shadow' must be false (default), true or any", "shadow");
        else if (shadow.equals("true")) f = f.shadow(true);
        int[] range = statusRange(blank(status));
        int n;
        try {
            n = limit == null || limit.isBlank() ? 100 : Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > UsageQueries.MAX_RECORDS) throw AdminErrors.bad("'limit' must be between 1 and " + UsageQueries.MAX_RECORDS, "limit");
        List<UsageEvent> events = queries().records(f, blank(model), range[0], range[1], instant(before, "before"), n);
        List<Map<String, Object>> data = new ArrayList<>();
        for (UsageEvent e : events) data.add(record(e));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        // More may be older than the last row: ask again with before = its time.
        body.put("has_more", events.size() == n);
        body.put("next_before", events.size() == n ? events.get(events.size() - 1).time().toString() : null);
        return body;
    }

    private static String blank(String s) { return s == null || s.isBlank() ? null : s.trim(); }

    /** "200" -> [200,200]; "ok" -> 1xx-3xx; "error" -> 400 and above; "4xx", "5xx". */
    static int[] statusRange(String status) {
        if (status == null) return new int[] {0, 999};
        switch (status.toLowerCase(Locale.ROOT)) {
            case "ok": return new int[] {0, 399};
            case "error": return new int[] {400, 999};
            case "4xx": return new int[] {400, 499};
            case "5xx": return new int[] {500, 599};
            default:
                if (status.matches("[1-5]\\d\\d")) {
                    int v = Integer.parseInt(status);
                    return new int[] {v, v};
                }
                throw AdminErrors.bad("'status' must be an HTTP status (429), ok, error, 4xx or 5xx", "status");
        }
    }

    static Map<String, Object> record(UsageEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_id", e.requestId());
        m.put("time", e.time().toString());
        m.put("team", e.teamId());
        m.put("key_id", e.keyId());
        m.put("end_user", e.endUser());
        m.put("route", e.route());
        m.put("policy", e.policy());
        m.put("stage", e.stage());
        m.put("deployment", e.deployment());
        m.put("provider", e.provider());
        m.put("upstream_model", e.upstreamModel());
        m.put("class", e.deploymentClass().wire());
        m.put("attempts", e.attempts() == null ? List.of() : List.of(e.attempts().split(",")));
        m.put("prompt_tokens", e.promptTokens());
        m.put("completion_tokens", e.completionTokens());
        m.put("cached_tokens", e.cachedTokens());
        m.put("token_source", e.tokenSource().wire());
        // Exact: a single request is not rounded (3.8 micro-USD is "0.0000038"); see docs/billing.md.
        m.put("provider_cost_usd", Money.formatUsd(e.providerCostMicros()));
        m.put("team_charge_usd", Money.formatUsd(e.teamChargeMicros()));
        m.put("baseline_cost_usd", e.baselineCostMicros() == null ? null : Money.formatUsd(e.baselineCostMicros()));
        m.put("latency_ms", e.latencyMs());
        m.put("ttft_ms", e.ttftMs());
        m.put("status", e.httpStatus());
        m.put("error_code", e.errorCode());
        m.put("streamed", e.streamed());
        m.put("shadow", e.shadow());
        m.put("license", e.licenseId());
        m.put("cache_hit", e.cacheHit());
        // what the provider would have charged: the cost the cache hit avoided (0 for an answer not from the cache)
        m.put("cache_saved_usd", Money.formatUsd(e.cacheSavedMicros()));
        return m;
    }

    @GET
    @Path("/savings")
    public Map<String, Object> savings(@QueryParam("team") String team, @QueryParam("route") String route,
                                       @QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("period") String period) {
        UsageQueries.Period p;
        try {
            p = UsageQueries.Period.valueOf(period == null ? "MONTH" : period.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad("'period' must be day or month", "period");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        MicroUsd actual = MicroUsd.ZERO;
        MicroUsd shadowCost = MicroUsd.ZERO;
        MicroUsd cacheSaved = MicroUsd.ZERO;
        long cacheHits = 0;
        java.util.Optional<MicroUsd> baseline = java.util.Optional.empty();
        java.util.Optional<MicroUsd> saving = java.util.Optional.empty();
        long withoutBaseline = 0, unpricedOpen = 0, shadowRequests = 0;
        for (UsageQueries.Saving s : queries().savings(filter(team, null, route, null, from, to), p)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("route", s.route());
            m.put("team", s.teamId());
            m.put("period_start", s.periodStart().toString());
            m.put("requests", s.requests());
            m.put("actual_cost_usd", Money.formatUsd(s.providerCostMicros()));
            m.put("team_charge_usd", Money.formatUsd(s.teamChargeMicros()));
            // null: no priced baseline ("no baseline"), which is not a zero saving
            m.put("baseline_cost_usd", s.baselineCostMicros().map(Money::formatUsd).orElse(null));
            m.put("saving_usd", s.savingMicros().map(Money::formatUsd).orElse(null));
            m.put("requests_without_baseline", s.requestsWithoutBaseline());
            m.put("unpriced_open_requests", s.unpricedOpenRequests());
            m.put("shadow_requests", s.shadowRequests());
            m.put("shadow_cost_usd", Money.formatUsd(s.shadowCostMicros()));
            m.put("cache_hits", s.cacheHits());
            m.put("cache_saved_usd", Money.formatUsd(s.cacheSavedMicros()));
            rows.add(m);
            cacheHits += s.cacheHits();
            cacheSaved = cacheSaved.plus(s.cacheSavedMicros());
            actual = actual.plus(s.providerCostMicros());
            shadowCost = shadowCost.plus(s.shadowCostMicros());
            baseline = plus(baseline, s.baselineCostMicros());
            saving = plus(saving, s.savingMicros());
            withoutBaseline += s.requestsWithoutBaseline();
            unpricedOpen += s.unpricedOpenRequests();
            shadowRequests += s.shadowRequests();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "savings");
        body.put("data", rows);
        body.put("actual_cost_usd", Money.formatUsd(actual));
        body.put("baseline_cost_usd", baseline.map(Money::formatUsd).orElse(null));
        body.put("saving_usd", saving.map(Money::formatUsd).orElse(null));
        body.put("requests_without_baseline", withoutBaseline);
        body.put("unpriced_open_requests", unpricedOpen);
        body.put("shadow_requests", shadowRequests);
        body.put("shadow_cost_usd", Money.formatUsd(shadowCost));
        // answers served from the response cache (provider cost 0) and the provider cost they avoided
        body.put("cache_hits", cacheHits);
        body.put("cache_saved_usd", Money.formatUsd(cacheSaved));
        return body;
    }

    private static java.util.Optional<MicroUsd> plus(java.util.Optional<MicroUsd> a, java.util.Optional<MicroUsd> b) {
        if (b.isEmpty()) return a;
        return java.util.Optional.of(a.orElse(MicroUsd.ZERO).plus(b.get()));
    }

    static Map<String, Object> totals(UsageQueries.Totals t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", t.requests());
        m.put("prompt_tokens", t.promptTokens());
        m.put("completion_tokens", t.completionTokens());
        m.put("cached_tokens", t.cachedTokens());
        // Exact sums; the *_micros figures are the same totals rounded once (half-even), never per request.
        m.put("provider_cost_usd", Money.formatUsd(t.providerCostMicros()));
        m.put("provider_cost_micros", t.providerCostMicros().roundedMicros());
        m.put("team_charge_usd", Money.formatUsd(t.teamChargeMicros()));
        m.put("team_charge_micros", t.teamChargeMicros().roundedMicros());
        m.put("baseline_cost_usd", Money.formatUsd(t.baselineCostMicros()));
        m.put("requests_without_baseline", t.requestsWithoutBaseline());
        // Shadow and judge calls: the operator's evaluation traffic, reported apart, never team spend.
        m.put("shadow_requests", t.shadowRequests());
        m.put("shadow_cost_usd", Money.formatUsd(t.shadowCostMicros()));
        m.put("shadow_cost_micros", t.shadowCostMicros().roundedMicros());
        return m;
    }

    static Filter filter(String team, String key, String route, String deployment, String from, String to) {
        return Filter.all().team(team).key(key).route(route).deployment(deployment).between(instant(from, "from"), instant(to, "to"));
    }

    /** {@code 2026-11-01} (UTC midnight) or an ISO instant {@code 2026-11-01T12:00:00Z}. */
    static Instant instant(String s, String param) {
        if (s == null || s.isBlank()) return null;
        try {
            return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw AdminErrors.bad("'" + param + "' must be a date (2026-11-01) or an ISO instant (2026-11-01T12:00:00Z)", param);
        }
    }
}
