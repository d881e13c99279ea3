package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** With gateway.on-journal-failure=serve-unmetered a full journal does not refuse; each unmetered answer is counted. */
@QuarkusTest
@TestProfile(ServeUnmeteredOptionTest.SmallJournalServingUnmetered.class)
class ServeUnmeteredOptionTest {
    /** A 16 KiB journal, and the operator's choice to serve unmetered. */
    public static class SmallJournalServingUnmetered implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.journal-max-bytes", "16384", "gateway.journal-segment-bytes", "4096",
                    "gateway.on-journal-failure", "serve-unmetered");
        }
    }
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Test
    void aFullJournalServesAnswersUnmeteredAndCountsEachOne() throws Exception {
        String key = Http.newKey("unmetered-team");
        try (Connection blocker = database.dataSource().getConnection(); Statement s = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            s.execute("LOCK TABLE usage_request_ids, usage_events IN ACCESS EXCLUSIVE MODE");
            for (int i = 0; i < 120; i++) {
                HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key, JournalFailClosedTest.CHAT);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(metering.journalFull()).isTrue();
            long unmetered = metering.unmeteredAnswers();
            assertThat(unmetered).isPositive();
            HttpResponse<String> ready = Http.get(Http.gateway() + "/q/health/ready", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY);
            assertThat(ready.statusCode()).as("serving unmetered keeps the replica in rotation").isEqualTo(200);
            assertThat(ready.body()).contains("UNMETERED");
            Matcher m = Pattern.compile("(?m)^gateway_unmetered_answers_total(?:\\{[^}]*})? ([0-9.]+)")
                    .matcher(Http.get(Http.gateway() + "/q/metrics", dev.llmgateway.gateway.testing.GatewayTestResource.ADMIN_KEY).body());
            assertThat(m.find()).isTrue();
            assertThat((long) Double.parseDouble(m.group(1))).isEqualTo(unmetered);
            blocker.rollback();
        }
        JournalFailClosedTest.awaitAnswer(key);
        assertThat(metering.writer().awaitDrained(java.time.Duration.ofSeconds(20))).isTrue();
        assertThat(metering.journalFull()).isFalse();
    }
}
