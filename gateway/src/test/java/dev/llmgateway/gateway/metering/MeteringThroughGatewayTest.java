package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.MicroUsd;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every routed request leaves exactly one usage record in PostgreSQL, priced exactly. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class MeteringThroughGatewayTest {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    private String key;

    @BeforeEach
    void setUp() { key = Http.newKey("metered-team"); }

    private UsageEvent stored(HttpResponse<?> r) throws InterruptedException {
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource()).byRequestId(id).orElseThrow(() -> new AssertionError("no usage for " + id));
    }

    @Test
    void nonStreamingAnswerIsMeteredWithExactCostAndTheCostHeader() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"user\":\"alice\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        UsageEvent e = stored(r);
        // 2 prompt tokens at $2.50/1M + 7 completion tokens at $10.00/1M = $0.000075 = 75 micro-USD
        assertThat(e.promptTokens()).isEqualTo(2);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(e.providerCostMicros()).isEqualTo(MicroUsd.ofMicros(75));
        assertThat(e.teamChargeMicros()).isEqualTo(MicroUsd.ofMicros(75));
        assertThat(e.baselineCostMicros()).isEqualTo(MicroUsd.ofMicros(75));
        assertThat(e.tokenSource()).isEqualTo(dev.llmgateway.metering.TokenSource.PROVIDER);
        assertThat(r.headers().firstValue("x-gateway-cost")).contains("0.000075");
        assertThat(e.teamId()).isEqualTo("metered-team");
        assertThat(e.endUser()).isEqualTo("alice");
        assertThat(e.route()).isEqualTo("gpt-test");
        assertThat(e.deployment()).isEqualTo("primary");
        assertThat(e.httpStatus()).isEqualTo(200);
        assertThat(e.streamed()).isFalse();
    }

    @Test
    void streamIsMeteredFromUpstreamUsageEvenWhenTheClientDidNotAskForIt() throws Exception {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}");
        assertThat(r.body()).doesNotContain("\"usage\":{");
        UsageEvent e = stored(r);
        assertThat(e.streamed()).isTrue();
        assertThat(e.promptTokens()).isEqualTo(3);
        assertThat(e.completionTokens()).isEqualTo(7);
        assertThat(e.ttftMs()).isNotNull();
    }

    @Test
    void fallbackIsChargedAtTheServingDeploymentAndComparedWithTheBaseline() throws Exception {
        Http.script("model-a", "500", "500");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
        UsageEvent e = stored(r);
        assertThat(e.deployment()).isEqualTo("backup");
        // backup: 2 x $0.10/1M + 7 x $0.20/1M = 1.6 micro-USD, kept exactly; baseline primary: 75
        assertThat(e.teamChargeMicros()).isEqualTo(MicroUsd.of(16, 1));
        assertThat(e.baselineCostMicros()).isEqualTo(MicroUsd.ofMicros(75));
    }

    @Test
    void failedRequestsAreRecordedWithTheirStatusAndNoTokens() throws Exception {
        Http.script("slow", "400");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"slow-route\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        UsageEvent e = stored(r);
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.errorCode()).isEqualTo("upstream_rejected_request");
        assertThat(e.completionTokens()).isZero();
        assertThat(e.teamChargeMicros()).isEqualTo(MicroUsd.ZERO);
    }

    @Test
    void aClientReusingItsRequestIdStillGetsTwoUsageRecords() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("x-request-id", "same-id")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
        HttpResponse<String> a = Http.send(req);
        HttpResponse<String> b = Http.send(req);
        assertThat(a.headers().firstValue("x-request-id")).contains("same-id");
        assertThat(stored(a).requestId()).isNotEqualTo(stored(b).requestId());
    }

    @Test
    void adminUsageApiFiltersGroupsExportsAndReportsSavings() throws Exception {
        String team = "usage-api-team";
        String k = Http.newKey(team);
        Http.script("model-a", "500", "500");
        HttpResponse<String> viaBackup = Http.post(Http.gateway() + "/v1/chat/completions", k,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
        HttpResponse<String> viaPrimary = Http.post(Http.gateway() + "/v1/chat/completions", k,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
        stored(viaBackup);
        stored(viaPrimary);
        String admin = dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY;

        var grouped = Http.json(Http.get(Http.gateway() + "/admin/usage?team=" + team + "&group_by=deployment", admin).body());
        assertThat(grouped.path("total").path("requests").asLong()).isEqualTo(2);
        assertThat(grouped.path("total").path("team_charge_usd").asText()).isEqualTo("0.0000766");
        assertThat(grouped.path("total").path("team_charge_micros").asLong()).isEqualTo(77); // 76.6 rounded once
        assertThat(grouped.path("groups").findValuesAsText("deployment")).containsExactlyInAnyOrder("backup", "primary");

        String id = viaBackup.headers().firstValue("x-gateway-request-id").orElseThrow();
        var one = Http.json(Http.get(Http.gateway() + "/admin/usage/" + id, admin).body());
        assertThat(one.path("deployment").asText()).isEqualTo("backup");
        assertThat(one.path("baseline_cost_usd").asText()).isEqualTo("0.000075");

        HttpResponse<String> csv = Http.get(Http.gateway() + "/admin/usage?team=" + team + "&format=csv", admin);
        assertThat(csv.headers().firstValue("content-type").orElse("")).startsWith("text/csv");
        assertThat(csv.body().lines().count()).isEqualTo(3);
        assertThat(csv.body()).contains(id);

        var savings = Http.json(Http.get(Http.gateway() + "/admin/savings?team=" + team + "&period=day", admin).body());
        // baseline 75 + 75, actual 1.6 + 75: the backup (open) request saved 73.4 micro-USD
        assertThat(savings.path("saving_usd").asText()).isEqualTo("0.0000734");
        assertThat(Http.get(Http.gateway() + "/admin/usage?group_by=planet", admin).statusCode()).isEqualTo(400);
        assertThat(Http.get(Http.gateway() + "/admin/usage/req_missing", admin).statusCode()).isEqualTo(404);
    }

    @Test
    void prometheusMetricsCountRequestsTokensMoneyAndCircuits() throws Exception {
        stored(Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}"));
        assertThat(Http.get(Http.gateway() + "/q/metrics", null).statusCode()).as("metrics need the admin key").isEqualTo(401);
        String metrics = Http.get(Http.gateway() + "/q/metrics", GatewayTestResource.ADMIN_KEY).body();
        assertThat(metrics).containsPattern("gateway_requests_total\\{[^}]*route=\"gpt-test\"[^}]*\\} [1-9]");
        assertThat(metrics).containsPattern("gateway_team_charge_micros_usd_total\\{[^}]*team=\"metered-team\"[^}]*\\} [1-9]");
        assertThat(metrics).contains("gateway_circuit_state{deployment=\"primary\"}");
        assertThat(metrics).contains("gateway_usage_journal_unstored_records");
        assertThat(metrics).contains("gateway_time_to_first_token_seconds_bucket");
        assertThat(metrics).doesNotContain(key);
    }

    @Test
    void unauthenticatedAndInvalidRequestsLeaveNoUsage() throws Exception {
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        var q = new UsageQueries(database.dataSource());
        long before = q.total(UsageQueries.Filter.all()).requests();
        Http.post(Http.gateway() + "/v1/chat/completions", "gw-nope", "{}");
        Http.post(Http.gateway() + "/v1/chat/completions", key, "{\"model\":\"gpt-test\"}");
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(q.total(UsageQueries.Filter.all()).requests()).isEqualTo(before);
    }
}
