package dev.llmgateway.gateway.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * The example through the running gateway: 100 requests of 12 prompt + 7 completion tokens (as reported by an
 * OpenAI-compatible upstream on loopback) to an open deployment priced at 0.20 USD per 1M tokens each way cost exactly
 * 3.8 micro-USD each: the team is charged 380 micro-USD (not 100 x 4 = 400) and the author, under a 10% revenue share,
 * is owed 38 micro-USD (not 100 x 0 = 0).
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ExactMoneyThroughGatewayTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    /** Twelve words: the fake upstream reports one prompt token per word, and its answer has seven words. */
    private static final String PROMPT = "one two three four five six seven eight nine ten eleven twelve";
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.runtime.LedgerPasses ledgerPasses;

    @Test
    void aHundredRequestsAtThreePointEightMicrosAreChargedThreeHundredEightyAndTheAuthorIsOwedThirtyEight() throws Exception {
        assertThat(Http.post(Http.gateway() + "/admin/authors", ADMIN,
                "{\"id\":\"cheap-lab\",\"name\":\"Cheap Lab\",\"payout_reference\":\"iban:TEST\"}").statusCode()).isEqualTo(201);
        HttpResponse<String> lic = Http.post(Http.gateway() + "/admin/licenses", ADMIN, """
                {"id":"cheap-share","author_id":"cheap-lab","name":"Ten percent","source_url":"https://example.org/l",
                 "terms":{"effective_from":"2020-01-01T00:00:00Z","free_use_classes":[],
                          "thresholds":{"active_users_over":null,"revenue_micros_over":null,"tokens_over":null},
                          "obligation":{"revenue_share_bp":1000,"royalty_micros_per_mtok":0,"minimum_micros_per_period":0},
                          "attribution":{"text":"","above_thresholds_only":false}}}""");
        assertThat(lic.statusCode()).as(lic.body()).isEqualTo(201);
        String key = Http.newKey("hundred-team");

        String firstRequestId = null;
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                    "{\"model\":\"cheap-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode usage = Http.json(r.body()).path("usage");
            assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(12);
            assertThat(usage.path("completion_tokens").asInt()).isEqualTo(7);
            // The request's own cost is exact: 19 tokens x 0.20 USD / 1M = 0.0000038 USD, not rounded up to 4 micro-USD.
            assertThat(r.headers().firstValue("x-gateway-cost")).contains("0.0000038");
            if (firstRequestId == null) firstRequestId = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        }
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(20))).isTrue();
        ledgerPasses.post();

        JsonNode one = Http.json(Http.get(Http.gateway() + "/admin/usage/" + firstRequestId, ADMIN).body());
        assertThat(one.path("team_charge_usd").asText()).isEqualTo("0.0000038");
        assertThat(one.path("provider_cost_usd").asText()).isEqualTo("0.0000038");
        assertThat(one.path("token_source").asText()).isEqualTo("provider");
        assertThat(one.path("baseline_cost_usd").isNull()).as("the route has no baseline: no baseline, not a zero saving").isTrue();

        JsonNode total = Http.json(Http.get(Http.gateway() + "/admin/usage?team=hundred-team", ADMIN).body()).path("total");
        assertThat(total.path("requests").asLong()).isEqualTo(100);
        assertThat(total.path("team_charge_usd").asText()).isEqualTo("0.000380");
        assertThat(total.path("team_charge_micros").asLong()).isEqualTo(380);

        String csv = Http.get(Http.gateway() + "/admin/usage?team=hundred-team&format=csv", ADMIN).body();
        String[] rows = csv.split("\r\n");
        assertThat(rows).hasSize(101);
        assertThat(rows[0]).endsWith(",token_source,cache_hit,cache_saved_micros");
        BigDecimal csvSum = BigDecimal.ZERO;
        int chargeColumn = java.util.Arrays.asList(rows[0].split(",")).indexOf("team_charge_micros");
        for (int i = 1; i < rows.length; i++) {
            assertThat(rows[i]).endsWith(",provider,false,0");
            csvSum = csvSum.add(new BigDecimal(rows[i].split(",")[chargeColumn]));
        }
        assertThat(csvSum).isEqualByComparingTo("380");

        String period = YearMonth.now(ZoneOffset.UTC).toString();
        JsonNode st = null;
        for (JsonNode s : Http.json(Http.get(Http.gateway() + "/admin/statements?period=" + period, ADMIN).body()).path("data")) {
            if (s.path("author_id").asText().equals("cheap-lab")) st = s;
        }
        assertThat(st).as("a statement for cheap-lab in %s", period).isNotNull();
        assertThat(st.path("requests").asLong()).isEqualTo(100);
        assertThat(st.path("billed_micros").asLong()).isEqualTo(380);
        assertThat(st.path("billed_usd").asText()).isEqualTo("0.000380");
        assertThat(st.path("share_micros").asLong()).isEqualTo(38);
        assertThat(st.path("share_usd").asText()).isEqualTo("0.000038");
        assertThat(st.path("total_usd").asText()).isEqualTo("0.000038");

        String statementCsv = Http.get(Http.gateway() + "/admin/statements/" + st.path("id").asText() + "?format=csv", ADMIN).body();
        assertThat(statementCsv).contains(",total,").endsWith(",100,1200,700,380,38,0.000380,0.000038\r\n");
    }
}
