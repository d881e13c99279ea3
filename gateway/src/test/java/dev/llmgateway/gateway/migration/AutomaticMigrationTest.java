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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Migrations that move themselves: real traffic through the gateway, feedback through {@code POST /v1/feedback} and
 * judged shadow comparisons, all stored in PostgreSQL, drive automatic promotion and rollback (routes auto-good and
 * auto-feedback and auto-bad: stages 50/100, 12 users per side, evaluated every 500 ms).
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class AutomaticMigrationTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.metering.ShadowStore shadows;

    private static JsonNode migration(String route) {
        return Http.json(Http.get(Http.gateway() + "/admin/migrations/" + route, ADMIN).body());
    }

    /** One request as end user {@code user}: the deployment that answered and the request id. */
    private record Served(String user, String deployment, String requestId) {}

    private static Served ask(String key, String route, String user) {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + route + "\",\"user\":\"" + user + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Served(user, r.headers().firstValue("x-gateway-deployment").orElseThrow(),
                r.headers().firstValue("x-gateway-request-id").orElseThrow());
    }

    @Test
    void theStartIsStoredOnceWhenTheRouteIsFirstSeenAndEvidenceCountsFromTheFirstRequest() throws Exception {
        JsonNode m = migration("migrate-start");
        assertThat(m.path("history")).hasSize(1);
        assertThat(m.path("history").get(0).path("kind").asText()).isEqualTo("start");
        assertThat(m.path("history").get(0).path("actor").asText()).isEqualTo("auto");
        Instant since = Instant.parse(m.path("since").asText());

        // A second replica on the same database finds the stored start and keeps it.
        Migrations replica = new Migrations(snapshots.current().config(), database.dataSource(), shadows, Clock.systemUTC());
        assertThat(replica.state("migrate-start").since()).isEqualTo(since);
        assertThat(replica.history("migrate-start")).hasSize(1);

        String key = Http.newKey("start-team");
        for (int u = 0; u < 10; u++) ask(key, "migrate-start", "start-user-" + u);
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        JsonNode traffic = migration("migrate-start").path("evidence").path("traffic");
        assertThat(traffic.path("open").path("requests").asLong() + traffic.path("closed").path("requests").asLong()).isEqualTo(10);
        assertThat(migration("migrate-start").path("since").asText()).isEqualTo(m.path("since").asText());
    }

    @Test
    void anOpenModelAsGoodAsTheClosedOnePromotesItselfToCompletion() throws Exception {
        List<String> ties = new ArrayList<>(Collections.nCopies(400, "say:TIE"));
        Http.script("judge-tie", ties.toArray(String[]::new));
        String key = Http.newKey("good-team");
        // Both deployments earn the same scores: 0.8 or 1.0, alternating by user.
        JsonNode end = drive(key, "auto-good", "completed", (s, u) -> u % 2 == 0 ? "0.8" : "1.0");
        List<JsonNode> history = new ArrayList<>();
        end.path("history").forEach(history::add);
        assertThat(history).extracting(h -> h.path("kind").asText()).containsSubsequence("start", "auto_promote", "complete");
        JsonNode promote = history.stream().filter(h -> h.path("kind").asText().equals("auto_promote")).findFirst().orElseThrow();
        assertThat(promote.path("actor").asText()).isEqualTo("auto");
        // The judge called every comparison a tie: shadow evidence (per end user) cleared the margin first.
        assertThat(promote.path("reason").asText()).startsWith("non-inferior at 95%").contains("shadow diff 0.000");
        assertThat(history.getLast().path("actor").asText()).isEqualTo("auto");
        assertThat(end.path("open_percent").asInt()).isEqualTo(100);

        // The report: each period with its evidence and what ended it, the open share over time, savings so far.
        JsonNode report = Http.json(Http.get(Http.gateway() + "/admin/migrations/auto-good/report", ADMIN).body());
        assertThat(report.path("object").asText()).isEqualTo("migration_report");
        JsonNode first = report.path("periods").get(0);
        assertThat(first.path("open_percent").asInt()).isEqualTo(50);
        assertThat(first.path("ended_by").path("kind").asText()).isEqualTo("auto_promote");
        assertThat(first.path("ended_by").path("actor").asText()).isEqualTo("auto");
        assertThat(first.path("evidence").path("shadow").path("ties").asLong()).isPositive();
        assertThat(first.path("evidence").path("shadow").path("wins").asLong()).isZero();
        assertThat(first.path("evidence").path("traffic").path("open").path("requests").asLong()).isPositive();
        assertThat(first.path("evidence").path("traffic").path("closed").path("requests").asLong()).isPositive();
        JsonNode lastPeriod = report.path("periods").get(report.path("periods").size() - 1);
        assertThat(lastPeriod.path("status").asText()).isEqualTo("completed");
        assertThat(lastPeriod.path("to").isNull()).isTrue();
        assertThat(report.path("decision_trail").findValuesAsText("kind")).containsSubsequence("start", "auto_promote", "complete");
        assertThat(report.path("next_decision").path("verdict").asText()).isEqualTo("stay");
        long served = 0;
        long open = 0;
        for (JsonNode b : report.path("open_share").path("buckets")) {
            served += b.path("requests").asLong();
            open += b.path("open_requests").asLong();
        }
        assertThat(served).isPositive();
        assertThat(open).isPositive().isLessThan(served + 1);
        // backup (open) is far cheaper than the primary baseline: savings so far are positive.
        assertThat(new java.math.BigDecimal(report.path("savings_usd").asText())).isPositive();
        assertThat(Http.get(Http.gateway() + "/admin/migrations/gpt-test/report", ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void feedbackAloneCanShowAnOpenModelAsGoodAndPromoteIt() throws Exception {
        String key = Http.newKey("feedback-team");
        JsonNode end = drive(key, "auto-feedback", "completed", (s, u) -> u % 2 == 0 ? "0.8" : "1.0");
        JsonNode promote = null;
        for (JsonNode h : end.path("history")) if (h.path("kind").asText().equals("auto_promote")) promote = h;
        assertThat(promote).isNotNull();
        assertThat(promote.path("actor").asText()).isEqualTo("auto");
        // Per end user: each user gave one score, and at least 12 users per side were needed.
        assertThat(promote.path("reason").asText()).startsWith("non-inferior at 95%: feedback diff").contains(" users");
        assertThat(end.path("history").get(end.path("history").size() - 1).path("kind").asText()).isEqualTo("complete");
    }

    @Test
    void anOpenModelWorseThanTheClosedOneRollsItselfBack() throws Exception {
        String key = Http.newKey("bad-team");
        JsonNode end = drive(key, "auto-bad", "rolled_back", (s, u) -> s.deployment().equals("backup")
                ? (u % 2 == 0 ? "0.3" : "0.5") : (u % 2 == 0 ? "0.8" : "1.0"));
        JsonNode last = end.path("history").get(end.path("history").size() - 1);
        assertThat(last.path("kind").asText()).isEqualTo("auto_rollback");
        assertThat(last.path("actor").asText()).isEqualTo("auto");
        assertThat(last.path("reason").asText()).startsWith("feedback inferior");
        assertThat(end.path("open_percent").asInt()).isZero();
        JsonNode report = Http.json(Http.get(Http.gateway() + "/admin/migrations/auto-bad/report", ADMIN).body());
        JsonNode firstPeriod = report.path("periods").get(0);
        assertThat(firstPeriod.path("ended_by").path("kind").asText()).isEqualTo("auto_rollback");
        assertThat(firstPeriod.path("evidence").path("feedback").path("open").path("mean").asDouble()).isLessThan(0.6);
        assertThat(firstPeriod.path("evidence").path("feedback").path("closed").path("mean").asDouble()).isGreaterThan(0.8);
        assertThat(report.path("periods").get(1).path("open_percent").asInt()).isZero();
        // Rolled back means every user is served by the closed deployment again.
        for (int u = 0; u < 10; u++) assertThat(ask(key, "auto-bad", "bad-user-" + u).deployment()).isEqualTo("primary");
    }

    /** Sends batches of new users with one request and one feedback score each until the route reaches {@code status}. */
    private JsonNode drive(String key, String route, String status, BiFunction<Served, Integer, String> score) throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        int user = 0;
        while (Instant.now().isBefore(deadline)) {
            JsonNode m = migration(route);
            if (m.path("status").asText().equals(status)) return m;
            assertThat(m.path("status").asText()).as(route + " " + m).isEqualTo("active");
            List<Served> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++, user++) batch.add(ask(key, route, route + "-user-" + user));
            assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
            for (int i = 0; i < batch.size(); i++) {
                Served s = batch.get(i);
                HttpResponse<String> f = Http.post(Http.gateway() + "/v1/feedback", key,
                        "{\"request_id\":\"" + s.requestId() + "\",\"score\":" + score.apply(s, user - batch.size() + i) + "}");
                assertThat(f.statusCode()).as(f.body()).isEqualTo(200);
            }
            Thread.sleep(300);
        }
        throw new AssertionError(route + " did not reach " + status + ": " + migration(route));
    }
}
