package dev.llmgateway.gateway.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * Requests to an open deployment under a 10% revenue-share license produce usage, balanced ledger postings and an
 * author statement whose figures match a hand computation.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class RevenueShareEndToEndTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.runtime.LedgerPasses ledgerPasses;

    @Test
    void openModelUsageIsBilledBackToItsAuthorExactly() throws Exception {
        // Other test classes may have billed tiny-lab in this period already: compare against what was there before.
        int created = Http.post(Http.gateway() + "/admin/authors", ADMIN,
                "{\"id\":\"tiny-lab\",\"name\":\"Tiny Lab\",\"payout_reference\":\"iban:TEST\"}").statusCode();
        assertThat(created).isIn(201, 409);
        ledgerPasses.post();
        JsonNode before = statementOf("tiny-lab");
        HttpResponse<String> lic = Http.post(Http.gateway() + "/admin/licenses", ADMIN, """
                {"id":"test-license","author_id":"tiny-lab","name":"Tiny cloud share","source_url":"https://example.org/l",
                 "terms":{"effective_from":"2020-01-01T00:00:00Z","free_use_classes":["research"],
                          "thresholds":{"active_users_over":null,"revenue_micros_over":null,"tokens_over":null},
                          "obligation":{"revenue_share_bp":1000,"royalty_micros_per_mtok":0,"minimum_micros_per_period":0},
                          "attribution":{"text":"","above_thresholds_only":false}}}""");
        assertThat(lic.statusCode()).as(lic.body()).isIn(201, 409);
        assertThat(Http.post(Http.gateway() + "/admin/authors", ADMIN, "{\"id\":\"tiny-lab\"}").statusCode()).isEqualTo(409);

        String commercial = Http.newKey("billed-team");
        Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"lab-team\",\"use_class\":\"research\"}");
        String research = Http.newKey("lab-team");

        long billed = 0;
        java.math.BigDecimal share = java.math.BigDecimal.ZERO;
        long prompt = 0;
        long completion = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode usage = chat(commercial);
            long p = usage.path("prompt_tokens").asLong();
            long c = usage.path("completion_tokens").asLong();
            long charge = p * 20 + c * 40;                 // $20 / $40 per 1M tokens = 20 / 40 micro-USD per token
            billed += charge;
            share = share.add(java.math.BigDecimal.valueOf(charge).movePointLeft(1)); // 10% (1000 bp), exact, not rounded per request
            prompt += p;
            completion += c;
        }
        JsonNode researchUsage = chat(research);
        long researchCharge = researchUsage.path("prompt_tokens").asLong() * 20 + researchUsage.path("completion_tokens").asLong() * 40;

        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        ledgerPasses.post();

        String period = YearMonth.now(ZoneOffset.UTC).toString();
        JsonNode st = statementOf("tiny-lab");
        assertThat(st).as("a statement for tiny-lab in %s", period).isNotNull();
        assertThat(st.path("status").asText()).isEqualTo("open");
        assertThat(st.path("requests").asLong() - before.path("requests").asLong()).isEqualTo(4);
        assertThat(st.path("billed_micros").asLong() - before.path("billed_micros").asLong()).isEqualTo(billed + researchCharge);
        assertThat(usd(st, "share_usd").subtract(usd(before, "share_usd")).movePointRight(6)).isEqualByComparingTo(share);
        assertThat(st.path("share_micros").asLong()).as("owed: the exact total rounded once, half-even")
                .isEqualTo(usd(st, "share_usd").movePointRight(6).setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact());

        JsonNode full = Http.json(Http.get(Http.gateway() + "/admin/statements/" + st.path("id").asText(), ADMIN).body());
        java.math.BigDecimal lineShare = java.math.BigDecimal.ZERO;
        for (JsonNode l : full.path("lines")) {
            if (l.path("use_class").asText().equals("research")) assertThat(l.path("share_micros").asLong()).isZero();
            lineShare = lineShare.add(usd(l, "share_usd"));
        }
        assertThat(lineShare).as("exact lines add up to the exact statement total").isEqualByComparingTo(usd(st, "share_usd"));
        assertThat(prompt).isPositive();
        assertThat(completion).isEqualTo(3 * 8);

        HttpResponse<String> csv = Http.get(Http.gateway() + "/admin/statements/" + st.path("id").asText() + "?format=csv", ADMIN);
        assertThat(csv.body()).startsWith("statement_id,").contains("tiny-lab");
        assertThat(Http.post(Http.gateway() + "/admin/statements/" + period + "/close", ADMIN, "").statusCode())
                .as("the current month has not ended").isEqualTo(409);

        ledgerPasses.post();
        JsonNode again = Http.json(Http.get(Http.gateway() + "/admin/statements/" + st.path("id").asText(), ADMIN).body());
        assertThat(again.path("share_micros").asLong()).as("replaying the ledger posts nothing twice").isEqualTo(st.path("share_micros").asLong());
    }

    private static java.math.BigDecimal usd(JsonNode n, String field) {
        return n.hasNonNull(field) ? new java.math.BigDecimal(n.path(field).asText()) : java.math.BigDecimal.ZERO;
    }

    /** The current period's statement of an author, or an empty object when there is none yet. */
    private static JsonNode statementOf(String author) {
        JsonNode list = Http.json(Http.get(Http.gateway() + "/admin/statements?period=" + YearMonth.now(ZoneOffset.UTC), ADMIN).body()).path("data");
        for (JsonNode s : list) if (s.path("author_id").asText().equals(author)) return s;
        return Http.JSON.createObjectNode();
    }

    private static JsonNode chat(String key) {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"tiny-test\",\"temperature\":0,\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Http.json(r.body()).path("usage");
    }
}
