package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every failure is an OpenAI-style error with the right status, and bad input never reaches an upstream. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ErrorResponsesTest {
    private String key;

    @BeforeEach
    void setUp() { key = Http.newKey("errors-team"); }

    private HttpResponse<String> chat(String auth, String body) {
        return Http.post(Http.gateway() + "/v1/chat/completions", auth, body);
    }

    private static JsonNode error(HttpResponse<String> r) {
        JsonNode e = Http.json(r.body()).path("error");
        assertThat(e.path("message").asText()).isNotBlank();
        assertThat(e.has("type")).isTrue();
        assertThat(e.has("code")).isTrue();
        assertThat(e.has("param")).isTrue();
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
        return e;
    }

    @Test
    void invalidJsonIsA400AndNeverReachesTheUpstream() {
        int before = Http.upstreamStats("model-a").path("requests").asInt();
        HttpResponse<String> r = chat(key, "{\"model\": \"gpt-test\", ");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(Http.upstreamStats("model-a").path("requests").asInt()).isEqualTo(before);
    }

    @Test
    void wrongTypesNameTheParameter() {
        HttpResponse<String> r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("temperature");

        r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("messages[0].role");

        r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("messages");

        r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).path("param").asText()).isEqualTo("max_tokens");
    }

    @Test
    void missingOrUnknownKeysAre401WithoutEchoingTheKey() {
        HttpResponse<String> r = chat(null, "{}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(error(r).path("code").asText()).isEqualTo("invalid_api_key");
        r = chat("gw-this-is-not-a-real-key", "{}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).doesNotContain("gw-this-is-not-a-real-key");
    }

    @Test
    void unknownModelIs404ModelNotFound() {
        HttpResponse<String> r = chat(key, "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error(r).path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void keyRestrictedToOtherRoutesIs403() {
        String limited = Http.newKey("errors-limited", "claude-test");
        HttpResponse<String> r = chat(limited, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(403);
    }

    @Test
    void bodyOverTheLimitIs413() {
        String big = "x".repeat(70_000);
        HttpResponse<String> r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}");
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(error(r).path("code").asText()).isEqualTo("request_too_large");
    }

    @Test
    void unknownEndpointUnderV1IsAJson404() {
        HttpResponse<String> r = Http.get(Http.gateway() + "/v1/nothing-here", key);
        assertThat(r.statusCode()).isEqualTo(404);
        error(r);
    }

    @Test
    void revokedKeyStopsWorkingImmediately() {
        var created = Http.json(Http.post(Http.gateway() + "/admin/teams/errors-team/keys", GatewayTestResource.ADMIN_KEY, "{}").body());
        String secret = created.path("key").asText();
        String ok = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(chat(secret, ok).statusCode()).isEqualTo(200);
        assertThat(Http.delete(Http.gateway() + "/admin/keys/" + created.path("id").asText(), GatewayTestResource.ADMIN_KEY).statusCode()).isEqualTo(204);
        HttpResponse<String> r = chat(secret, ok);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(error(r).path("message").asText()).contains("revoked");
    }

    @Test
    void requestIdIsEchoedWhenTheClientSendsOne() {
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("x-request-id", "my-trace-123")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
        HttpResponse<String> r = Http.send(req);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-request-id")).contains("my-trace-123");
        assertThat(r.headers().firstValue("x-gateway-request-id").orElseThrow()).startsWith("req_");
        assertThat(r.headers().firstValue("x-gateway-deployment")).contains("primary");
    }

    @Test
    void upstreamCredentialsNeverReachTheClient() {
        Http.script("model-a", "401");
        HttpResponse<String> r = chat(key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).doesNotContain("sk-upstream-secret");
        assertThat(Http.upstreamStats("model-a").path("last_headers").path("authorization").asText())
                .isEqualTo("Bearer sk-upstream-secret-do-not-leak");
    }
}
