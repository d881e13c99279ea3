package dev.llmgateway.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The response cache through the running gateway, with the fake upstream counting the requests it receives: a repeated
 * deterministic request on a cached route is a hit that never reaches the upstream, metered at provider cost 0.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ResponseCacheThroughGatewayTest {
    private static final String CHAT = Http.gateway() + "/v1/chat/completions";

    private static int upstreamRequests(String model) { return Http.upstreamStats(model).path("requests").asInt(); }

    private static String body(String route, String text, String extra) {
        return "{\"model\":\"" + route + "\"" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    private static String cacheHeader(HttpResponse<String> r) { return r.headers().firstValue("x-gateway-cache").orElse(null); }

    private static JsonNode awaitUsage(HttpResponse<String> r) throws InterruptedException {
        String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> u = Http.get(Http.gateway() + "/admin/usage/" + id, GatewayTestResource.ADMIN_KEY);
            if (u.statusCode() == 200) return Http.json(u.body());
            Thread.sleep(100);
        }
        throw new AssertionError("no usage record for " + id);
    }

    @Test
    void aRepeatedDeterministicRequestIsAHitThatNeverReachesTheUpstreamAndCostsNothing() throws Exception {
        String key = Http.newKey("cache-team");
        String req = body("cached-test", "what are your opening hours", ",\"temperature\":0");
        int before = upstreamRequests("cacheable");

        HttpResponse<String> first = Http.post(CHAT, key, req);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(cacheHeader(first)).isEqualTo("miss");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 1);

        // same request, keys in another order and another end user: still the same normalized request
        HttpResponse<String> second = Http.post(CHAT, key, "{\"temperature\":0,\"user\":\"someone-else\","
                + "\"messages\":[{\"content\":\"what are your opening hours\",\"role\":\"user\"}],\"model\":\"cached-test\"}");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(cacheHeader(second)).isEqualTo("hit");
        assertThat(Http.json(second.body())).isEqualTo(Http.json(first.body()));
        assertThat(second.headers().firstValue("x-gateway-deployment")).contains("cacheable");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 1);

        JsonNode missUsage = awaitUsage(first), hitUsage = awaitUsage(second);
        assertThat(missUsage.path("cache_hit").asBoolean()).isFalse();
        assertThat(new BigDecimal(missUsage.path("provider_cost_usd").asText())).isPositive();
        assertThat(hitUsage.path("cache_hit").asBoolean()).isTrue();
        assertThat(new BigDecimal(hitUsage.path("provider_cost_usd").asText())).isZero();
        assertThat(new BigDecimal(hitUsage.path("team_charge_usd").asText())).isZero(); // team_charge defaults to none
        assertThat(hitUsage.path("cache_saved_usd").asText()).isEqualTo(missUsage.path("provider_cost_usd").asText());
        assertThat(hitUsage.path("prompt_tokens").asLong()).isEqualTo(missUsage.path("prompt_tokens").asLong());
        assertThat(hitUsage.path("completion_tokens").asLong()).isEqualTo(missUsage.path("completion_tokens").asLong());
        assertThat(second.headers().firstValue("x-gateway-cost").map(BigDecimal::new).orElseThrow()).isZero();

        JsonNode savings = Http.json(Http.get(Http.gateway() + "/admin/savings?team=cache-team&route=cached-test",
                GatewayTestResource.ADMIN_KEY).body());
        assertThat(savings.path("cache_hits").asLong()).isEqualTo(1);
        assertThat(savings.path("cache_saved_usd").asText()).isEqualTo(missUsage.path("provider_cost_usd").asText());
    }

    @Test
    void nonDeterministicRequestsAndOtherTeamsMiss() {
        String key = Http.newKey("cache-team-a");
        String other = Http.newKey("cache-team-b");
        int before = upstreamRequests("cacheable");
        String sampled = body("cached-test", "tell me a story", "");
        assertThat(cacheHeader(Http.post(CHAT, key, sampled))).isEqualTo("miss");
        assertThat(cacheHeader(Http.post(CHAT, key, sampled))).isEqualTo("miss");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 2);

        String seeded = body("cached-test", "tell me a story", ",\"temperature\":0.7,\"seed\":42");
        assertThat(cacheHeader(Http.post(CHAT, key, seeded))).isEqualTo("miss");
        assertThat(cacheHeader(Http.post(CHAT, other, seeded))).isEqualTo("miss"); // another team never sees it
        assertThat(cacheHeader(Http.post(CHAT, key, seeded))).isEqualTo("hit");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 4);

        // a route without cache: no header at all
        assertThat(Http.post(CHAT, key, body("gpt-test", "hello", ",\"temperature\":0")).headers().firstValue("x-gateway-cache")).isEmpty();
    }

    @Test
    void aStreamedAnswerIsReplayedFromTheCacheThroughTheOpenAiSdk() {
        String key = Http.newKey("cache-stream-team");
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("cached-test")
                .addUserMessage("stream me four words").temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        int before = upstreamRequests("cacheable");
        String[] texts = new String[2];
        long[] usage = {-1, -1};
        int[] chunks = {0, 0};
        for (int i = 0; i < 2; i++) {
            StringBuilder text = new StringBuilder();
            int n = i;
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
                s.stream().forEach(chunk -> {
                    chunks[n]++;
                    chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                    chunk.usage().ifPresent(u -> usage[n] = u.completionTokens());
                });
            }
            texts[i] = text.toString();
        }
        assertThat(texts[0]).isEqualTo("Hello from cacheable you said 4 words");
        assertThat(texts[1]).isEqualTo(texts[0]);
        assertThat(chunks[1]).isEqualTo(chunks[0]).isGreaterThan(5);
        assertThat(usage[1]).isEqualTo(usage[0]).isEqualTo(7);
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 1);

        // the same request as raw SSE: a hit, ending in [DONE]; a non-streamed request is cached apart (a miss first)
        String sse = "{\"model\":\"cached-test\",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"stream me four words\"}]}";
        HttpResponse<String> raw = Http.post(CHAT, key, sse);
        assertThat(cacheHeader(raw)).isEqualTo("hit");
        assertThat(raw.body().strip()).endsWith("data: [DONE]");
        assertThat(cacheHeader(Http.post(CHAT, key, body("cached-test", "stream me four words", ",\"temperature\":0")))).isEqualTo("miss");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 2);
    }

    @Test
    void anAnthropicMessagesRequestOnACachedRouteIsAHitToo() {
        String key = Http.newKey("cache-messages-team");
        String req = "{\"model\":\"cached-test\",\"max_tokens\":20,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}";
        int before = upstreamRequests("cacheable");
        HttpResponse<String> first = Http.post(Http.gateway() + "/v1/messages", key, req);
        HttpResponse<String> second = Http.post(Http.gateway() + "/v1/messages", key, req);
        assertThat(cacheHeader(first)).isEqualTo("miss");
        assertThat(cacheHeader(second)).isEqualTo("hit");
        assertThat(Http.json(second.body()).path("type").asText()).isEqualTo("message");
        assertThat(Http.json(second.body()).path("content").get(0).path("text").asText()).isEqualTo("Hello from cacheable you said 2 words");
        assertThat(upstreamRequests("cacheable")).isEqualTo(before + 1);
    }

    @Test
    void anEntryExpiresAfterItsTtl() throws Exception {
        String key = Http.newKey("cache-ttl-team");
        String req = body("cached-short", "short lived", ",\"temperature\":0");
        int before = upstreamRequests("cacheable-short");
        assertThat(cacheHeader(Http.post(CHAT, key, req))).isEqualTo("miss");
        assertThat(cacheHeader(Http.post(CHAT, key, req))).isEqualTo("hit");
        Thread.sleep(1_300);
        assertThat(cacheHeader(Http.post(CHAT, key, req))).isEqualTo("miss");
        assertThat(upstreamRequests("cacheable-short")).isEqualTo(before + 2);
    }

    @Test
    void aRouteMayChargeTheTeamForHitsAndCacheSampledRequests() throws Exception {
        String key = Http.newKey("cache-charged-team");
        String req = body("cached-charged", "no temperature given", "");
        int before = upstreamRequests("cacheable-charged");
        HttpResponse<String> first = Http.post(CHAT, key, req);
        HttpResponse<String> second = Http.post(CHAT, key, req);
        assertThat(cacheHeader(first)).isEqualTo("miss");
        assertThat(cacheHeader(second)).isEqualTo("hit"); // deterministic_only: false
        assertThat(upstreamRequests("cacheable-charged")).isEqualTo(before + 1);
        JsonNode miss = awaitUsage(first), hit = awaitUsage(second);
        assertThat(new BigDecimal(hit.path("provider_cost_usd").asText())).isZero();
        assertThat(hit.path("team_charge_usd").asText()).isEqualTo(miss.path("team_charge_usd").asText()); // team_charge: full
        assertThat(new BigDecimal(hit.path("team_charge_usd").asText())).isPositive();
    }
}
