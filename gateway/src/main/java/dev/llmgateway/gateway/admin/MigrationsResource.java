package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.GatewayRuntime;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.migration.Migrations;
import dev.llmgateway.metering.Money;
import dev.llmgateway.metering.StoredMigrationTransition;
import dev.llmgateway.routing.MigrationEvidence;
import dev.llmgateway.routing.MigrationState;
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
    @Inject GatewayRuntime runtime;

    @GET
    public Map<String, Object> list() {
        List<Map<String, Object>> data = new ArrayList<>();
        runtime.migrations().plans().forEach((route, plan) -> data.add(view(route, plan, runtime.migrations().state(route))));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/{route}")
    public Map<String, Object> one(@PathParam("route") String route) {
        Policy.Migration plan = runtime.migrations().plans().get(route);
        if (plan == null) throw AdminErrors.notFound("route '" + route + "' is not a migration");
        return view(route, plan, runtime.migrations().state(route));
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
        return switch (runtime.migrations().act(route, operation, reason, stage == null ? -1 : stage)) {
            case Migrations.Result.Changed c -> Response.ok(view(route, runtime.migrations().plans().get(route), c.state())).build();
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
        MigrationEvidence e = runtime.migrations().evidence(route, state);
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("feedback", Map.of("open", score(e.feedbackOpen()), "closed", score(e.feedbackClosed())));
        evidence.put("shadow", Map.of("pairs", e.shadow().wins() + e.shadow().ties() + e.shadow().losses(),
                "wins", e.shadow().wins(), "ties", e.shadow().ties(), "losses", e.shadow().losses()));
        evidence.put("traffic", Map.of("open", side(e.open()), "closed", side(e.closed())));
        m.put("evidence", evidence);
        m.put("savings_usd", runtime.migrations().savingsMicros(route).map(Money::formatUsd).orElse(null));
        List<Map<String, Object>> history = new ArrayList<>();
        for (StoredMigrationTransition t : runtime.migrations().history(route)) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("from_stage", t.fromStage());
            h.put("to_stage", t.toStage());
            h.put("kind", t.kind().name().toLowerCase(Locale.ROOT));
            h.put("reason", t.reason());
            h.put("at", t.at().toString());
            h.put("actor", t.actor().wire());
            history.add(h);
        }
        m.put("history", history);
        return m;
    }

    private static Map<String, Object> score(MigrationEvidence.ScoreStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", s.count());
        m.put("mean", s.count() == 0 ? null : Math.round(s.sum() / s.count() * 10_000) / 10_000.0);
        return m;
    }

    private static Map<String, Object> side(MigrationEvidence.SideStats s) {
        return Map.of("requests", s.requests(), "errors", s.errors(), "latency_ms_p50", s.latencyMsP50(), "latency_ms_p95", s.latencyMsP95());
    }
}
