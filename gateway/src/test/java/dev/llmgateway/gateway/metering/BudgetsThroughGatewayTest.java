package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Budgets and rate limits enforced by the Admit stage, end to end. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class BudgetsThroughGatewayTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    private static final String CHAT = "{\"model\":\"gpt-test\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    private long spentMicros(String team) throws InterruptedException {
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource()).total(UsageQueries.Filter.all().team(team)).teamChargeMicros().ceilMicros();
    }

    @Test
    void hardBudgetRejectsRequestThatWouldOverspendAndNeverOverspends() throws Exception {
        String key = Http.newKey("hard-team");
        var put = Http.put(Http.gateway() + "/admin/teams/hard-team/budget", ADMIN,
                "{\"limit_usd\":\"0.001\",\"period\":\"monthly\",\"enforcement\":\"hard\",\"alert_thresholds\":[50,100]}");
        assertThat(put.statusCode()).isEqualTo(200);
        int ok = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 40; i++) {
            last = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
            if (last.statusCode() != 200) break;
            ok++;
            assertThat(last.headers().firstValue("x-gateway-budget-remaining")).isPresent();
        }
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(Http.json(last.body()).path("error").path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(last.headers().firstValue("retry-after")).isPresent();
        assertThat(ok).isGreaterThan(5);
        assertThat(spentMicros("hard-team")).isLessThanOrEqualTo(1000);

        var status = Http.json(Http.get(Http.gateway() + "/admin/teams/hard-team/budget", ADMIN).body());
        assertThat(status.path("limit_usd").asText()).isEqualTo("0.001000");
        assertThat(status.path("enforcement").asText()).isEqualTo("hard");
        assertThat(status.path("period_end").asText()).isNotEmpty();
    }

    @Test
    void concurrentRequestsNeverTakeAHardBudgetOverItsLimit() throws Exception {
        String key = Http.newKey("burst-team");
        Http.put(Http.gateway() + "/admin/teams/burst-team/budget", ADMIN, "{\"limit_usd\":\"0.002\",\"enforcement\":\"hard\"}");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(client.sendAsync(HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                    .header("authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long ok = 0;
        long rejected = 0;
        for (var f : all) {
            int s = f.get().statusCode();
            if (s == 200) ok++;
            else if (s == 429) rejected++;
        }
        assertThat(ok + rejected).isEqualTo(100);
        assertThat(rejected).isPositive();
        assertThat(spentMicros("burst-team")).isLessThanOrEqualTo(2000);
    }

    @Test
    void softBudgetAdmitsWithAWarning() {
        String key = Http.newKey("soft-team");
        Http.put(Http.gateway() + "/admin/teams/soft-team/budget", ADMIN, "{\"limit_usd\":\"0.0001\",\"enforcement\":\"soft\"}");
        HttpResponse<String> r = null;
        for (int i = 0; i < 5; i++) r = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-budget-warning")).isPresent();
    }

    @Test
    void rateLimitPerKeyGivesA429WithRetryAfter() {
        String key = Http.newKey("rate-team");
        String keyId = Http.json(Http.get(Http.gateway() + "/admin/teams/rate-team/keys", ADMIN).body()).path("data").get(0).path("id").asText();
        assertThat(Http.put(Http.gateway() + "/admin/keys/" + keyId + "/limits", ADMIN, "{\"rpm\":3}").statusCode()).isEqualTo(200);
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> r = null;
        for (int i = 0; i < 4; i++) {
            r = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
            statuses.add(r.statusCode());
        }
        assertThat(statuses).containsExactly(200, 200, 200, 429);
        assertThat(Http.json(r.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(r.headers().firstValue("retry-after")).isPresent();
        assertThat(Http.put(Http.gateway() + "/admin/keys/" + keyId + "/limits", ADMIN, "{\"rpm\":-1}").statusCode()).isEqualTo(400);
        assertThat(Http.put(Http.gateway() + "/admin/keys/" + keyId + "/limits", ADMIN, "{}").statusCode()).isEqualTo(200);
        assertThat(Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT).statusCode()).as("a cleared limit is lifted").isEqualTo(200);
    }

    @Test
    void aRequestWhoseTokenEstimateExceedsTheTpmIsRefusedForGood() {
        String key = Http.newKey("tpm-team");
        assertThat(Http.put(Http.gateway() + "/admin/teams/tpm-team/limits", ADMIN, "{\"tpm\":2000}").statusCode()).isEqualTo(200);
        String big = "{\"model\":\"gpt-test\",\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> refused = Http.post(Http.gateway() + "/v1/chat/completions", key, big);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Http.json(refused.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(Http.json(refused.body()).path("error").path("message").asText()).contains("can never pass").contains("2000 tokens per minute");
        String small = "{\"model\":\"gpt-test\",\"max_tokens\":600,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(Http.post(Http.gateway() + "/v1/chat/completions", key, small).statusCode()).as("the refusal took nothing").isEqualTo(200);
        Http.put(Http.gateway() + "/admin/teams/tpm-team/limits", ADMIN, "{}");
    }

    @Test
    void routeDowngradesToTheCheaperDeploymentOnceHalfTheBudgetIsUsed() {
        String key = Http.newKey("downgrade-team");
        Http.put(Http.gateway() + "/admin/teams/downgrade-team/budget", ADMIN, "{\"limit_usd\":\"0.002\",\"enforcement\":\"hard\"}");
        String body = "{\"model\":\"downgrade-test\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        List<String> served = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, body);
            if (r.statusCode() != 200) break;
            served.add(r.headers().firstValue("x-gateway-deployment").orElseThrow()
                    + "/" + r.headers().firstValue("x-gateway-policy").orElseThrow()
                    + "/" + r.headers().firstValue("x-gateway-route-reason").orElseThrow());
        }
        assertThat(served.get(0)).isEqualTo("primary/fixed/fixed");
        assertThat(served).contains("backup/budget_downgrade/budget_downgrade:over_50pct");
    }

    @Test
    void badBudgetInputIsA400() {
        Http.newKey("bad-budget-team");
        assertThat(Http.put(Http.gateway() + "/admin/teams/bad-budget-team/budget", ADMIN, "{\"limit_usd\":\"lots\"}").statusCode()).isEqualTo(400);
        assertThat(Http.put(Http.gateway() + "/admin/teams/bad-budget-team/budget", ADMIN, "{\"limit_usd\":\"1\",\"period\":\"hourly\"}").statusCode()).isEqualTo(400);
        assertThat(Http.put(Http.gateway() + "/admin/teams/ghost-team/budget", ADMIN, "{\"limit_usd\":\"1\"}").statusCode()).isEqualTo(404);
        assertThat(Http.get(Http.gateway() + "/admin/teams/bad-budget-team/budget", ADMIN).statusCode()).isEqualTo(404);
        assertThat(Http.put(Http.gateway() + "/admin/teams/bad-budget-team/budget", ADMIN, "{\"limit_usd\":\"1\",\"key_id\":\"key_other\"}").statusCode()).isEqualTo(400);
    }
}
