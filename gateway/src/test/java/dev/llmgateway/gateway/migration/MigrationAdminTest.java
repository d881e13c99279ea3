package dev.llmgateway.gateway.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A closed-to-open migration driven through the admin API, with sticky traffic shares and feedback. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class MigrationAdminTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;
    @Inject dev.llmgateway.metering.ShadowStore shadows;

    private static JsonNode migration() {
        return Http.json(Http.get(Http.gateway() + "/admin/migrations/migrate-test", ADMIN).body());
    }

    private static HttpResponse<String> act(String op) {
        return Http.post(Http.gateway() + "/admin/migrations/migrate-test/" + op, ADMIN, "{\"reason\":\"test " + op + "\"}");
    }

    private static String deploymentFor(String key, String user) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"migrate-test\",\"user\":\"" + user + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .headers().firstValue("x-gateway-deployment").orElseThrow();
    }

    @Test
    void operatorWalksAMigrationThroughItsStagesAndTrafficFollowsStickily() {
        String key = Http.newKey("migration-team");
        if (!migration().path("status").asText().equals("active") || migration().path("stage_index").asInt() != 0) {
            act("rollback");
            act("resume");
        }
        JsonNode m = migration();
        assertThat(m.path("from").asText()).isEqualTo("primary");
        assertThat(m.path("to").asText()).isEqualTo("backup");
        assertThat(m.path("open_percent").asInt()).isEqualTo(10);

        HttpResponse<String> promoted = act("promote");
        assertThat(promoted.statusCode()).isEqualTo(200);
        assertThat(Http.json(promoted.body()).path("open_percent").asInt()).isEqualTo(50);
        assertThat(Http.json(promoted.body()).path("history").findValuesAsText("kind")).contains("promote");
        assertThat(Http.json(promoted.body()).path("history").findValuesAsText("actor")).contains("admin");

        Map<String, String> first = new HashMap<>();
        int open = 0;
        for (int u = 0; u < 40; u++) {
            String d = deploymentFor(key, "user-" + u);
            first.put("user-" + u, d);
            if (d.equals("backup")) open++;
        }
        assertThat(open).as("about half of 40 users on the open model").isBetween(8, 32);
        for (int u = 0; u < 40; u += 5) assertThat(deploymentFor(key, "user-" + u)).isEqualTo(first.get("user-" + u));
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"migrate-test\",\"user\":\"user-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.headers().firstValue("x-gateway-policy")).contains("migration");
        assertThat(r.headers().firstValue("x-gateway-stage")).isPresent();

        assertThat(act("pause").statusCode()).isEqualTo(200);
        assertThat(migration().path("status").asText()).isEqualTo("paused");
        HttpResponse<String> refused = act("pause");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(Http.json(refused.body()).path("error").path("message").asText()).isNotBlank();

        assertThat(act("rollback").statusCode()).isEqualTo(200);
        assertThat(migration().path("open_percent").asInt()).isZero();
        for (int u = 0; u < 10; u++) assertThat(deploymentFor(key, "user-" + u)).isEqualTo("primary");
    }

    @Test
    void stateSurvivesARestartBecauseItLivesInPostgreSQL() {
        act("resume");
        JsonNode before = migration();
        Migrations fresh = new Migrations(snapshots.current().config(), database.dataSource(), shadows, Clock.systemUTC());
        var state = fresh.state("migrate-test");
        assertThat(state.stageIndex()).isEqualTo(before.path("stage_index").asInt());
        assertThat(state.status().name().toLowerCase()).isEqualTo(before.path("status").asText());
    }

    @Test
    void pinHoldsAMigrationAtAChosenStage() {
        assertThat(Http.post(Http.gateway() + "/admin/migrations/migrate-test/pin", ADMIN, "{}").statusCode()).isEqualTo(400);
        HttpResponse<String> pinned = Http.post(Http.gateway() + "/admin/migrations/migrate-test/pin?stage=1", ADMIN, "{\"reason\":\"hold at 50%\"}");
        assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(200);
        assertThat(Http.json(pinned.body()).path("status").asText()).isEqualTo("pinned");
        assertThat(Http.json(pinned.body()).path("open_percent").asInt()).isEqualTo(50);
        act("rollback");
        act("resume");
    }

    @Test
    void unknownRoutesAndOperationsAre404() {
        assertThat(Http.post(Http.gateway() + "/admin/migrations/gpt-test/promote", ADMIN, "{}").statusCode()).isEqualTo(404);
        assertThat(Http.post(Http.gateway() + "/admin/migrations/migrate-test/explode", ADMIN, "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void feedbackAttachesToTheTeamsOwnRequestsOnly() {
        String key = Http.newKey("feedback-team");
        String other = Http.newKey("feedback-other");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();

        HttpResponse<String> ok = Http.post(Http.gateway() + "/v1/feedback", key, "{\"request_id\":\"" + id + "\",\"score\":0.8,\"comment\":\"good\"}");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(Http.json(ok.body()).path("score").asText()).isEqualTo("0.8000");
        assertThat(Http.post(Http.gateway() + "/v1/feedback", key, "{\"request_id\":\"" + id + "\",\"score\":\"up\"}").statusCode()).isEqualTo(200);
        assertThat(Http.post(Http.gateway() + "/v1/feedback", other, "{\"request_id\":\"" + id + "\",\"score\":1}").statusCode()).isEqualTo(404);
        assertThat(Http.post(Http.gateway() + "/v1/feedback", key, "{\"request_id\":\"" + id + "\",\"score\":7}").statusCode()).isEqualTo(400);
        assertThat(Http.post(Http.gateway() + "/v1/feedback", null, "{\"request_id\":\"" + id + "\",\"score\":1}").statusCode()).isEqualTo(401);
    }
}
