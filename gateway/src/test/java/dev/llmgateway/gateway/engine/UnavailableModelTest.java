package dev.llmgateway.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway always starts: an embedded deployment whose model is missing, corrupt or not downloadable is
 * unavailable (503 model_unavailable with the reason, fallbacks used, shown in health and /admin/deployments) while
 * every other route serves, the real embedded model included.
 */
@QuarkusTest
@QuarkusTestResource(value = UnavailableModelsResource.class, restrictToAnnotatedClass = true)
class UnavailableModelTest {
    private String key;

    @BeforeEach
    void setUp() {
        key = Http.newKey("unavailable-models-team");
    }

    private HttpResponse<String> chat(String route) {
        return Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + route + "\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private static JsonNode error(HttpResponse<String> r) {
        return Http.json(r.body()).path("error");
    }

    @Test
    void aMissingModelAnswers503ModelUnavailableNamingTheFile() {
        HttpResponse<String> r = chat("missing-route");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(error(r).path("code").asText()).isEqualTo("model_unavailable");
        assertThat(error(r).path("type").asText()).isEqualTo("api_error");
        assertThat(error(r).path("message").asText()).contains("deployment 'missing' is unavailable").contains("no-such-model.gguf");
        assertThat(r.headers().firstValue("retry-after")).isPresent();
    }

    @Test
    void aCorruptModelAnswers503ModelUnavailable() {
        HttpResponse<String> r = chat("corrupt-route");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(error(r).path("code").asText()).isEqualTo("model_unavailable");
        assertThat(error(r).path("message").asText()).contains("deployment 'corrupt' is unavailable").contains("corrupt.gguf");
    }

    @Test
    void aModelThatCannotBeDownloadedAnswers503ModelUnavailableWithTheDownloadError() {
        // The download runs in the background: the deployment is "preparing" first, then unavailable with the error.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        HttpResponse<String> r = chat("pinned-route");
        while (!error(r).path("message").asText().contains("cannot download") && Instant.now().isBefore(deadline)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(error(r).path("code").asText()).isEqualTo("model_unavailable");
            sleep(200);
            r = chat("pinned-route");
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(error(r).path("code").asText()).isEqualTo("model_unavailable");
        assertThat(error(r).path("message").asText()).contains("deployment 'pinned' is unavailable")
                .contains("cannot download llm-gateway-tests/no-such-repository/none.gguf");
    }

    @Test
    void fallbacksAreUsedAndEveryOtherRouteServesIncludingTheRealEmbeddedModel() {
        HttpResponse<String> viaFallback = chat("missing-with-fallback");
        assertThat(viaFallback.statusCode()).as(viaFallback.body()).isEqualTo(200);
        assertThat(viaFallback.headers().firstValue("x-gateway-deployment")).contains("remote");

        HttpResponse<String> tiny = chat("tiny-route");
        assertThat(tiny.statusCode()).as(tiny.body()).isEqualTo(200);
        assertThat(Http.json(tiny.body()).path("usage").path("completion_tokens").asInt()).isBetween(1, 3);

        HttpResponse<String> remote = chat("remote-route");
        assertThat(remote.statusCode()).as(remote.body()).isEqualTo(200);
    }

    @Test
    void anUnavailableModelNeverOpensTheCircuit() {
        for (int i = 0; i < 30; i++) assertThat(chat("missing-route").statusCode()).isEqualTo(503);
        HttpResponse<String> r = chat("missing-route");
        assertThat(error(r).path("code").asText()).isEqualTo("model_unavailable");
    }

    @Test
    void adminDeploymentsAndHealthShowWhichModelsAreUnavailableAndWhy() {
        JsonNode list = Http.json(Http.get(Http.gateway() + "/admin/deployments", GatewayTestResource.ADMIN_KEY).body());
        Map<String, JsonNode> byName = new HashMap<>();
        list.path("data").forEach(d -> byName.put(d.path("name").asText(), d));
        assertThat(byName.get("tiny").path("available").asBoolean()).isTrue();
        assertThat(byName.get("tiny").path("engine").path("state").asText()).isEqualTo("ready");
        assertThat(byName.get("remote").path("available").asBoolean()).isTrue();
        assertThat(byName.get("missing").path("available").asBoolean()).isFalse();
        assertThat(byName.get("missing").path("engine").path("state").asText()).isEqualTo("unavailable");
        assertThat(byName.get("missing").path("engine").path("reason").asText()).contains("no-such-model.gguf");
        assertThat(byName.get("corrupt").path("available").asBoolean()).isFalse();
        assertThat(byName.get("pinned").path("available").asBoolean()).isFalse();
        assertThat(byName.get("pinned").path("engine").path("state").asText()).isIn("preparing", "unavailable");

        HttpResponse<String> health = Http.get(Http.gateway() + "/q/health", GatewayTestResource.ADMIN_KEY);
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        JsonNode engine = null;
        for (JsonNode c : Http.json(health.body()).path("checks")) if (c.path("name").asText().equals("engine")) engine = c;
        assertThat(engine).as(health.body()).isNotNull();
        assertThat(engine.path("status").asText()).isEqualTo("UP");
        assertThat(engine.path("data").path("missing").asText()).startsWith("unavailable: ").contains("no-such-model.gguf");
        assertThat(engine.path("data").path("tiny").asText()).doesNotContain("unavailable");
        assertThat(engine.path("data").path("unavailable").asText().split(",")).contains("missing", "corrupt");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
