package dev.llmgateway.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.gateway.testing.LeakCheck;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Secret-echo attempts against every surface that could carry one. Each answer also passes {@link LeakCheck} (as every
 * answer in the suite does); here the assertions say what the answer shows instead.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class NoSecretLeaksTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    private static final String ENV_SECRET = System.getenv("GATEWAY_TEST_ENV_SECRET");

    private static HttpResponse<String> validate(String yaml) {
        return Http.send(HttpRequest.newBuilder(URI.create(Http.gateway() + "/admin/config/validate")).header("authorization", "Bearer " + ADMIN)
                .header("content-type", "application/yaml").POST(HttpRequest.BodyPublishers.ofString(yaml)).build());
    }

    @Test
    void configValidationShowsSubstitutedValuesAsTheVariableName() {
        assertThat(ENV_SECRET).as("set by the surefire configuration").isNotBlank();
        HttpResponse<String> refused = validate("""
                providers: {p: {type: openai-compatible, base_url: "${GATEWAY_TEST_ENV_SECRET}"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d}}
                """);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).doesNotContain(ENV_SECRET).contains("${GATEWAY_TEST_ENV_SECRET}");

        HttpResponse<String> unknownValue = validate("""
                providers: {p: {type: "${GATEWAY_TEST_ENV_SECRET}"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d}}
                """);
        assertThat(unknownValue.statusCode()).isEqualTo(400);
        assertThat(unknownValue.body()).doesNotContain(ENV_SECRET).contains("${GATEWAY_TEST_ENV_SECRET}");

        HttpResponse<String> accepted = validate("""
                providers: {p: {type: openai-compatible, base_url: "http://models.internal/${GATEWAY_TEST_ENV_SECRET}/v1"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d}}
                """);
        assertThat(accepted.statusCode()).isEqualTo(200);
        assertThat(accepted.body()).doesNotContain(ENV_SECRET).contains("http://models.internal/${GATEWAY_TEST_ENV_SECRET}/v1");
    }

    @Test
    void anUpstreamThatEchoesTheProviderKeyIsScrubbedButKeepsStatusTypeAndCode() {
        String key = Http.newKey("leak-team");
        Http.script("retrying", "401-echo-key");
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"retry-route\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(502);
        var error = Http.json(r.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("upstream_auth_failed");
        assertThat(error.path("message").asText()).contains("401").contains("[redacted]")
                .contains("type invalid_request_error").contains("code invalid_api_key")
                .doesNotContain("sk-upstream").doesNotContain("****");

        Http.script("claude-test", "401-echo-key");
        HttpResponse<String> a = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"claude-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(a.statusCode()).isEqualTo(502);
        assertThat(a.body()).doesNotContain("ant-upstream").contains("[redacted]");
    }

    @Test
    void operatorSurfacesShowNoConfiguredSecret() {
        long before = LeakCheck.checked();
        for (String path : new String[] {"/admin/config", "/q/health", "/q/metrics", "/admin/deployments", "/q/openapi"}) {
            assertThat(Http.get(Http.gateway() + path, ADMIN).statusCode()).as(path).isEqualTo(200);
        }
        assertThat(Http.get(Http.gateway() + "/admin/config", ADMIN).body()).contains("\"api_key_set\":true");
        assertThat(LeakCheck.checked()).as("every answer went through the leak check").isGreaterThanOrEqualTo(before + 6);
    }

    @Test
    void theLeakCheckItselfFindsSecretsAndTheirFragments() {
        assertThat(LeakCheck.leaks("all fine here")).isEmpty();
        assertThat(LeakCheck.leaks("key: " + ADMIN)).isNotEmpty();
        assertThat(LeakCheck.leaks("...tail " + ADMIN.substring(20, 32))).isNotEmpty();
        assertThat(LeakCheck.leaks("Received: sk-upstream-secret-do-not-leak")).isNotEmpty();
    }
}
