package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A usage record PostgreSQL refuses does not stop the others: it becomes a dead letter, shown in health and metrics,
 * listed by the admin API, and replayed once the cause is fixed, with an audit trail of who did what.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class DeadLettersThroughGatewayTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Test
    void aRefusedRecordIsSetAsideTheRestGoOnAndItIsReplayedOnceFixed() throws Exception {
        String key = Http.newKey("dl-team");
        exec("CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.end_user = 'poison-user' THEN RAISE EXCEPTION 'end user poison-user is refused'; END IF; RETURN NEW; END $$;"
                + "CREATE TRIGGER refuse_poison BEFORE INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
        String poisonId;
        List<String> ordinary = new ArrayList<>();
        try {
            HttpResponse<String> poison = chat(key, "poison-user");
            assertThat(poison.statusCode()).isEqualTo(200);
            poisonId = poison.headers().firstValue("x-gateway-request-id").orElseThrow();
            for (int i = 0; i < 5; i++) ordinary.add(chat(key, "user-" + i).headers().firstValue("x-gateway-request-id").orElseThrow());
            assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).as("the refused record does not block").isTrue();
            UsageQueries q = new UsageQueries(database.dataSource());
            for (String id : ordinary) assertThat(q.byRequestId(id)).isPresent();
            assertThat(q.byRequestId(poisonId)).isEmpty();

            assertThat(Http.get(Http.gateway() + "/admin/dead-letters", null).statusCode()).isEqualTo(401);
            JsonNode list = Http.json(Http.get(Http.gateway() + "/admin/dead-letters", ADMIN).body());
            JsonNode letter = null;
            for (JsonNode l : list.path("data")) if (l.path("request_id").asText().equals(poisonId)) letter = l;
            assertThat(letter).as(list.toString()).isNotNull();
            assertThat(letter.path("kind").asText()).isEqualTo("usage");
            assertThat(letter.path("status").asText()).isEqualTo("open");
            assertThat(letter.path("reason").asText()).contains("poison-user is refused");
            assertThat(letter.path("record").path("team").asText()).isEqualTo("dl-team");
            assertThat(Http.get(Http.gateway() + "/q/health/ready", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body()).contains("dead_letters_open");
            assertThat(Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body()).contains("gateway_dead_letters_total");

            long id = letter.path("id").asLong();
            HttpResponse<String> again = replay(id, "ops-carol");
            assertThat(again.statusCode()).as("still refused while the cause is there").isEqualTo(409);
            exec("DROP TRIGGER refuse_poison ON usage_events");
            HttpResponse<String> replayed = replay(id, "ops-carol");
            assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
            JsonNode done = Http.json(replayed.body());
            assertThat(done.path("status").asText()).isEqualTo("replayed");
            assertThat(done.path("resolved_by").asText()).isEqualTo("ops-carol");
            List<String> audit = new ArrayList<>();
            for (JsonNode a : done.path("audit")) audit.add(a.path("action").asText() + ":" + a.path("actor").asText());
            assertThat(audit).containsExactly("created:gateway", "replay_failed:ops-carol", "replayed:ops-carol");
            assertThat(q.byRequestId(poisonId)).isPresent();
            assertThat(Http.get(Http.gateway() + "/admin/usage/" + poisonId, ADMIN).statusCode()).isEqualTo(200);
            assertThat(replay(id, "ops-carol").statusCode()).as("a replayed letter is not replayed twice").isEqualTo(409);
        } finally {
            exec("DROP TRIGGER IF EXISTS refuse_poison ON usage_events");
        }
    }

    private static HttpResponse<String> chat(String key, String user) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"user\":\"" + user + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private static HttpResponse<String> replay(long id, String actor) {
        return Http.send(HttpRequest.newBuilder(URI.create(Http.gateway() + "/admin/dead-letters/" + id + "/replay"))
                .header("authorization", "Bearer " + ADMIN).header("x-gateway-actor", actor)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /**
     * Runs DDL on usage_events while the gateway's writers and readers work on it: PostgreSQL may pick the DDL as the
     * victim of a deadlock with one of them (40P01; the gateway retries its own side), so the test retries it too.
     */
    private void exec(String sql) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute(sql);
                return;
            } catch (java.sql.SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) throw e;
                Thread.sleep(50L * attempt);
            }
        }
    }
}
