package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** What an operator needs: deployment health, configuration validation and reload, OpenAPI, health checks. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class OperatorApiTest {
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;

    @Test
    void deploymentsShowCircuitStateAndRecentTraffic() throws Exception {
        String key = Http.newKey("ops-team");
        Http.post(Http.gateway() + "/v1/chat/completions", key, "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        Thread.sleep(1500);
        JsonNode list = Http.json(Http.get(Http.gateway() + "/admin/deployments", ADMIN).body()).path("data");
        JsonNode primary = null;
        JsonNode tiny = null;
        for (JsonNode d : list) {
            if (d.path("name").asText().equals("primary")) primary = d;
            if (d.path("name").asText().equals("tiny")) tiny = d;
        }
        assertThat(primary).isNotNull();
        assertThat(primary.path("circuit").asText()).isIn("closed", "half_open", "open");
        assertThat(primary.path("recent").path("requests").asLong()).isPositive();
        assertThat(primary.path("prices_usd_per_1m").path("input").asText()).isEqualTo("2.50");
        assertThat(tiny.path("engine").path("slots").asInt()).isEqualTo(1);
        assertThat(Http.get(Http.gateway() + "/admin/deployments", null).statusCode()).isEqualTo(401);
    }

    @Test
    void configurationIsShownWithoutSecrets() {
        String body = Http.get(Http.gateway() + "/admin/config", ADMIN).body();
        assertThat(body).contains("\"fake-openai\"").contains("\"api_key_set\":true").doesNotContain("sk-upstream-secret");
        assertThat(Http.json(body).path("routes").path("migrate-test").path("policy").asText()).isEqualTo("migration");
    }

    @Test
    void invalidConfigurationIsRejectedWithItsPathAndChangesNothing() {
        HttpResponse<String> r = send("/admin/config/validate", """
                providers: {p: {type: openai-compatible, base_url: "http://127.0.0.1:9/v1"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d, fallbacks: [ghost]}}
                """);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r.body()).path("error").path("message").asText()).contains("routes.r.fallbacks[0]: unknown deployment 'ghost'");
        HttpResponse<String> ok = send("/admin/config/validate", """
                providers: {p: {type: openai-compatible, base_url: "http://127.0.0.1:9/v1"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d}}
                """);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(Http.json(ok.body()).path("valid").asBoolean()).isTrue();
        assertThat(Http.get(Http.gateway() + "/admin/config", ADMIN).body()).doesNotContain("\"r\"");
    }

    @Test
    void reloadAppliesAChangedFileWithoutRestartAndRefusesABrokenOne() throws Exception {
        Path file = Path.of(ConfigProvider.getConfig().getValue("gateway.config", String.class));
        String original = Files.readString(file);
        String key = Http.newKey("reload-team");
        String chat = "{\"model\":\"added-route\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try {
            assertThat(Http.post(Http.gateway() + "/v1/chat/completions", key, chat).statusCode()).isEqualTo(404);
            Files.writeString(file, original.replace("routes:\n", "routes:\n  added-route:\n    deployment: backup\n"));
            HttpResponse<String> r = Http.post(Http.gateway() + "/admin/config/reload", ADMIN, "");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            HttpResponse<String> served = Http.post(Http.gateway() + "/v1/chat/completions", key, chat);
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.headers().firstValue("x-gateway-deployment")).contains("backup");

            Files.writeString(file, original.replace("routes:\n", "routes:\n  broken:\n    deployment: nowhere\n"));
            HttpResponse<String> refused = Http.post(Http.gateway() + "/admin/config/reload", ADMIN, "");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(Http.json(refused.body()).path("error").path("message").asText()).contains("routes.broken.deployment: unknown deployment 'nowhere'");
            assertThat(Http.post(Http.gateway() + "/v1/chat/completions", key, chat).statusCode()).as("the running config is kept").isEqualTo(200);
        } finally {
            Files.writeString(file, original);
            Http.post(Http.gateway() + "/admin/config/reload", ADMIN, "");
        }
    }

    @Test
    void openApiDocumentsTheAdminAndV1ApisAndHealthReportsEveryCheckToTheAdminOnly() {
        String openapi = Http.get(Http.gateway() + "/q/openapi", ADMIN).body();
        assertThat(openapi).contains("/admin/teams").contains("/v1/chat/completions").contains("/admin/migrations");
        assertThat(Http.get(Http.gateway() + "/q/openapi", null).statusCode()).isEqualTo(401);
        assertThat(Http.get(Http.gateway() + "/q/swagger-ui/", ADMIN).statusCode()).as("Swagger UI is off unless enabled").isEqualTo(404);
        String health = Http.get(Http.gateway() + "/q/health", ADMIN).body();
        assertThat(health).contains("\"database\"").contains("\"usage-journal\"").contains("\"engine\"");
        assertThat(Http.get(Http.gateway() + "/q/health", null).statusCode()).isEqualTo(401);
        var ready = Http.get(Http.gateway() + "/q/health/ready", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).as("public probes carry no details").isEqualTo("{\"status\":\"UP\"}");
        assertThat(Http.get(Http.gateway() + "/q/health/live", null).body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(Http.get(Http.gateway() + "/q/health/ready", ADMIN).body()).as("the admin sees the details").contains("\"usage-journal\"");
    }

    private static HttpResponse<String> send(String path, String yaml) {
        return Http.send(HttpRequest.newBuilder(URI.create(Http.gateway() + path)).header("authorization", "Bearer " + ADMIN)
                .header("content-type", "application/yaml").POST(HttpRequest.BodyPublishers.ofString(yaml)).build());
    }
}
