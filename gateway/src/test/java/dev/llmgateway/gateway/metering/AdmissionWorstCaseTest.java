package dev.llmgateway.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The budget reservation covers what the upstream can bill: {@code n} choices, image parts at the provider's documented
 * worst case, tool definitions, and the output limit. Each request is sent twice: once to a team whose hard budget is
 * too small for anything (the 429 says what the gateway would reserve), once to a team without budget while the fake
 * upstream bills its worst case (every choice runs to the limit; images and tools at their documented cost). The
 * reservation must never be below the bill.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class AdmissionWorstCaseTest {
    private static final Pattern WORST = Pattern.compile("may cost up to ([0-9.]+) USD");
    private static final String TINY_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Test
    void theReservationIsNeverBelowWhatTheUpstreamBillsWithChoicesImagesAndTools() throws Exception {
        String broke = Http.newKey("broke-team");
        var put = Http.put(Http.gateway() + "/admin/teams/broke-team/budget", GatewayTestResource.ADMIN_KEY,
                "{\"limit_usd\":\"0.000001\",\"period\":\"monthly\",\"enforcement\":\"hard\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        String rich = Http.newKey("rich-team");
        Random r = new Random(20261128L);
        for (int i = 0; i < 24; i++) {
            boolean anthropic = i % 4 == 3;
            int n = anthropic ? 1 : 1 + r.nextInt(i < 4 ? 128 : 16);
            int images = i % 3 == 0 ? 0 : r.nextInt(4);
            int tools = r.nextInt(4);
            int maxTokens = 1 + r.nextInt(300);
            String field = r.nextBoolean() ? "max_tokens" : "max_completion_tokens";
            String body = request(anthropic ? "claude-test" : "gpt-test", n, images, tools, field, maxTokens, r.nextBoolean() ? maxTokens / 2 + 1 : 0);
            String what = "case " + i + ": n=" + n + " images=" + images + " tools=" + tools + " " + field + "=" + maxTokens;

            HttpResponse<String> refused = Http.post(Http.gateway() + "/v1/chat/completions", broke, body);
            assertThat(refused.statusCode()).as(what + " " + refused.body()).isEqualTo(429);
            Matcher m = WORST.matcher(Http.json(refused.body()).path("error").path("message").asText());
            assertThat(m.find()).as(refused.body()).isTrue();
            BigDecimal reserved = new BigDecimal(m.group(1));

            Http.script(anthropic ? "claude-test" : "model-a", "worst");
            HttpResponse<String> billed = Http.post(Http.gateway() + "/v1/chat/completions", rich, body);
            assertThat(billed.statusCode()).as(what + " " + billed.body()).isEqualTo(200);
            BigDecimal charged = new BigDecimal(billed.headers().firstValue("x-gateway-cost").orElseThrow());
            assertThat(reserved).as(what + ": reserved vs billed").isGreaterThanOrEqualTo(charged);

            UsageEvent e = stored(billed);
            if (!anthropic) {
                assertThat(Http.json(billed.body()).path("choices").size()).as("n is forwarded").isEqualTo(n);
                assertThat(e.completionTokens()).isGreaterThanOrEqualTo((long) n * maxTokens); // each choice ran to the limit
            }
            if (images > 0) assertThat(e.promptTokens()).isGreaterThan(1000L * images);
        }
    }

    @Test
    void aHardBudgetRefusesManyChoicesThatOneChoiceWouldFit() {
        // 50 choices of 100 tokens at $10 per 1M output tokens can cost $0.05; one choice $0.001.
        String key = Http.newKey("choices-team");
        Http.put(Http.gateway() + "/admin/teams/choices-team/budget", GatewayTestResource.ADMIN_KEY,
                "{\"limit_usd\":\"0.01\",\"period\":\"monthly\",\"enforcement\":\"hard\"}");
        int upstreamBefore = Http.upstreamStats("model-a").path("requests").asInt();
        HttpResponse<String> many = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"n\":50,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(many.statusCode()).as(many.body()).isEqualTo(429);
        assertThat(Http.json(many.body()).path("error").path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(Http.upstreamStats("model-a").path("requests").asInt()).isEqualTo(upstreamBefore);
        HttpResponse<String> one = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"gpt-test\",\"n\":1,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    }

    private UsageEvent stored(HttpResponse<?> r) throws InterruptedException {
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        return new UsageQueries(database.dataSource()).byRequestId(id).orElseThrow();
    }

    private static String request(String model, int n, int images, int tools, String maxField, int maxTokens, int otherMax) {
        ObjectNode b = Http.JSON.createObjectNode();
        b.put("model", model);
        if (n > 1) b.put("n", n);
        b.put(maxField, maxTokens);
        // Both limits sent: which one the upstream honours differs, so the larger must be reserved.
        if (otherMax > 0) b.put(maxField.equals("max_tokens") ? "max_completion_tokens" : "max_tokens", otherMax);
        ArrayNode messages = b.putArray("messages");
        ObjectNode user = messages.addObject().put("role", "user");
        if (images == 0) {
            user.put("content", "describe the weather in three words");
        } else {
            ArrayNode parts = user.putArray("content");
            parts.addObject().put("type", "text").put("text", "what is in these pictures");
            for (int i = 0; i < images; i++) {
                parts.addObject().put("type", "image_url").putObject("image_url").put("url", TINY_IMAGE).put("detail", "high");
            }
        }
        if (tools > 0) {
            ArrayNode t = b.putArray("tools");
            for (int i = 0; i < tools; i++) {
                ObjectNode f = t.addObject().put("type", "function").putObject("function");
                f.put("name", "tool_" + i).put("description", "looks something up");
                f.putObject("parameters").put("type", "object").putObject("properties").putObject("q").put("type", "string");
            }
        }
        return b.toString();
    }
}
