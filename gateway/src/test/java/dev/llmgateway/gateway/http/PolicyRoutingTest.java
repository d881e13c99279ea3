package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Policies from gateway.yaml decide per request, and the decision is explained in the response headers. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class PolicyRoutingTest {
    private static final String BODY = "{\"model\":\"%s\",\"user\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static HttpResponse<String> chat(String key, String route, String user, String task) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Http.gateway() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(route, user)));
        if (task != null) b.header("x-gateway-task", task);
        return Http.send(b.build());
    }

    @Test
    void costQualityPicksTheCheapestDeploymentThatMeetsTheFloorForTheTask() {
        String key = Http.newKey("policy-team");
        HttpResponse<String> general = chat(key, "quality-test", "u1", null);
        assertThat(general.headers().firstValue("x-gateway-deployment")).contains("backup");
        assertThat(general.headers().firstValue("x-gateway-policy")).contains("cost_quality");
        assertThat(general.headers().firstValue("x-gateway-route-reason")).contains("cost_quality:cheapest_meeting_quality");
        HttpResponse<String> code = chat(key, "quality-test", "u1", "code");
        assertThat(code.headers().firstValue("x-gateway-deployment")).as("backup's code quality 0.5 is below the 0.7 floor").contains("primary");
    }

    @Test
    void weightedSplitIsStickyPerUser() {
        String key = Http.newKey("weighted-team");
        Set<String> seen = new HashSet<>();
        for (int u = 0; u < 30; u++) {
            String first = chat(key, "weighted-test", "user-" + u, null).headers().firstValue("x-gateway-deployment").orElseThrow();
            String again = chat(key, "weighted-test", "user-" + u, null).headers().firstValue("x-gateway-deployment").orElseThrow();
            assertThat(again).isEqualTo(first);
            seen.add(first);
        }
        assertThat(seen).containsExactlyInAnyOrder("primary", "backup");
        assertThat(chat(key, "weighted-test", "user-0", null).headers().firstValue("x-gateway-route-reason")).contains("weighted:split");
    }

    @Test
    void everyAnswerSaysWhyItWasRoutedInAShortToken() {
        String key = Http.newKey("reason-team");
        assertThat(chat(key, "smart-test", "u1", null).headers().firstValue("x-gateway-route-reason").orElseThrow())
                .isIn("complexity:strong", "complexity:weak");
        assertThat(chat(key, "migrate-reason", "u1", null).headers().firstValue("x-gateway-route-reason").orElseThrow())
                .isIn("migration:canary", "migration:baseline");
        assertThat(chat(key, "downgrade-test", "u1", null).headers().firstValue("x-gateway-route-reason"))
                .as("no budget: the policy decides").contains("fixed");
    }
}
