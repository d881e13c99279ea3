package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.ApiKey;
import dev.llmgateway.metering.RateLimitStore;
import dev.llmgateway.metering.RateLimits;
import dev.llmgateway.metering.Team;
import dev.llmgateway.metering.TeamStore;
import dev.llmgateway.metering.UseClass;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Teams and their API keys (docs/security.md "API keys"). A key's secret is returned once, at creation or rotation;
 * only its hash is stored. Deleting a team is a soft delete: its keys are revoked, it leaves the listings, its usage
 * and ledger history stay and its id is never reused. Every change to a key takes effect at once on this replica and
 * within about a second on the others (their key caches refresh).
 */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TeamsResource {
    private static final Pattern TEAM_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhd])");
    /** Default and longest overlap of a rotated key's previous secret. */
    static final Duration DEFAULT_OVERLAP = Duration.ofHours(24), MAX_OVERLAP = Duration.ofDays(30);
    private static final int MAX_TEXT = 1000;

    @Inject TeamStore teams;
    @Inject RateLimitStore rateLimits;
    @Inject dev.llmgateway.gateway.runtime.RateLimitSync rateLimitSync;
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
        String name = text(body, "name").orElse(id);
        UseClass useClass = useClass(body).orElse(UseClass.COMMERCIAL);
        Optional<RateLimits> limits = limits(body);
        TeamStore.CreateResult r = teams.createTeam(id, name, useClass);
        if (r == TeamStore.CreateResult.ALREADY_EXISTS) {
            return AdminErrors.response(409, new GatewayError.BadRequest("team '" + id + "' already exists", "team_exists", Optional.of("id")));
        }
        if (r == TeamStore.CreateResult.DELETED_ID) {
            return AdminErrors.response(409, new GatewayError.BadRequest("team '" + id + "' was deleted; team ids are not reused (its usage"
                    + " history keeps the id), choose another", "team_exists", Optional.of("id")));
        }
        limits.ifPresent(l -> setLimits(RateLimitStore.Subject.TEAM, id, l));
        return Response.status(201).entity(team(teams.team(id).orElseThrow())).build();
    }

    @GET
    @Path("/teams")
    public Map<String, Object> teams(@QueryParam("include_deleted") boolean includeDeleted) {
        Map<String, RateLimits> limits = rateLimits.all(RateLimitStore.Subject.TEAM);
        List<Map<String, Object>> data = new ArrayList<>();
        for (Team t : teams.teams(includeDeleted)) data.add(team(t, limits.getOrDefault(t.id(), RateLimits.NONE)));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/teams/{team}")
    public Map<String, Object> team(@PathParam("team") String id) {
        return team(liveTeam(id));
    }

    /** Changes a team's name, use class or rate limits ({@code "limits": null} lifts them). */
    @PATCH
    @Path("/teams/{team}")
    public Map<String, Object> updateTeam(@PathParam("team") String id, JsonNode body) {
        liveTeam(id);
        if (body == null || !body.isObject()) throw AdminErrors.bad("body must be a JSON object like {\"name\":\"Search\"}", null);
        Optional<String> name = text(body, "name");
        if (name.isPresent() && name.get().isBlank()) throw AdminErrors.bad("'name' must not be empty", "name");
        Optional<UseClass> useClass = useClass(body);
        Optional<RateLimits> limits = limits(body);
        Team t = teams.updateTeam(id, name, useClass).orElseThrow(() -> AdminErrors.notFound("no team '" + id + "'"));
        limits.ifPresent(l -> setLimits(RateLimitStore.Subject.TEAM, id, l));
        return team(t);
    }

    /** Soft delete: keys revoked at once, the team leaves the listings, its usage, budgets and ledger entries stay. */
    @DELETE
    @Path("/teams/{team}")
    public Response deleteTeam(@PathParam("team") String id) {
        if (!teams.deleteTeam(id)) throw AdminErrors.notFound("no team '" + id + "'");
        authenticator.invalidateAll();
        return Response.noContent().build();
    }

    @POST
    @Path("/teams/{team}/keys")
    public Response createKey(@PathParam("team") String teamId, JsonNode body) {
        liveTeam(teamId);
        if (body != null && !body.isNull() && !body.isObject()) throw AdminErrors.bad("body must be a JSON object", null);
        String name = body != null ? text(body, "name").orElse("") : "";
        String description = body != null ? text(body, "description").orElse("") : "";
        Optional<List<String>> routes = body == null ? Optional.empty() : routes(body).flatMap(r -> r);
        Optional<Instant> expires = body == null ? Optional.empty() : expiry(body).flatMap(e -> e);
        if (expires.isPresent() && !expires.get().isAfter(Instant.now())) {
            throw AdminErrors.bad("'expires_at' is in the past: the key would never work", "expires_at");
        }
        Optional<RateLimits> limits = body == null ? Optional.empty() : limits(body);
        TeamStore.IssuedKey issued = teams.issueKey(teamId, name, routes, description, expires);
        authenticator.keyIssued(issued.secret());
        limits.ifPresent(l -> setLimits(RateLimitStore.Subject.KEY, issued.key().id(), l));
        Map<String, Object> out = key(issued.key(), limits.orElse(RateLimits.NONE));
        out.put("key", issued.secret());
        return Response.status(201).entity(out).build();
    }

    @GET
    @Path("/teams/{team}/keys")
    public Map<String, Object> keys(@PathParam("team") String teamId) {
        teams.anyTeam(teamId).orElseThrow(() -> AdminErrors.notFound("no team '" + teamId + "'"));
        Map<String, RateLimits> limits = rateLimits.all(RateLimitStore.Subject.KEY);
        List<Map<String, Object>> data = new ArrayList<>();
        for (ApiKey k : teams.keys(teamId)) data.add(key(k, limits.getOrDefault(k.id(), RateLimits.NONE)));
        return Map.of("object", "list", "data", data);
    }

    @GET
    @Path("/keys/{id}")
    public Map<String, Object> key(@PathParam("id") String keyId) {
        return key(existingKey(keyId));
    }

    /**
     * Changes a key's name, description, expiry ({@code expires_at} or {@code expires_in}; null = never), allowed routes
     * (null = every route) or rate limits ({@code "limits": null} lifts them).
     */
    @PATCH
    @Path("/keys/{id}")
    public Response updateKey(@PathParam("id") String keyId, JsonNode body) {
        ApiKey before = existingKey(keyId);
        if (body == null || !body.isObject()) throw AdminErrors.bad("body must be a JSON object like {\"description\":\"CI\"}", null);
        if (before.revoked()) {
            return conflict("key '" + keyId + "' is revoked; issue a new key instead", "key_revoked");
        }
        Optional<RateLimits> limits = limits(body);
        TeamStore.KeyChanges changes = new TeamStore.KeyChanges(text(body, "name"), text(body, "description"), expiry(body), routes(body));
        ApiKey k = teams.updateKey(keyId, changes).orElseThrow(() -> AdminErrors.notFound("no key '" + keyId + "'"));
        limits.ifPresent(l -> setLimits(RateLimitStore.Subject.KEY, keyId, l));
        authenticator.invalidateAll();
        return Response.ok(key(k)).build();
    }

    /**
     * A new secret for the key (same id, limits, budgets, history). The previous secret keeps working for
     * {@code overlap} ("24h" by default; "0s" ends it at once; at most 30 days), then is refused with 401 key_expired.
     */
    @POST
    @Path("/keys/{id}/rotate")
    public Response rotate(@PathParam("id") String keyId, JsonNode body) {
        Duration overlap = DEFAULT_OVERLAP;
        if (body != null && body.hasNonNull("overlap")) overlap = duration(body.get("overlap"), "overlap");
        if (overlap.compareTo(MAX_OVERLAP) > 0) throw AdminErrors.bad("'overlap' is at most 30d", "overlap");
        return switch (teams.rotateKey(keyId, overlap)) {
            case TeamStore.Rotation.NoSuchKey n -> throw AdminErrors.notFound("no key '" + keyId + "'");
            case TeamStore.Rotation.Revoked r -> conflict("key '" + keyId + "' is revoked; issue a new key instead", "key_revoked");
            case TeamStore.Rotation.Rotated r -> {
                authenticator.invalidateAll();
                authenticator.keyIssued(r.issued().secret());
                Map<String, Object> out = key(r.issued().key());
                out.put("key", r.issued().secret());
                yield Response.ok(out).build();
            }
        };
    }

    @DELETE
    @Path("/keys/{id}")
    public Response revoke(@PathParam("id") String keyId) {
        if (!teams.revokeKey(keyId)) throw AdminErrors.notFound("no key '" + keyId + "'");
        authenticator.invalidateAll();
        return Response.noContent().build();
    }

    private Team liveTeam(String id) {
        return teams.team(id).orElseThrow(() -> AdminErrors.notFound("no team '" + id + "'"));
    }

    private ApiKey existingKey(String keyId) {
        return teams.key(keyId).orElseThrow(() -> AdminErrors.notFound("no key '" + keyId + "'"));
    }

    private static Response conflict(String message, String code) {
        return AdminErrors.response(409, new GatewayError.BadRequest(message, code, Optional.empty()));
    }

    private void setLimits(RateLimitStore.Subject subject, String id, RateLimits limits) {
        rateLimits.put(subject, id, limits);
        rateLimitSync.reload();
    }

    private Map<String, Object> team(Team t) {
        return team(t, rateLimits.all(RateLimitStore.Subject.TEAM).getOrDefault(t.id(), RateLimits.NONE));
    }

    private static Map<String, Object> team(Team t, RateLimits limits) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.displayName());
        m.put("use_class", t.useClass().wire());
        m.put("created_at", t.createdAt().toString());
        m.put("limits", limits(limits));
        if (t.deleted()) m.put("deleted_at", t.deletedAt().get().toString());
        return m;
    }

    private Map<String, Object> key(ApiKey k) {
        return key(k, rateLimits.all(RateLimitStore.Subject.KEY).getOrDefault(k.id(), RateLimits.NONE));
    }

    private static Map<String, Object> key(ApiKey k, RateLimits limits) {
        Instant now = Instant.now();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("team", k.teamId());
        m.put("name", k.name());
        m.put("description", k.description());
        m.put("prefix", k.prefix());
        m.put("status", k.revoked() ? "revoked" : k.expired(now) ? "expired" : "active");
        m.put("allowed_routes", k.allowedRoutes().orElse(null));
        m.put("created_at", k.createdAt().toString());
        m.put("expires_at", k.expiresAt().map(Object::toString).orElse(null));
        m.put("last_used_at", k.lastUsedAt().map(Object::toString).orElse(null));
        m.put("rotated_at", k.rotatedAt().map(Object::toString).orElse(null));
        // Until when the secret it had before its last rotation is still accepted (null: none, or already refused).
        m.put("previous_key_expires_at", k.previousExpiresAt().filter(now::isBefore).map(Object::toString).orElse(null));
        m.put("revoked_at", k.revokedAt().map(Object::toString).orElse(null));
        m.put("limits", limits(limits));
        return m;
    }

    private static Map<String, Object> limits(RateLimits l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rpm", l.requestsPerMinute().isPresent() ? l.requestsPerMinute().getAsLong() : null);
        m.put("tpm", l.tokensPerMinute().isPresent() ? l.tokensPerMinute().getAsLong() : null);
        return m;
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isTextual()) throw AdminErrors.bad("'" + field + "' must be a string", field);
        if (v.asText().length() > MAX_TEXT) throw AdminErrors.bad("'" + field + "' is longer than " + MAX_TEXT + " characters", field);
        return Optional.of(v.asText());
    }

    private static Optional<UseClass> useClass(JsonNode body) {
        Optional<String> wire = text(body, "use_class");
        try {
            return wire.map(UseClass::fromWire);
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad(e.getMessage(), "use_class");
        }
    }

    /** {@code "limits": {"rpm": 60, "tpm": 100000}}: absent = unchanged, null or {} = no limits. */
    private static Optional<RateLimits> limits(JsonNode body) {
        if (!body.has("limits")) return Optional.empty();
        JsonNode l = body.get("limits");
        if (l.isNull()) return Optional.of(RateLimits.NONE);
        if (!l.isObject()) throw AdminErrors.bad("'limits' must be an object like {\"rpm\":60,\"tpm\":100000}", "limits");
        return Optional.of(new RateLimits(perMinute(l, "rpm"), perMinute(l, "tpm")));
    }

    private static OptionalLong perMinute(JsonNode limits, String field) {
        if (!limits.hasNonNull(field)) return OptionalLong.empty();
        JsonNode v = limits.get(field);
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0 || v.asLong() > RateLimits.MAX_PER_MINUTE) {
            throw AdminErrors.bad("'limits." + field + "' must be a positive whole number per minute (at most "
                    + RateLimits.MAX_PER_MINUTE + ")", "limits." + field);
        }
        return OptionalLong.of(v.asLong());
    }

    /** Absent = unchanged; {@code allowed_routes: null} = every route; an array of known route names otherwise. */
    private Optional<Optional<List<String>>> routes(JsonNode body) {
        if (!body.has("allowed_routes")) return Optional.empty();
        JsonNode allowed = body.get("allowed_routes");
        if (allowed.isNull()) return Optional.of(Optional.empty());
        if (!allowed.isArray()) throw AdminErrors.bad("'allowed_routes' must be an array of route names", "allowed_routes");
        List<String> list = new ArrayList<>();
        for (JsonNode r : allowed) {
            if (!r.isTextual() || !snapshots.current().config().routes().containsKey(r.asText())) {
                throw AdminErrors.bad("'allowed_routes' names an unknown route: " + r, "allowed_routes");
            }
            if (!list.contains(r.asText())) list.add(r.asText());
        }
        return Optional.of(Optional.of(list));
    }

    /** {@code expires_at} (ISO instant, null = never) or {@code expires_in} ("30d", "12h", "90m", "3600s"); absent = unchanged. */
    private static Optional<Optional<Instant>> expiry(JsonNode body) {
        if (body.has("expires_at") && body.has("expires_in")) throw AdminErrors.bad("give expires_at or expires_in, not both", "expires_in");
        if (body.has("expires_in")) {
            JsonNode v = body.get("expires_in");
            if (v.isNull()) return Optional.of(Optional.empty());
            return Optional.of(Optional.of(Instant.now().plus(duration(v, "expires_in"))));
        }
        if (!body.has("expires_at")) return Optional.empty();
        JsonNode v = body.get("expires_at");
        if (v.isNull()) return Optional.of(Optional.empty());
        try {
            return Optional.of(Optional.of(Instant.parse(v.asText())));
        } catch (DateTimeParseException e) {
            throw AdminErrors.bad("'expires_at' must be an ISO instant such as 2027-01-31T00:00:00Z, or null for never", "expires_at");
        }
    }

    private static Duration duration(JsonNode v, String field) {
        Matcher m = DURATION.matcher(v.asText(""));
        if (!v.isTextual() || !m.matches()) throw AdminErrors.bad("'" + field + "' must be a duration such as \"30d\", \"24h\", \"15m\" or \"0s\"", field);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
