package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.metering.ApiKey;
import dev.llmgateway.metering.Team;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.UseClass;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Teams and their API keys. A key's secret is returned once, at creation; only its hash is stored. */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TeamsResource {
    private static final Pattern TEAM_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    @Inject dev.llmgateway.metering.TeamStore teams;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;
    @Inject dev.llmgateway.gateway.auth.Authenticator authenticator;

    @POST
    @Path("/teams")
    public Response createTeam(JsonNode body) {
        if (body == null || !body.isObject()) throw AdminErrors.bad("body must be a JSON object like {\"id\":\"search\"}", null);
        String id = body.path("id").asText("");
        if (!TEAM_ID.matcher(id).matches()) {
            throw AdminErrors.bad("'id' must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit", "id");
        }
        String name = body.path("name").asText(id);
        UseClass useClass;
        try {
            useClass = UseClass.fromWire(body.path("use_class").asText("commercial"));
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad(e.getMessage(), "use_class");
        }
        TeamStore.CreateResult r = teams.createTeam(id, name, useClass);
        if (r == TeamStore.CreateResult.ALREADY_EXISTS) {
            return AdminErrors.response(409, new dev.llmgateway.gateway.errors.GatewayError.BadRequest(
                    "team '" + id + "' already exists", "team_exists", Optional.of("id")));
        }
        return Response.status(201).entity(team(teams.team(id).orElseThrow())).build();
    }

    @GET
    @Path("/teams")
    public Map<String, Object> teams() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Team t : teams.teams()) data.add(team(t));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/teams/{team}")
    public Map<String, Object> team(@PathParam("team") String id) {
        return team(teams.team(id).orElseThrow(() -> AdminErrors.notFound("no team '" + id + "'")));
    }

    @POST
    @Path("/teams/{team}/keys")
    public Response createKey(@PathParam("team") String teamId, JsonNode body) {
        teams.team(teamId).orElseThrow(() -> AdminErrors.notFound("no team '" + teamId + "'"));
        String name = body != null ? body.path("name").asText("") : "";
        Optional<List<String>> routes = Optional.empty();
        JsonNode allowed = body == null ? null : body.get("allowed_routes");
        if (allowed != null && !allowed.isNull()) {
            if (!allowed.isArray()) throw AdminErrors.bad("'allowed_routes' must be an array of route names", "allowed_routes");
            List<String> list = new ArrayList<>();
            for (JsonNode r : allowed) {
                if (!r.isTextual() || !snapshots.current().config().routes().containsKey(r.asText())) {
                    throw AdminErrors.bad("'allowed_routes' names an unknown route: " + r, "allowed_routes");
                }
                list.add(r.asText());
            }
            routes = Optional.of(list);
        }
        TeamStore.IssuedKey issued = teams.issueKey(teamId, name, routes);
        authenticator.keyIssued(issued.secret());
        Map<String, Object> out = key(issued.key());
        out.put("key", issued.secret());
        return Response.status(201).entity(out).build();
    }

    @GET
    @Path("/teams/{team}/keys")
    public Map<String, Object> keys(@PathParam("team") String teamId) {
        teams.team(teamId).orElseThrow(() -> AdminErrors.notFound("no team '" + teamId + "'"));
        List<Map<String, Object>> data = new ArrayList<>();
        for (ApiKey k : teams.keys(teamId)) data.add(key(k));
        return Map.of("object", "list", "data", data);
    }

    @DELETE
    @Path("/keys/{id}")
    public Response revoke(@PathParam("id") String keyId) {
        if (!teams.revokeKey(keyId)) throw AdminErrors.notFound("no key '" + keyId + "'");
        authenticator.invalidateAll();
        return Response.noContent().build();
    }

    private static Map<String, Object> team(Team t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.displayName());
        m.put("use_class", t.useClass().wire());
        m.put("created_at", t.createdAt().toString());
        return m;
    }

    private static Map<String, Object> key(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("team", k.teamId());
        m.put("name", k.name());
        m.put("prefix", k.prefix());
        m.put("allowed_routes", k.allowedRoutes().orElse(null));
        m.put("created_at", k.createdAt().toString());
        m.put("revoked_at", k.revokedAt().map(Object::toString).orElse(null));
        return m;
    }
}
