package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.api.ClientText;
import dev.llmgateway.metering.DeadLetters;
import dev.llmgateway.metering.DeadLetters.Letter;
import dev.llmgateway.metering.DeadLetters.ReplayResult;
import dev.llmgateway.metering.UsageEvent;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Dead letters: usage records and ledger postings PostgreSQL refused, set aside so the others went on. List them, look
 * at one with its audit trail, replay it once the cause is fixed, or discard it. Who acted is taken from the
 * {@code x-gateway-actor} header (default "admin") and kept in the audit trail with the time and the outcome.
 */
@Path("/admin/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLettersResource {
    public static final String ACTOR_HEADER = "x-gateway-actor";
    @Inject dev.llmgateway.metering.LedgerPoster ledger;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    private DeadLetters letters() { return metering.writer().deadLetters(); }

    @GET
    public Map<String, Object> list(@QueryParam("status") String status, @QueryParam("limit") Integer limit) {
        Optional<DeadLetters.Status> s;
        if (status == null || status.isBlank()) s = Optional.of(DeadLetters.Status.OPEN);
        else if (status.equals("all")) s = Optional.empty();
        else {
            try {
                s = Optional.of(DeadLetters.Status.valueOf(status.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw AdminErrors.bad("'status' must be open, replayed, discarded or all", "status");
            }
        }
        int n = limit == null ? 100 : limit;
        if (n < 1 || n > 1000) throw AdminErrors.bad("'limit' must be between 1 and 1000", "limit");
        List<Map<String, Object>> data = letters().list(s, n).stream().map(DeadLettersResource::json).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        body.put("open", letters().openCount());
        body.put("file", letters().file().toString());
        body.put("file_records_since_start", letters().fileRecords());
        return body;
    }

    @GET
    @Path("/{id}")
    public Map<String, Object> get(@PathParam("id") long id) {
        Letter l = letters().get(id).orElseThrow(() -> AdminErrors.notFound("no dead letter " + id));
        Map<String, Object> m = json(l);
        m.put("audit", letters().audit(id).stream().map(a -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("action", a.action());
            e.put("actor", a.actor());
            e.put("at", a.at().toString());
            e.put("detail", a.detail());
            return e;
        }).toList());
        return m;
    }

    @POST
    @Path("/{id}/replay")
    public Response replay(@PathParam("id") long id, @HeaderParam(ACTOR_HEADER) String actor) {
        if (letters().get(id).isEmpty()) throw AdminErrors.notFound("no dead letter " + id);
        ReplayResult r = letters().replay(id, actor(actor), ledger);
        return switch (r) {
            case ReplayResult.Replayed ok -> Response.ok(get(id)).build();
            case ReplayResult.RefusedAgain again -> AdminErrors.response(409, new dev.llmgateway.gateway.errors.GatewayError.BadRequest(
                    "PostgreSQL refused the record again; it stays open: " + again.reason(), null));
            case ReplayResult.NotOpen n -> AdminErrors.response(409, new dev.llmgateway.gateway.errors.GatewayError.BadRequest(
                    "dead letter " + id + " is already " + n.letter().status().wire(), null));
        };
    }

    @POST
    @Path("/{id}/discard")
    public Response discard(@PathParam("id") long id, @HeaderParam(ACTOR_HEADER) String actor, JsonNode body) {
        if (letters().get(id).isEmpty()) throw AdminErrors.notFound("no dead letter " + id);
        String reason = body != null && body.path("reason").isTextual() ? body.get("reason").asText() : "";
        ClientText.check(reason, "reason");
        ClientText.checkLength(reason, 1000, "reason");
        if (!letters().discard(id, actor(actor), reason)) {
            return AdminErrors.response(409, new dev.llmgateway.gateway.errors.GatewayError.BadRequest(
                    "dead letter " + id + " is not open", null));
        }
        return Response.ok(get(id)).build();
    }

    private static String actor(String header) {
        if (header == null || header.isBlank()) return "admin";
        ClientText.check(header, ACTOR_HEADER);
        ClientText.checkLength(header, 128, ACTOR_HEADER);
        return header.trim();
    }

    private static Map<String, Object> json(Letter l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", l.id());
        m.put("object", "dead_letter");
        m.put("kind", l.kind().wire());
        m.put("request_id", l.requestId());
        m.put("status", l.status().wire());
        m.put("reason", l.reason());
        m.put("sql_state", l.sqlState());
        m.put("created_at", l.createdAt().toString());
        m.put("resolved_at", l.resolvedAt() == null ? null : l.resolvedAt().toString());
        m.put("resolved_by", l.resolvedBy());
        UsageEvent e = l.event();
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("time", e.time().toString());
        ev.put("team", e.teamId());
        ev.put("route", e.route());
        ev.put("deployment", e.deployment());
        ev.put("prompt_tokens", e.promptTokens());
        ev.put("completion_tokens", e.completionTokens());
        ev.put("team_charge_micros_usd", e.teamChargeMicros());
        ev.put("http_status", e.httpStatus());
        m.put("record", ev);
        return m;
    }
}
