package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.RoutingCalibrationStore;
import dev.llmgateway.routing.ComplexityCalibrator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What routing learns from stored traffic: output lengths for cost_quality, complexity calibration across replicas. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class RoutingLearnedFromTrafficTest {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.runtime.RoutingCalibration calibration;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;

    private static HttpResponse<String> chat(String key, String model) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"tell me about the sea\"}]}");
    }

    @Test
    void costQualityWithoutMaxTokensPricesEachDeploymentAtItsObservedOutputLength() throws Exception {
        String key = Http.newKey("output-team");
        // Nothing observed: without max_tokens only input is priced, and chatty's input is the cheaper.
        calibration.refreshOutputTokens();
        assertThat(chat(key, "output-test").headers().firstValue("x-gateway-deployment")).contains("chatty");

        // chatty turns out to write 400 words per answer; its output price (20.00 vs 1.00) now dominates.
        String words = "wave ".repeat(400).trim();
        String[] steps = new String[25];
        java.util.Arrays.fill(steps, "say:" + words);
        Http.script("chatty", steps);
        for (int i = 0; i < 25; i++) assertThat(chat(key, "chatty-direct").statusCode()).isEqualTo(200);
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        calibration.refreshOutputTokens();
        assertThat(calibration.outputTokens().meanOutputTokens("chatty").orElseThrow()).isGreaterThan(300);
        assertThat(chat(key, "output-test").headers().firstValue("x-gateway-deployment")).contains("terse");
    }

    @Test
    void complexityCalibrationIsSharedWithOtherReplicasAndSurvivesAReload() {
        String key = Http.newKey("smart-team");
        for (int i = 0; i < 5; i++) assertThat(chat(key, "smart-test").statusCode()).isEqualTo(200);
        ComplexityCalibrator before = snapshots.current().router().calibrator("smart-test").orElseThrow();
        int seen = before.samples();
        assertThat(seen).isGreaterThanOrEqualTo(5);

        // Another replica published 800 scores near the top of the scale.
        int[] other = new int[ComplexityCalibrator.BINS];
        other[1000] = 800;
        new RoutingCalibrationStore(database.dataSource()).publish("smart-test", "another-replica", other, Instant.now());
        calibration.shareNow();
        assertThat(before.sharedSamples()).isEqualTo(seen + 800L);
        // 30% of 800+ scores are all in the other replica's top bin: the cut sits there.
        assertThat(before.threshold().orElseThrow()).isGreaterThan(0.9);

        // A reload builds a new router; its calibrator starts from the old window, not from nothing.
        assertThat(Http.post(Http.gateway() + "/admin/config/reload", GatewayTestResource.ADMIN_KEY, "").statusCode()).isEqualTo(200);
        ComplexityCalibrator after = snapshots.current().router().calibrator("smart-test").orElseThrow();
        assertThat(after).isNotSameAs(before);
        assertThat(after.samples()).isEqualTo(before.samples());
        assertThat(after.sharedSamples()).isEqualTo(before.samples() + 800L);
    }
}
