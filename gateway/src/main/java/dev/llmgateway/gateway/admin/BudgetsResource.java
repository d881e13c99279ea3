package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.metering.BudgetDefinition;
import dev.llmgateway.metering.BudgetEnforcement;
import dev.llmgateway.metering.BudgetPeriod;
import dev.llmgateway.metering.BudgetStatus;
import dev.llmgateway.metering.BudgetStore;
import dev.llmgateway.metering.BudgetUsage;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.RateLimitStore;
import dev.llmgateway.metering.RateLimits;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Budgets per team (or per key) and per-minute rate limits. */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class BudgetsResource {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.metering.TeamStore teams;
    @Inject dev.llmgateway.metering.BudgetGuard budgets;
    @Inject dev.llmgateway.metering.RateLimitStore rateLimits;
    @Inject dev.llmgateway.gateway.runtime.RateLimitSync rateLimitSync;

    private BudgetStore store() { return new BudgetStore(database.dataSource()); }

    @PUT
    @Path("/teams/{team}/budget")
    public Map<String, Object> put(@PathParam("team") String team, JsonNode body) {
        teams.team(team).orElseThrow(() -> AdminErrors.notFound("no team '" + team + "'"));
        if (body == null || !body.isObject()) throw AdminErrors.bad("body must be a JSON object", null);
        OptionalLong money = OptionalLong.empty();
        if (body.hasNonNull("limit_usd")) {
            try {
                money = OptionalLong.of(dev.llmgateway.metering.Money.parseUsdToMicros(body.get("limit_usd").asText()));
            } catch (IllegalArgumentException e) {
                throw AdminErrors.bad("'limit_usd' must be a decimal string such as \"100.00\" (at most 6 decimals)", "limit_usd");
            }
        }
        OptionalLong tokens = OptionalLong.empty();
        if (body.hasNonNull("limit_tokens")) {
            if (!body.get("limit_tokens").canConvertToLong() || body.get("limit_tokens").asLong() <= 0) {
                throw AdminErrors.bad("'limit_tokens' must be a positive integer", "limit_tokens");
            }
            tokens = OptionalLong.of(body.get("limit_tokens").asLong());
        }
        BudgetPeriod period;
        BudgetEnforcement enforcement;
        try {
            period = BudgetPeriod.valueOf(body.path("period").asText("monthly").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad("'period' must be daily, weekly, monthly or total", "period");
        }
        try {
            enforcement = BudgetEnforcement.valueOf(body.path("enforcement").asText("hard").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad("'enforcement' must be hard or soft", "enforcement");
        }
        List<Integer> thresholds = new ArrayList<>();
        for (JsonNode t : body.path("alert_thresholds")) thresholds.add(t.asInt());
        Optional<String> keyId = body.hasNonNull("key_id") ? Optional.of(body.get("key_id").asText()) : Optional.empty();
        if (keyId.isPresent() && teams.keys(team).stream().noneMatch(k -> k.id().equals(keyId.get()))) {
            throw AdminErrors.bad("team '" + team + "' has no key '" + keyId.get() + "'", "key_id");
        }
        BudgetDefinition def;
        try {
            def = new BudgetDefinition(team, keyId, money, tokens, period, enforcement, thresholds);
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad(e.getMessage(), null);
        }
        store().put(def);
        budgets.invalidate(team);
        return status(team, keyId);
    }

    @GET
    @Path("/teams/{team}/budget")
    public Map<String, Object> get(@PathParam("team") String team, @QueryParam("key_id") String keyId) {
        return status(team, Optional.ofNullable(keyId));
    }

    @DELETE
    @Path("/teams/{team}/budget")
    public Response delete(@PathParam("team") String team, @QueryParam("key_id") String keyId) {
        if (!store().delete(team, Optional.ofNullable(keyId))) throw AdminErrors.notFound("team '" + team + "' has no such budget");
        budgets.invalidate(team);
        return Response.noContent().build();
    }

    @PUT
    @Path("/teams/{team}/limits")
    public Map<String, Object> teamLimits(@PathParam("team") String team, JsonNode body) {
        teams.team(team).orElseThrow(() -> AdminErrors.notFound("no team '" + team + "'"));
        return limits(RateLimitStore.Subject.TEAM, team, body);
    }

    @PUT
    @Path("/keys/{id}/limits")
    public Map<String, Object> keyLimits(@PathParam("id") String keyId, JsonNode body) {
        return limits(RateLimitStore.Subject.KEY, keyId, body);
    }

    private Map<String, Object> limits(RateLimitStore.Subject subject, String id, JsonNode body) {
        OptionalLong rpm = positive(body, "rpm");
        OptionalLong tpm = positive(body, "tpm");
        rateLimits.put(subject, id, new RateLimits(rpm, tpm));
        rateLimitSync.reload();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(subject == RateLimitStore.Subject.TEAM ? "team" : "key_id", id);
        m.put("rpm", rpm.isPresent() ? rpm.getAsLong() : null);
        m.put("tpm", tpm.isPresent() ? tpm.getAsLong() : null);
        return m;
    }

    private static OptionalLong positive(JsonNode body, String field) {
        if (body == null || !body.hasNonNull(field)) return OptionalLong.empty();
        JsonNode v = body.get(field);
        if (!v.canConvertToLong() || v.asLong() <= 0 || v.asLong() > RateLimits.MAX_PER_MINUTE) {
            throw AdminErrors.bad("'" + field + "' must be a positive integer per minute", field);
        }
        return OptionalLong.of(v.asLong());
    }

    private Map<String, Object> status(String team, Optional<String> keyId) {
        BudgetStatus s = budgets.statuses(team).stream()
                .filter(b -> b.budget().definition().keyId().equals(keyId)).findFirst()
                .orElseThrow(() -> AdminErrors.notFound("team '" + team + "' has no budget" + keyId.map(k -> " for key " + k).orElse("")));
        BudgetDefinition d = s.budget().definition();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", team);
        m.put("key_id", keyId.orElse(null));
        m.put("limit_usd", d.limitMicrosUsd().isPresent() ? Money.formatUsd(d.limitMicrosUsd().getAsLong()) : null);
        m.put("limit_tokens", d.limitTokens().isPresent() ? d.limitTokens().getAsLong() : null);
        m.put("period", d.period().name().toLowerCase(Locale.ROOT));
        m.put("enforcement", d.enforcement().name().toLowerCase(Locale.ROOT));
        m.put("alert_thresholds", d.alertThresholdsPct());
        Optional<BudgetUsage> money = s.money();
        m.put("spent_usd", money.map(u -> Money.formatUsd(u.spent())).orElse(null));
        m.put("reserved_usd", money.map(u -> Money.formatUsd(u.reserved())).orElse(null));
        m.put("remaining_usd", money.map(u -> Money.formatUsd(u.remaining())).orElse(null));
        m.put("spent_tokens", s.tokens().map(BudgetUsage::spent).orElse(null));
        m.put("remaining_tokens", s.tokens().map(BudgetUsage::remaining).orElse(null));
        m.put("used_percent", BigDecimal.valueOf(s.usedBasisPoints(), 2).toPlainString());
        m.put("period_start", s.periodStart().toString());
        m.put("period_end", s.periodEnd().map(Object::toString).orElse(null));
        return m;
    }
}
