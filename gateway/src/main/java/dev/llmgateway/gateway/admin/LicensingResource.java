package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.Author;
import dev.llmgateway.metering.License;
import dev.llmgateway.metering.LicenseConditions;
import dev.llmgateway.metering.LicenseRegistry;
import dev.llmgateway.metering.LicenseTemplate;
import dev.llmgateway.metering.LicenseTemplates;
import dev.llmgateway.metering.LicenseTerms;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.Statement;
import dev.llmgateway.metering.StatementLine;
import dev.llmgateway.metering.StatementService;
import dev.llmgateway.metering.UseClass;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** The license registry (authors, licenses and their terms) and per-author revenue-share statements. */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class LicensingResource {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Inject dev.llmgateway.gateway.db.Database database;

    private LicenseRegistry registry() { return new LicenseRegistry(database.dataSource()); }

    private StatementService statements() { return new StatementService(database.dataSource()); }

    @GET
    @Path("/authors")
    public Map<String, Object> authors() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Author a : registry().authors()) data.add(author(a));
        return Map.of("object", "list", "data", data);
    }

    @POST
    @Path("/authors")
    public Response createAuthor(JsonNode body) {
        if (body == null || !body.path("id").isTextual()) throw AdminErrors.bad("'id' is required", "id");
        Author a;
        try {
            a = new Author(body.get("id").asText(), body.path("name").asText(body.get("id").asText()), body.path("payout_reference").asText(""));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad(e.getMessage(), null);
        }
        return switch (registry().createAuthor(a)) {
            case CREATED -> Response.status(201).entity(author(a)).build();
            default -> AdminErrors.response(409, new GatewayError.BadRequest("author '" + a.id() + "' already exists", "author_exists", Optional.of("id")));
        };
    }

    @GET
    @Path("/licenses")
    public Map<String, Object> licenses() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (License l : registry().licenses()) data.add(license(l));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/licenses/templates")
    public Map<String, Object> templates() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (LicenseTemplate t : LicenseTemplates.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", t.id());
            m.put("name", t.name());
            m.put("licenses", t.licenseNames());
            m.put("source_url", t.sourceUrl());
            m.put("summary", t.summary());
            m.put("placeholders", t.placeholders());
            m.put("terms", conditions(t.conditions()));
            data.add(m);
        }
        return Map.of("object", "list", "data", data);
    }

    /** Creates a license with its first terms, or adds a terms version to an existing license. */
    @POST
    @Path("/licenses")
    public Response createLicense(JsonNode body) {
        if (body == null || !body.path("id").isTextual()) throw AdminErrors.bad("'id' is required", "id");
        String id = body.get("id").asText();
        LicenseConditions conditions;
        Instant effective = Instant.EPOCH;
        if (body.hasNonNull("terms")) {
            if (!body.get("terms").isObject()) throw AdminErrors.bad("'terms' must be an object", "terms");
            ObjectNode terms = ((ObjectNode) body.get("terms")).deepCopy();
            if (terms.hasNonNull("effective_from")) {
                try {
                    effective = Instant.parse(terms.remove("effective_from").asText());
                } catch (DateTimeParseException e) {
                    throw AdminErrors.bad("'terms.effective_from' must be an ISO instant", "terms.effective_from");
                }
            }
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = JSON.convertValue(terms, Map.class);
                conditions = LicenseTemplates.conditionsFrom(map);
            } catch (IllegalArgumentException e) {
                throw AdminErrors.bad("'terms': " + e.getMessage(), "terms");
            }
        } else if (body.hasNonNull("template")) {
            conditions = LicenseTemplates.get(body.get("template").asText())
                    .orElseThrow(() -> AdminErrors.bad("unknown template '" + body.get("template").asText() + "'", "template"))
                    .conditions();
        } else {
            throw AdminErrors.bad("give 'terms' or a 'template'", "terms");
        }
        LicenseRegistry registry = registry();
        boolean created = false;
        if (registry.license(id).isEmpty()) {
            License l;
            try {
                l = new License(id, body.path("author_id").asText(""), body.path("name").asText(id), body.path("source_url").asText(""));
            } catch (IllegalArgumentException e) {
                throw AdminErrors.bad(e.getMessage(), null);
            }
            if (registry.createLicense(l) == LicenseRegistry.CreateResult.UNKNOWN_AUTHOR) {
                throw AdminErrors.bad("unknown author '" + l.authorId() + "'", "author_id");
            }
            created = true;
        }
        try {
            registry.addTerms(id, effective, conditions);
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad(e.getMessage(), "terms");
        } catch (dev.llmgateway.metering.StoreException e) {
            // Terms are versioned and immutable: a second version with the same start is a conflict, not a failure.
            return AdminErrors.response(409, new GatewayError.BadRequest("license '" + id + "' already has terms effective "
                    + effective + "; post terms with a later effective_from to add a version", "terms_exist", Optional.of("terms.effective_from")));
        }
        return Response.status(created ? 201 : 200).entity(license(registry.license(id).orElseThrow())).build();
    }

    @GET
    @Path("/statements")
    public Map<String, Object> statementList(@QueryParam("period") String period) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Statement s : statements().statements(period(period))) data.add(statement(s, false));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/statements/{id}")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    public Response statementOne(@PathParam("id") String id, @QueryParam("format") String format) {
        Statement s = statements().statement(id).orElseThrow(() -> AdminErrors.notFound("no statement '" + id + "'"));
        if ("csv".equals(format)) {
            StringBuilder csv = new StringBuilder();
            StatementService.exportCsv(s, csv);
            return Response.ok(csv.toString(), "text/csv").header("content-disposition", "attachment; filename=" + id + ".csv").build();
        }
        return Response.ok(statement(s, true), MediaType.APPLICATION_JSON).build();
    }

    @POST
    @Path("/statements/{period}/close")
    @Consumes(MediaType.WILDCARD)
    public Response close(@PathParam("period") String period) {
        StatementService.CloseReport r = statements().close(period(period));
        if (r.result() == StatementService.CloseResult.NOT_ENDED) {
            return AdminErrors.response(409, new GatewayError.BadRequest("period " + period + " has not ended yet (UTC)",
                    "period_not_ended", Optional.of("period")));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("period", r.period().toString());
        m.put("result", r.result().name().toLowerCase(Locale.ROOT));
        m.put("threshold_adjustments", r.thresholdAdjustments());
        m.put("threshold_adjustment_micros", r.thresholdAdjustmentMicros().roundedMicros());
        m.put("threshold_adjustment_usd", Money.formatUsd(r.thresholdAdjustmentMicros()));
        m.put("minimum_topups", r.minimumTopups());
        m.put("minimum_topup_micros", r.minimumTopupMicros().roundedMicros());
        m.put("minimum_topup_usd", Money.formatUsd(r.minimumTopupMicros()));
        m.put("statements", r.statements().stream().map(st -> statement(st, false)).toList());
        return Response.ok(m).build();
    }

    private static YearMonth period(String p) {
        if (p == null || p.isBlank()) return YearMonth.now(java.time.ZoneOffset.UTC);
        try {
            return YearMonth.parse(p);
        } catch (DateTimeParseException e) {
            throw AdminErrors.bad("'period' must be YYYY-MM", "period");
        }
    }

    private static Map<String, Object> author(Author a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("name", a.name());
        m.put("payout_reference", a.payoutReference());
        return m;
    }

    private Map<String, Object> license(License l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", l.id());
        m.put("author_id", l.authorId());
        m.put("name", l.name());
        m.put("source_url", l.sourceUrl());
        List<Map<String, Object>> terms = new ArrayList<>();
        for (LicenseTerms t : registry().terms(l.id())) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("version", t.version());
            tm.put("effective_from", t.effectiveFrom().toString());
            tm.putAll(conditions(t.conditions()));
            terms.add(tm);
        }
        m.put("terms", terms);
        return m;
    }

    private static Map<String, Object> conditions(LicenseConditions c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("free_use_classes", c.freeUseClasses().stream().map(UseClass::wire).sorted().toList());
        Map<String, Object> th = new LinkedHashMap<>();
        th.put("active_users_over", opt(c.thresholds().activeUsersOver()));
        th.put("revenue_micros_over", opt(c.thresholds().revenueMicrosOver()));
        th.put("tokens_over", opt(c.thresholds().tokensOver()));
        m.put("thresholds", th);
        m.put("obligation", Map.of("revenue_share_bp", c.obligation().revenueShareBp(),
                "royalty_micros_per_mtok", c.obligation().royaltyMicrosPerMTok(),
                "minimum_micros_per_period", c.obligation().minimumMicrosPerPeriod()));
        m.put("attribution", Map.of("text", c.attribution().text(), "above_thresholds_only", c.attribution().aboveThresholdsOnly()));
        return m;
    }

    private static Long opt(OptionalLong v) { return v.isPresent() ? v.getAsLong() : null; }

    private static Map<String, Object> statement(Statement s, boolean withLines) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("author_id", s.authorId());
        m.put("author", s.authorId());
        m.put("period", s.period().toString());
        m.put("status", s.status().name().toLowerCase(Locale.ROOT));
        m.put("closed_at", s.closedAt().map(Object::toString).orElse(null));
        m.put("requests", s.requests());
        m.put("prompt_tokens", s.promptTokens());
        m.put("completion_tokens", s.completionTokens());
        // *_usd: exact sums (sub-micro-dollar digits kept); *_micros: the same totals rounded once, half-even.
        // total_usd is what is owed: the exact share total rounded once, not the sum of rounded lines or requests.
        m.put("billed_micros", s.billedMicros().roundedMicros());
        m.put("share_micros", s.shareMicros().roundedMicros());
        m.put("billed_usd", Money.formatUsd(s.billedMicros()));
        m.put("share_usd", Money.formatUsd(s.shareMicros()));
        m.put("total_usd", Money.formatUsd(s.shareMicros().roundedMicros()));
        if (withLines) {
            List<Map<String, Object>> lines = new ArrayList<>();
            for (StatementLine l : s.lines()) {
                Map<String, Object> lm = new LinkedHashMap<>();
                lm.put("line_no", l.lineNo());
                lm.put("kind", l.kind().name().toLowerCase(Locale.ROOT));
                lm.put("deployment", l.deployment().orElse(null));
                lm.put("license_id", l.licenseId());
                lm.put("license_version", l.licenseVersion());
                lm.put("use_class", l.useClass().map(UseClass::wire).orElse(null));
                lm.put("usage_period", l.usagePeriod().toString());
                lm.put("usage_date", l.usageDate().map(Object::toString).orElse(null));
                lm.put("requests", l.requests());
                lm.put("prompt_tokens", l.promptTokens());
                lm.put("completion_tokens", l.completionTokens());
                lm.put("billed_micros", l.billedMicros().roundedMicros());
                lm.put("share_micros", l.shareMicros().roundedMicros());
                lm.put("billed_usd", Money.formatUsd(l.billedMicros()));
                lm.put("share_usd", Money.formatUsd(l.shareMicros()));
                lines.add(lm);
            }
            m.put("lines", lines);
        }
        return m;
    }
}
