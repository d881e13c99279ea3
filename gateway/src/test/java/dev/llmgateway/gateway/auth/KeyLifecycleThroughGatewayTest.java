package dev.llmgateway.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The key lifecycle through the running gateway and its PostgreSQL: expiry (401 key_expired, nothing metered),
 * rotation with an overlap window, last-used times written in batches, editable keys and teams, soft team delete
 * (usage kept, keys refused), per-route rate limits, and the request log.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class KeyLifecycleThroughGatewayTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;

    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.auth.Authenticator authenticator;

    private static HttpResponse<String> chat(String key, String route) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + route + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private static JsonNode createKey(String team, String body) {
        Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"" + team + "\"}");
        HttpResponse<String> r = Http.post(Http.gateway() + "/admin/teams/" + team + "/keys", ADMIN, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Http.json(r.body());
    }

    private long requests(String team) throws InterruptedException {
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource()).total(UsageQueries.Filter.all().team(team)).requests();
    }

    private static void assertKeyExpired(HttpResponse<String> r, String messagePart) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        JsonNode err = Http.json(r.body()).path("error");
        assertThat(err.path("code").asText()).isEqualTo("key_expired");
        assertThat(err.path("type").asText()).isEqualTo("authentication_error");
        assertThat(err.path("message").asText()).contains(messagePart);
    }

    @Test
    void expiredKeyIsRefusedWith401KeyExpiredEvenWhenCachedAndNothingIsMetered() throws Exception {
        JsonNode key = createKey("exp-team", "{\"name\":\"short\",\"description\":\"expires soon\",\"expires_in\":\"2s\"}");
        assertThat(key.path("description").asText()).isEqualTo("expires soon");
        assertThat(key.path("status").asText()).isEqualTo("active");
        Instant expires = Instant.parse(key.path("expires_at").asText());
        assertThat(chat(key.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200); // now cached
        assertThat(requests("exp-team")).isEqualTo(1);

        Thread.sleep(Math.max(0, Duration.between(Instant.now(), expires).toMillis()) + 100);
        assertKeyExpired(chat(key.path("key").asText(), "gpt-test"), "expired");
        assertThat(requests("exp-team")).as("a refused key is not metered").isEqualTo(1);
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/keys/" + key.path("id").asText(), ADMIN).body()).path("status").asText())
                .isEqualTo("expired");

        // Expiry in the past set by PATCH (creation refuses it): refused at once, through this replica's cache.
        JsonNode other = createKey("exp-team", "{\"name\":\"other\"}");
        assertThat(chat(other.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200);
        HttpResponse<String> patched = Http.patch(Http.gateway() + "/admin/keys/" + other.path("id").asText(), ADMIN,
                "{\"expires_at\":\"2020-01-01T00:00:00Z\"}");
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        assertKeyExpired(chat(other.path("key").asText(), "gpt-test"), "2020-01-01T00:00:00Z");
        assertThat(requests("exp-team")).isEqualTo(2);
        assertThat(Http.post(Http.gateway() + "/admin/teams/exp-team/keys", ADMIN, "{\"expires_at\":\"2020-01-01T00:00:00Z\"}").statusCode())
                .isEqualTo(400);
        assertThat(Http.post(Http.gateway() + "/admin/teams/exp-team/keys", ADMIN, "{\"expires_in\":\"soon\"}").statusCode())
                .isEqualTo(400);
        // Lifting the expiry makes the key work again.
        Http.patch(Http.gateway() + "/admin/keys/" + other.path("id").asText(), ADMIN, "{\"expires_at\":null}");
        assertThat(chat(other.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200);
    }

    @Test
    void rotatedKeysPreviousSecretWorksWithinTheOverlapThenIsRefused() throws Exception {
        JsonNode key = createKey("rot-team", "{\"name\":\"ci\"}");
        String id = key.path("id").asText(), oldSecret = key.path("key").asText();
        assertThat(chat(oldSecret, "gpt-test").statusCode()).isEqualTo(200);

        HttpResponse<String> r = Http.post(Http.gateway() + "/admin/keys/" + id + "/rotate", ADMIN, "{\"overlap\":\"3s\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode rotated = Http.json(r.body());
        String newSecret = rotated.path("key").asText();
        assertThat(newSecret).startsWith("gw-").isNotEqualTo(oldSecret);
        assertThat(rotated.path("id").asText()).isEqualTo(id);
        Instant window = Instant.parse(rotated.path("previous_key_expires_at").asText());
        assertThat(window).isBetween(Instant.now().plusSeconds(1), Instant.now().plusSeconds(4));

        assertThat(chat(oldSecret, "gpt-test").statusCode()).as("the previous secret within its overlap").isEqualTo(200);
        HttpResponse<String> viaNew = chat(newSecret, "gpt-test");
        assertThat(viaNew.statusCode()).isEqualTo(200);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), window).toMillis()) + 100);
        assertKeyExpired(chat(oldSecret, "gpt-test"), "rotated");
        assertThat(chat(newSecret, "gpt-test").statusCode()).isEqualTo(200);

        // Both secrets' usage is the same key's.
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(new UsageQueries(database.dataSource()).total(UsageQueries.Filter.all().key(id)).requests()).isEqualTo(4);
        assertThat(Http.post(Http.gateway() + "/admin/keys/" + id + "/rotate", ADMIN, "{\"overlap\":\"31d\"}").statusCode()).isEqualTo(400);
        assertThat(Http.post(Http.gateway() + "/admin/keys/key_nope/rotate", ADMIN, "{}").statusCode()).isEqualTo(404);
        Http.delete(Http.gateway() + "/admin/keys/" + id, ADMIN);
        HttpResponse<String> revoked = Http.post(Http.gateway() + "/admin/keys/" + id + "/rotate", ADMIN, "{}");
        assertThat(revoked.statusCode()).isEqualTo(409);
        assertThat(Http.json(revoked.body()).path("error").path("code").asText()).isEqualTo("key_revoked");
    }

    @Test
    void lastUsedIsCoalescedInMemoryAndWrittenInOneBatch() throws Exception {
        JsonNode key = createKey("used-team", "{}");
        String url = Http.gateway() + "/admin/keys/" + key.path("id").asText();
        assertThat(Http.json(Http.get(url, ADMIN).body()).path("last_used_at").isNull()).isTrue();
        Instant before = Instant.now().minusMillis(5);
        for (int i = 0; i < 3; i++) assertThat(chat(key.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200);
        authenticator.keyUsage().flush();
        Instant used = Instant.parse(Http.json(Http.get(url, ADMIN).body()).path("last_used_at").asText());
        assertThat(used).isAfter(before).isBefore(Instant.now().plusSeconds(1));
        assertThat(authenticator.keyUsage().pending()).isZero();
    }

    @Test
    void keysAndTeamsAreEditable() throws Exception {
        JsonNode key = createKey("edit-team", "{\"name\":\"app\"}");
        String url = Http.gateway() + "/admin/keys/" + key.path("id").asText();
        assertThat(chat(key.path("key").asText(), "claude-test").statusCode()).isEqualTo(200);
        HttpResponse<String> r = Http.patch(url, ADMIN,
                "{\"description\":\"only GPT\",\"allowed_routes\":[\"gpt-test\"],\"limits\":{\"rpm\":100}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode k = Http.json(r.body());
        assertThat(k.path("description").asText()).isEqualTo("only GPT");
        assertThat(k.path("allowed_routes").get(0).asText()).isEqualTo("gpt-test");
        assertThat(k.path("limits").path("rpm").asLong()).isEqualTo(100);
        assertThat(chat(key.path("key").asText(), "claude-test").statusCode()).isEqualTo(403);
        assertThat(chat(key.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200);
        assertThat(Http.patch(url, ADMIN, "{\"allowed_routes\":[\"no-such-route\"]}").statusCode()).isEqualTo(400);
        assertThat(Http.patch(url, ADMIN, "{\"allowed_routes\":null,\"limits\":null}").statusCode()).isEqualTo(200);
        assertThat(chat(key.path("key").asText(), "claude-test").statusCode()).isEqualTo(200);

        HttpResponse<String> team = Http.patch(Http.gateway() + "/admin/teams/edit-team", ADMIN,
                "{\"name\":\"Editors\",\"use_class\":\"research\",\"limits\":{\"rpm\":50,\"tpm\":100000}}");
        assertThat(team.statusCode()).as(team.body()).isEqualTo(200);
        JsonNode t = Http.json(Http.get(Http.gateway() + "/admin/teams/edit-team", ADMIN).body());
        assertThat(t.path("name").asText()).isEqualTo("Editors");
        assertThat(t.path("use_class").asText()).isEqualTo("research");
        assertThat(t.path("limits").path("tpm").asLong()).isEqualTo(100000);
        assertThat(Http.patch(Http.gateway() + "/admin/teams/edit-team", ADMIN, "{\"use_class\":\"nope\"}").statusCode()).isEqualTo(400);
        assertThat(Http.patch(Http.gateway() + "/admin/teams/edit-team", ADMIN, "{\"limits\":{\"rpm\":0}}").statusCode()).isEqualTo(400);
        assertThat(Http.patch(Http.gateway() + "/admin/teams/nobody", ADMIN, "{\"name\":\"x\"}").statusCode()).isEqualTo(404);
        Http.patch(Http.gateway() + "/admin/teams/edit-team", ADMIN, "{\"limits\":null}");
    }

    @Test
    void deletingATeamKeepsItsUsageHistoryAndRefusesItsKeys() throws Exception {
        JsonNode key = createKey("doomed-team", "{}");
        for (int i = 0; i < 2; i++) assertThat(chat(key.path("key").asText(), "gpt-test").statusCode()).isEqualTo(200);
        assertThat(requests("doomed-team")).isEqualTo(2);

        assertThat(Http.delete(Http.gateway() + "/admin/teams/doomed-team", ADMIN).statusCode()).isEqualTo(204);
        HttpResponse<String> refused = chat(key.path("key").asText(), "gpt-test");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(Http.json(refused.body()).path("error").path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(requests("doomed-team")).as("usage history is kept").isEqualTo(2);
        JsonNode usage = Http.json(Http.get(Http.gateway() + "/admin/usage?team=doomed-team", ADMIN).body());
        assertThat(usage.path("total").path("requests").asLong()).isEqualTo(2);

        assertThat(Http.json(Http.get(Http.gateway() + "/admin/teams", ADMIN).body()).path("data").findValuesAsText("id"))
                .doesNotContain("doomed-team");
        JsonNode all = Http.json(Http.get(Http.gateway() + "/admin/teams?include_deleted=true", ADMIN).body());
        assertThat(all.path("data").findValuesAsText("id")).contains("doomed-team");
        assertThat(Http.get(Http.gateway() + "/admin/teams/doomed-team", ADMIN).statusCode()).isEqualTo(404);
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/teams/doomed-team/keys", ADMIN).body()).path("data").get(0)
                .path("status").asText()).isEqualTo("revoked");
        HttpResponse<String> again = Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"doomed-team\"}");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(Http.json(again.body()).path("error").path("message").asText()).contains("deleted");
        assertThat(Http.post(Http.gateway() + "/admin/teams/doomed-team/keys", ADMIN, "{}").statusCode()).isEqualTo(404);
        assertThat(Http.delete(Http.gateway() + "/admin/teams/doomed-team", ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void routeRpmLimitRefusesTheRequestOverTheLimitWhateverTheTeam() throws Exception {
        String a = createKey("route-a", "{}").path("key").asText();
        String b = createKey("route-b", "{}").path("key").asText();
        // limited-route has limits: {rpm: 3} in gateway.yaml; the limit is the route's, shared by every team.
        assertThat(chat(a, "limited-route").statusCode()).isEqualTo(200);
        assertThat(chat(b, "limited-route").statusCode()).isEqualTo(200);
        assertThat(chat(a, "limited-route").statusCode()).isEqualTo(200);
        HttpResponse<String> fourth = chat(b, "limited-route");
        assertThat(fourth.statusCode()).as(fourth.body()).isEqualTo(429);
        JsonNode err = Http.json(fourth.body()).path("error");
        assertThat(err.path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(err.path("message").asText()).contains("'limited-route'").contains("3 requests per minute");
        assertThat(fourth.headers().firstValue("retry-after")).isPresent();
        assertThat(chat(b, "gpt-test").statusCode()).as("other routes are not limited").isEqualTo(200);
    }

    @Test
    void requestLogListsRecordsWithTheirRoutingDecisionAndFilters() throws Exception {
        String key = createKey("log-team", "{}").path("key").asText();
        for (int i = 0; i < 2; i++) assertThat(chat(key, "gpt-test").statusCode()).isEqualTo(200);
        assertThat(chat(key, "claude-test").statusCode()).isEqualTo(200);
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();

        JsonNode all = Http.json(Http.get(Http.gateway() + "/admin/requests?team=log-team", ADMIN).body());
        assertThat(all.path("data")).hasSize(3);
        assertThat(all.path("has_more").asBoolean()).isFalse();
        JsonNode gpt = Http.json(Http.get(Http.gateway() + "/admin/requests?team=log-team&route=gpt-test&status=ok", ADMIN).body());
        assertThat(gpt.path("data")).hasSize(2);
        JsonNode row = gpt.path("data").get(0);
        assertThat(row.path("route").asText()).isEqualTo("gpt-test");
        assertThat(row.path("policy").asText()).isNotEmpty();
        assertThat(row.path("deployment").asText()).isEqualTo("primary");
        assertThat(row.path("attempts").get(0).asText()).isEqualTo("primary:200");
        assertThat(row.path("team_charge_usd").asText()).isNotEmpty();
        assertThat(row.path("status").asInt()).isEqualTo(200);
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/requests?team=log-team&status=error", ADMIN).body()).path("data")).isEmpty();
        JsonNode paged = Http.json(Http.get(Http.gateway() + "/admin/requests?team=log-team&limit=2", ADMIN).body());
        assertThat(paged.path("has_more").asBoolean()).isTrue();
        JsonNode rest = Http.json(Http.get(Http.gateway() + "/admin/requests?team=log-team&limit=2&before="
                + paged.path("next_before").asText(), ADMIN).body());
        assertThat(rest.path("data")).hasSize(1);
        assertThat(Http.get(Http.gateway() + "/admin/requests?status=teapot", ADMIN).statusCode()).isEqualTo(400);
        assertThat(Http.get(Http.gateway() + "/admin/requests?limit=501", ADMIN).statusCode()).isEqualTo(400);
        // The single record has the same decision.
        String id = row.path("request_id").asText();
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/usage/" + id, ADMIN).body()).path("attempts").get(0).asText())
                .isEqualTo("primary:200");
    }
}
