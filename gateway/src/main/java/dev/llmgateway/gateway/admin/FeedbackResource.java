package dev.llmgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.FeedbackScore;
import dev.llmgateway.metering.FeedbackStore;
import dev.llmgateway.metering.TeamStore;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/feedback}: a team attaches a score to one of its own requests (by x-gateway-request-id). Scores feed
 * migration evidence and dataset export filters. Authenticated with the team's API key, not the admin key.
 */
@Path("/v1/feedback")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class FeedbackResource {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @POST
    public Response feedback(@jakarta.ws.rs.core.Context io.vertx.ext.web.RoutingContext ctx, JsonNode body) throws InterruptedException {
        // The edge (EdgeGuard) authenticated the key from the headers before this body was read.
        Optional<TeamStore.KeyOwner> owner = Optional.ofNullable(ctx.get(dev.llmgateway.gateway.edge.EdgeGuard.KEY_OWNER));
        if (owner.isEmpty() || owner.get().key().revoked()) {
            return AdminErrors.response(new GatewayError.Unauthorized("A valid API key is required."));
        }
        if (body == null || !body.path("request_id").isTextual()) throw AdminErrors.bad("'request_id' is required", "request_id");
        // Everything here is stored: refuse text PostgreSQL cannot hold before it reaches the database.
        dev.llmgateway.gateway.api.ClientText.checkTree(body, "");
        dev.llmgateway.gateway.api.ClientText.checkLength(body.get("request_id").asText(), 128, "request_id");
        FeedbackScore score;
        JsonNode s = body.get("score");
        try {
            if (s != null && s.isNumber()) score = FeedbackScore.of(s.decimalValue());
            else if (s != null && s.isTextual() && (s.asText().equals("up") || s.asText().equals("down"))) score = FeedbackScore.thumbs(s.asText().equals("up"));
            else if (s != null && s.isBoolean()) score = FeedbackScore.thumbs(s.asBoolean());
            else throw AdminErrors.bad("'score' must be a number from 0 to 1, \"up\" or \"down\"", "score");
        } catch (IllegalArgumentException e) {
            throw AdminErrors.bad("'score' must be a number from 0 to 1, \"up\" or \"down\"", "score");
        }
        String comment = body.hasNonNull("comment") ? body.get("comment").asText() : null;
        if (comment != null && comment.length() > FeedbackStore.COMMENT_MAX_CHARS) {
            throw AdminErrors.bad("'comment' is longer than " + FeedbackStore.COMMENT_MAX_CHARS + " characters", "comment");
        }
        String requestId = body.get("request_id").asText();
        FeedbackStore store = new FeedbackStore(database.dataSource());
        FeedbackStore.RecordResult r = store.record(requestId, owner.get().team().id(), score, comment, Instant.now());
        if (r == FeedbackStore.RecordResult.NOT_FOUND) {
            // Usage reaches PostgreSQL asynchronously: a score sent right after the answer may arrive first.
            metering.writer().awaitDrained(Duration.ofSeconds(3));
            r = store.record(requestId, owner.get().team().id(), score, comment, Instant.now());
        }
        if (r == FeedbackStore.RecordResult.NOT_FOUND) {
            throw AdminErrors.notFound("no request '" + requestId + "' of this team (use the x-gateway-request-id of the answer)");
        }
        return Response.ok(Map.of("object", "feedback", "request_id", requestId, "score", score.decimal().toPlainString(),
                "status", r.name().toLowerCase())).build();
    }
}
