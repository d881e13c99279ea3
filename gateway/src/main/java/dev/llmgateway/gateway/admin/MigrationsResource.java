package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.migration.Migrations;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.StoredMigrationTransition;
import dev.llmgateway.routing.MigrationEvidence;
import dev.llmgateway.routing.MigrationState;
import dev.llmgateway.routing.MigrationVerdict;
import dev.llmgateway.routing.Policy;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Migrating routes: stage, traffic share, evidence, savings and history; promote, pause, resume, roll back. */
@Path("/admin/migrations")
@Produces(MediaType.APPLICATION_JSON)
public class MigrationsResource {
    @Inject dev.llmgateway.gateway.migration.Migrations migrations;

    @GET
    public Map<String, Object> list() {
        List<Map<String, Object>> data = new ArrayList<>();
        migrations.plans().forEach((route, plan) -> data.add(view(route, plan, migrations.state(route))));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/{route}")
    public Map<String, Object> one(@PathParam("route") String route) {
        Policy.Migration plan = migrations.plans().get(route);
        if (plan == null) throw AdminErrors.notFound("route '" + route + "' is not a migration");
        return view(route, plan, migrations.state(route));
    }

    @POST
    @Path("/{route}/{op}")
    @Consumes(MediaType.WILDCARD)
    public Response act(@PathParam("route") String route, @PathParam("op") String op,
                        @jakarta.ws.rs.QueryParam("stage") Integer stage, JsonNode body) {
        Migrations.Operation operation;
        try {
            operation = Migrations.Operation.valueOf(op.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.notFound("unknown operation '" + op + "' (promote, pause, resume, rollback or pin)");
        }
        if (operation == Migrations.Operation.PIN && stage == null) {
            throw AdminErrors.bad("pin needs '?stage=N' (0-based index into the route's stages)", "stage");
        }
        String reason = body != null && body.hasNonNull("reason") ? body.get("reason").asText() : "by an operator";
        return switch (migrations.act(route, operation, reason, stage == null ? -1 : stage)) {
            case Migrations.Result.Changed c -> Response.ok(view(route, migrations.plans().get(route), c.state())).build();
            case Migrations.Result.Refused r -> AdminErrors.response(409,
                    new GatewayError.BadRequest(r.message(), "migration_conflict", Optional.empty()));
            case Migrations.Result.NotAMigration n -> AdminErrors.response(new GatewayError.NotFound("route '" + route + "' is not a migration"));
        };
    }

    private Map<String, Object> view(String route, Policy.Migration plan, MigrationState state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("route", route);
        m.put("from", plan.from());
        m.put("to", plan.to());
        m.put("stages", plan.stagesPercent());
        m.put("stage_index", state.stageIndex());
        m.put("open_percent", state.openPercent(plan));
        m.put("status", state.status().name().toLowerCase(Locale.ROOT));
        m.put("since", state.since().toString());
        m.put("evidence", evidence(migrations.evidence(route, state)));
        m.put("savings_usd", migrations.savingsMicros(route).map(Money::formatUsd).orElse(null));
        List<Map<String, Object>> history = new ArrayList<>();
        for (StoredMigrationTransition t : migrations.history(route)) history.add(transition(t));
        m.put("history", history);
        return m;
    }

    @GET
    @Path("/{route}/report")
    public Map<String, Object> report(@PathParam("route") String route) {
        Migrations.Report r = migrations.report(route)
                .orElseThrow(() -> AdminErrors.notFound("route '" + route + "' is not a migration"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("object", "migration_report");
        m.put("route", route);
        m.put("from", r.plan().from());
        m.put("to", r.plan().to());
        m.put("stages", r.plan().stagesPercent());
        m.put("status", r.state().status().name().toLowerCase(Locale.ROOT));
        m.put("stage_index", r.state().stageIndex());
        m.put("open_percent", r.state().openPercent(r.plan()));
        m.put("since", r.state().since().toString());
        m.put("next_decision", Map.of("verdict", switch (r.nextDecision()) {
            case MigrationVerdict.Stay s -> "stay";
            case MigrationVerdict.Promote p -> p.completes() ? "complete" : "promote";
            case MigrationVerdict.Rollback b -> "rollback";
        }, "reason", r.nextDecision().reason()));
        List<Map<String, Object>> periods = new ArrayList<>();
        for (Migrations.Period p : r.periods()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("stage_index", p.stageIndex());
            pm.put("status", p.status().name().toLowerCase(Locale.ROOT));
            pm.put("open_percent", p.openPercent());
            pm.put("from", p.from().toString());
            pm.put("to", p.endedBy().isPresent() ? p.to().toString() : null);
            pm.put("evidence", evidence(p.evidence()));
            pm.put("ended_by", p.endedBy().map(MigrationsResource::transition).orElse(null));
            periods.add(pm);
        }
        m.put("periods", periods);
        m.put("decision_trail", r.trail().stream().map(MigrationsResource::transition).toList());
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (var b : r.openShare()) {
            Map<String, Object> bm = new LinkedHashMap<>();
            bm.put("start", b.start().toString());
            bm.put("requests", b.requests());
            bm.put("open_requests", b.openRequests());
            bm.put("open_share", b.requests() == 0 ? 0 : Math.round(10_000.0 * b.openRequests() / b.requests()) / 10_000.0);
            buckets.add(bm);
        }
        m.put("open_share", Map.of("unit", r.shareUnit().name().toLowerCase(Locale.ROOT), "buckets", buckets));
        m.put("savings_usd", r.savingsMicros().map(Money::formatUsd).orElse(null));
        return m;
    }

    private static Map<String, Object> transition(StoredMigrationTransition t) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("from_stage", t.fromStage());
        h.put("to_stage", t.toStage());
        h.put("kind", t.kind().name().toLowerCase(Locale.ROOT));
        h.put("reason", t.reason());
        h.put("at", t.at().toString());
        h.put("actor", t.actor().wire());
        return h;
    }

    private static Map<String, Object> evidence(MigrationEvidence e) {
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("feedback", Map.of("open", score(e.feedbackOpen()), "closed", score(e.feedbackClosed())));
        // Shadow verdicts oriented to the open deployment ("wins": the open answer was better), whichever side was the shadow.
        evidence.put("shadow", Map.of("pairs", e.shadow().total(), "users", e.shadow().byUser().count(),
                "wins", e.shadow().wins(), "ties", e.shadow().ties(), "losses", e.shadow().losses()));
        evidence.put("traffic", Map.of("open", side(e.open()), "closed", side(e.closed())));
        return evidence;
    }

    private static Map<String, Object> score(MigrationEvidence.ScoreStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", s.observations());
        m.put("users", s.count());
        // The mean of the users' mean scores: each end user counts once, however many scores they gave.
        m.put("mean", s.count() == 0 ? null : Math.round(s.sum() / s.count() * 10_000) / 10_000.0);
        return m;
    }

    private static Map<String, Object> side(MigrationEvidence.SideStats s) {
        return Map.of("requests", s.requests(), "errors", s.errors(), "latency_ms_p50", s.latencyMsP50(), "latency_ms_p95", s.latencyMsP95());
    }
}
