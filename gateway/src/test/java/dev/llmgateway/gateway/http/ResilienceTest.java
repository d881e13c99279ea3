package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retries, Retry-After, fallbacks, the circuit breaker, timeouts and broken streams, against injected upstream faults. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ResilienceTest {
    private String key;

    @BeforeEach
    void setUp() { key = Http.newKey("resilience-team"); }

    private HttpResponse<String> chat(String route, boolean stream) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + route + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
    }

    @Test
    void fallsBackToTheNextDeploymentAfterUpstream500s() {
        Http.script("model-a", "500", "500");
        HttpResponse<String> r = chat("gpt-test", false);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("backup");
        assertThat(r.headers().firstValue("x-gateway-attempts")).contains("primary:500,primary:500,backup:200");
        assertThat(Http.json(r.body()).path("choices").path(0).path("message").path("content").asText()).contains("model-b");
    }

    @Test
    void retriesTheSameDeploymentAfterRetryAfterAndSucceeds() {
        Http.script("retrying", "429:1", "503");
        long start = System.nanoTime();
        HttpResponse<String> r = chat("retry-route", false);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-attempts")).contains("retrying:429,retrying:503,retrying:200");
        assertThat(ms).as("waited the upstream's Retry-After of 1 s").isGreaterThanOrEqualTo(1000);
    }

    @Test
    void clientErrorsFromTheUpstreamAreNotRetriedOrFallenBack() {
        int before = Http.upstreamStats("model-b").path("requests").asInt();
        Http.script("model-a", "400");
        HttpResponse<String> r = chat("gpt-test", false);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r.body()).path("error").path("code").asText()).isEqualTo("upstream_rejected_request");
        assertThat(Http.upstreamStats("model-b").path("requests").asInt()).isEqualTo(before);
    }

    @Test
    void circuitOpensAfterRepeatedFailuresAndThenFailsFastWithoutCallingTheUpstream() {
        Http.script("flaky", "500", "500", "500", "500", "500", "500");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) statuses.add(chat("flaky-route", false).statusCode());
        assertThat(statuses).containsOnly(502);
        int calls = Http.upstreamStats("flaky").path("requests").asInt();
        HttpResponse<String> r = chat("flaky-route", false);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("x-gateway-attempts")).contains("flaky:circuit_open");
        assertThat(Http.upstreamStats("flaky").path("requests").asInt()).isEqualTo(calls);
    }

    @Test
    void anUpstreamThatNeverAnswersTimesOutWith504() {
        Http.script("slow", "hang");
        HttpResponse<String> r = chat("slow-route", false);
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(Http.json(r.body()).path("error").path("code").asText()).isEqualTo("upstream_timeout");
    }

    @Test
    void malformedUpstreamJsonIsA502() {
        Http.script("slow", "malformed");
        HttpResponse<String> r = chat("slow-route", false);
        assertThat(r.statusCode()).isEqualTo(502);
    }

    @Test
    void disconnectBeforeTheBodyFallsBackLikeAnyConnectionError() {
        Http.script("model-a", "disconnect", "disconnect");
        HttpResponse<String> r = chat("gpt-test", false);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("backup");
    }

    @Test
    void streamBrokenMidwayEndsWithAnErrorEventAndNoDone() {
        Http.script("slow", "disconnect");
        HttpResponse<String> r = chat("slow-route", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"error\"").doesNotContain("[DONE]");
        Http.script("slow", "stream-error");
        r = chat("slow-route", true);
        assertThat(r.body()).contains("injected mid-stream error").doesNotContain("[DONE]");
    }

    @Test
    void streamFailingBeforeItStartsFallsBack() {
        Http.script("model-a", "500", "500");
        HttpResponse<String> r = chat("gpt-test", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(r.body()).contains("model-b").endsWith("data: [DONE]\n\n");
    }

    @Test
    void clientDisconnectCancelsTheUpstreamStream() throws Exception {
        Http.script("slow", "hang");
        int abortedBefore = Http.upstreamStats("slow").path("aborted").asInt();
        var client = java.net.http.HttpClient.newHttpClient();
        var req = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"slow-route\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build();
        HttpResponse<java.io.InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8));
        String first = reader.readLine();
        assertThat(first).isNotNull();
        resp.body().close();
        client.shutdownNow();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (Http.upstreamStats("slow").path("aborted").asInt() == abortedBefore && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Http.upstreamStats("slow").path("aborted").asInt()).isGreaterThan(abortedBefore);
    }
}
