package dev.llmgateway.gateway.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.ShadowStore;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Shadow traffic is mirrored off the client's path and kept for comparison; closed-model answers are captured. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ShadowAndCaptureTest {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.metering.ShadowStore shadows;

    private Optional<ShadowStore.StoredPair> pairOf(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ShadowStore.StoredPair> p = shadows.find(id);
            if (p.isPresent()) return p;
            Thread.sleep(50);
        }
        return Optional.empty();
    }

    @Test
    void shadowGetsTheSameRequestAndBothOutputsAreStoredAndMetered() throws Exception {
        String key = Http.newKey("shadow-team");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"shadow-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello shadow world\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("primary");
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();

        ShadowStore.StoredPair pair = pairOf(id).orElseThrow(() -> new AssertionError("no shadow pair for " + id));
        assertThat(pair.pair().primaryOutput()).isEqualTo("Hello from model-a you said 3 words");
        assertThat(pair.pair().shadowOutput()).isEqualTo("Hello from model-b you said 3 words");
        assertThat(pair.pair().shadowDeployment()).isEqualTo("backup");
        assertThat(Http.upstreamStats("model-b").path("last_body").path("stream").asBoolean()).isFalse();

        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        var shadowUsage = new UsageQueries(database.dataSource()).byRequestId(id + "-shadow").orElseThrow();
        assertThat(shadowUsage.shadow()).isTrue();
        assertThat(shadowUsage.deployment()).isEqualTo("backup");
    }

    private Optional<ShadowStore.StoredPair> judgedPairOf(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Optional<ShadowStore.StoredPair> p = Optional.empty();
        while (System.nanoTime() < deadline) {
            p = shadows.find(id);
            if (p.isPresent() && p.get().judgement().isPresent()) return p;
            Thread.sleep(50);
        }
        return p;
    }

    @Test
    void theJudgeComparesShadowAndPrimaryUnderItsDailySpendCap() throws Exception {
        String key = Http.newKey("judge-team");
        String body = "{\"model\":\"shadow-test\",\"messages\":[{\"role\":\"user\",\"content\":\"which is better\"}]}";
        Http.script("judge", "say:TIE");
        String tie = Http.post(Http.gateway() + "/v1/chat/completions", key, body).headers().firstValue("x-gateway-request-id").orElseThrow();
        var j = judgedPairOf(tie).orElseThrow().judgement().orElseThrow();
        assertThat(j.verdict().name()).isEqualTo("TIE");
        assertThat(j.judgeDeployment()).isEqualTo("judge");
        assertThat(j.judgeCostMicros()).isPositive();
        // The judge saw the question and both answers.
        String prompt = Http.upstreamStats("judge").path("last_body").path("messages").get(1).path("content").asText();
        assertThat(prompt).contains("which is better").contains("Hello from model-a").contains("Hello from model-b");

        Http.script("judge", "say:A");
        String a = Http.post(Http.gateway() + "/v1/chat/completions", key, body).headers().firstValue("x-gateway-request-id").orElseThrow();
        var ja = judgedPairOf(a).orElseThrow().judgement().orElseThrow();
        assertThat(ja.verdict().name()).isEqualTo(ja.reason().contains("shadow shown as A") ? "WIN" : "LOSS");

        // The judge costs about 50 micro-USD a call against a cap of 400: within a few more calls it stops judging.
        boolean stopped = false;
        for (int i = 0; i < 20 && !stopped; i++) {
            Http.script("judge", "say:TIE");
            String id = Http.post(Http.gateway() + "/v1/chat/completions", key, body).headers().firstValue("x-gateway-request-id").orElseThrow();
            Thread.sleep(300);
            var pair = judgedPairOf(id);
            stopped = pair.isPresent() && pair.get().judgement().isEmpty();
        }
        assertThat(stopped).as("the judge stops once its daily cap is spent").isTrue();
    }

    @Test
    void aFailingShadowNeverTouchesTheClientsAnswer() throws Exception {
        String key = Http.newKey("shadow-team-2");
        Http.script("model-b", "500");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"shadow-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        ShadowStore.StoredPair pair = pairOf(r.headers().firstValue("x-gateway-request-id").orElseThrow()).orElseThrow();
        assertThat(pair.pair().shadowStatus().name()).isEqualTo("ERROR");
    }

    @Test
    void closedModelAnswersAreCapturedRedactedAndExportedAsFineTuningJsonl() throws Exception {
        String key = Http.newKey("capture-team");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"shadow-test\",\"messages\":[{\"role\":\"system\",\"content\":\"be kind\"},"
                        + "{\"role\":\"user\",\"content\":\"mail me at jane.doe@example.com please\"}]}");
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        String admin = GatewayTestResource.ADMIN_KEY;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String jsonl = "";
        while (System.nanoTime() < deadline && !jsonl.contains("Hello from model-a you said 7 words")) {
            jsonl = Http.get(Http.gateway() + "/admin/datasets/support-data/export", admin).body();
            Thread.sleep(50);
        }
        List<String> lines = jsonl.lines().filter(l -> l.contains("Hello from model-a you said 7 words")).toList();
        assertThat(lines).as("export was: %s", jsonl).hasSize(1);
        JsonNode msgs = Http.json(lines.get(0)).path("messages");
        assertThat(msgs.get(0).path("role").asText()).isEqualTo("system");
        assertThat(msgs.get(1).path("content").asText()).doesNotContain("jane.doe@example.com").contains("[EMAIL]");
        assertThat(msgs.get(2).path("role").asText()).isEqualTo("assistant");
        assertThat(jsonl).doesNotContain("jane.doe");
        assertThat(Http.get(Http.gateway() + "/admin/datasets/nope/export", admin).statusCode()).isEqualTo(404);
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/datasets", admin).body()).path("data").get(0).path("name").asText())
                .isEqualTo("support-data");
        assertThat(id).isNotBlank();
    }
}
