package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fail closed for money: a journal that cannot take records (its bound reached while PostgreSQL is blocked, or a real
 * I/O error creating its next segment) refuses new requests with 503 metering_unavailable before any upstream call,
 * turns readiness DOWN, and serves again by itself as soon as it can write, with no restart. The journal here is
 * small (16 KiB in 4 KiB segments) so that a few dozen requests fill it.
 */
@QuarkusTest
@TestProfile(JournalFailClosedTest.SmallJournal.class)
class JournalFailClosedTest {
    /** A 16 KiB journal of 4 KiB segments. */
    public static class SmallJournal implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.journal-max-bytes", "16384", "gateway.journal-segment-bytes", "4096");
        }
    }

    static final String CHAT = "{\"model\":\"gpt-test\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}";
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Test
    void aFullJournalRefusesRequestsBeforeTheUpstreamUntilSpaceReturnsThenServesByItself() throws Exception {
        String key = Http.newKey("full-team");
        List<String> answered = new ArrayList<>();
        HttpResponse<String> refused = null;
        try (Connection blocker = database.dataSource().getConnection(); Statement s = blocker.createStatement()) {
            // PostgreSQL stops taking usage (the writer waits on the lock), so the journal grows to its bound.
            blocker.setAutoCommit(false);
            s.execute("LOCK TABLE usage_request_ids, usage_events IN ACCESS EXCLUSIVE MODE");
            for (int i = 0; i < 400 && refused == null; i++) {
                HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
                if (r.statusCode() == 200) answered.add(r.headers().firstValue("x-gateway-request-id").orElseThrow());
                else refused = r;
            }
            assertThat(answered).hasSizeGreaterThan(10);
            assertThat(refused).isNotNull();
            assertMeteringUnavailable(refused);

            int upstreamBefore = Http.upstreamStats("model-a").path("requests").asInt();
            for (int i = 0; i < 5; i++) assertMeteringUnavailable(Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT));
            assertThat(Http.upstreamStats("model-a").path("requests").asInt()).as("refused before any upstream call").isEqualTo(upstreamBefore);
            HttpResponse<String> ready = Http.get(Http.gateway() + "/q/health/ready", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("usage-journal").containsPattern("\"accepting_records\"\\s*:\\s*false");
            blocker.rollback(); // space returns as soon as the writer stores what waits
        }
        HttpResponse<String> again = awaitAnswer(key);
        answered.add(again.headers().firstValue("x-gateway-request-id").orElseThrow());
        assertThat(Http.get(Http.gateway() + "/q/health/ready", null).statusCode()).isEqualTo(200);
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(20))).isTrue();
        UsageQueries q = new UsageQueries(database.dataSource());
        for (String id : answered) assertThat(q.byRequestId(id)).as("usage of answered request %s", id).isPresent();
        // Nothing refused left a record: every stored request of the team is an answered one.
        assertThat(q.total(UsageQueries.Filter.all().team("full-team")).requests()).isEqualTo(answered.size());
        assertThat(Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body()).contains("gateway_metering_unavailable_total");
    }

    @Test
    void anIoErrorCreatingTheNextSegmentRefusesRequestsAndTheJournalRecoversOnceTheFaultIsGone() throws Exception {
        String key = Http.newKey("io-team");
        Path dir = metering.journal().directory();
        // The journal's next segment cannot be created: its name is taken by a directory (a fault of the file system).
        Path blocked = dir.resolve(String.format("usage-%016d.seg", lastSegment(dir) + 1));
        Files.createDirectory(blocked);
        HttpResponse<String> refused = null;
        List<String> answered = new ArrayList<>();
        try {
            for (int i = 0; i < 200 && refused == null; i++) {
                HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
                if (r.statusCode() == 200) answered.add(r.headers().firstValue("x-gateway-request-id").orElseThrow());
                else refused = r;
            }
            assertThat(refused).as("the segment rotation fails within a 4 KiB segment").isNotNull();
            // The answer whose record could not be written is withheld: no answer without its usage record.
            assertMeteringUnavailable(refused);
            assertThat(metering.journal().writeFailures()).isPositive();
            Thread.sleep(1200); // probes keep failing while the fault lasts
            int upstreamBefore = Http.upstreamStats("model-a").path("requests").asInt();
            assertMeteringUnavailable(Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT));
            assertThat(Http.upstreamStats("model-a").path("requests").asInt()).isEqualTo(upstreamBefore);
            HttpResponse<String> ready = Http.get(Http.gateway() + "/q/health/ready", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("journal_error");
        } finally {
            Files.deleteIfExists(blocked);
        }
        HttpResponse<String> again = awaitAnswer(key);
        answered.add(again.headers().firstValue("x-gateway-request-id").orElseThrow());
        assertThat(Http.get(Http.gateway() + "/q/health/ready", null).statusCode()).isEqualTo(200);
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(20))).isTrue();
        UsageQueries q = new UsageQueries(database.dataSource());
        for (String id : answered) assertThat(q.byRequestId(id)).as("usage of answered request %s", id).isPresent();
    }

    static void assertMeteringUnavailable(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        var err = Http.json(r.body()).path("error");
        assertThat(err.path("code").asText()).isEqualTo("metering_unavailable");
        assertThat(err.path("type").asText()).isEqualTo("api_error");
        assertThat(r.headers().firstValue("retry-after")).isPresent();
    }

    static HttpResponse<String> awaitAnswer(String key) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        HttpResponse<String> r;
        do {
            r = Http.post(Http.gateway() + "/v1/chat/completions", key, CHAT);
            if (r.statusCode() == 200) return r;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the gateway did not serve again by itself: " + r.statusCode() + " " + r.body());
    }

    private static long lastSegment(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("usage-") && n.endsWith(".seg"))
                    .mapToLong(n -> Long.parseLong(n.substring(6, n.length() - 4))).max().orElseThrow();
        }
    }
}
