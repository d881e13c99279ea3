package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK works unchanged against the gateway, streaming and not. */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class OpenAiSdkCompatibilityTest {
    private OpenAIClient client;
    private String key;

    @BeforeEach
    void setUp() {
        key = Http.newKey("sdk-team");
        client = OpenAIOkHttpClient.builder().apiKey(key).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
    }

    @Test
    void nonStreamingCompletionComesBackThroughTheSdkWithUsage() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-test").addUserMessage("three little words").maxCompletionTokens(50).build());

        assertThat(c.choices().get(0).message().content()).contains("Hello from model-a you said 3 words");
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(3);
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(7);
    }

    @Test
    void streamingCompletionArrivesChunkByChunkAndUsageWhenAskedFor() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage("two words")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        int[] chunks = {0};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                chunks[0]++;
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        assertThat(text.toString()).isEqualTo("Hello from model-a you said 2 words");
        assertThat(chunks[0]).isGreaterThan(5);
        assertThat(usage[0]).isEqualTo(7);
    }

    @Test
    void streamWithoutIncludeUsageHidesTheUsageChunkButTheGatewayStillAskedUpstreamForIt() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage("hello").build();
        List<ChatCompletionChunk> all;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            all = s.stream().toList();
        }
        assertThat(all).allSatisfy(ch -> assertThat(ch.choices()).isNotEmpty());
        assertThat(Http.upstreamStats("model-a").path("last_body").path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void unknownModelIsA404TheSdkUnderstands() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("no-such-model").addUserMessage("hi").build()))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("no-such-model");
    }

    @Test
    void wrongKeyIsA401TheSdkUnderstands() {
        OpenAIClient bad = OpenAIOkHttpClient.builder().apiKey("gw-wrong").baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
        assertThatThrownBy(() -> bad.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-test").addUserMessage("hi").build())).isInstanceOf(UnauthorizedException.class);
    }

    @Test
    void embeddingsPassThroughToProvidersThatHaveThem() {
        var e = client.embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder()
                .model("gpt-test").input("four words right here").build());
        assertThat(e.data().get(0).embedding()).hasSize(3);
        assertThat(e.usage().promptTokens()).isEqualTo(4);
        assertThat(Http.upstreamStats("model-a").path("last_body").path("model").asText()).isEqualTo("model-a");
    }

    @Test
    void embeddingsOnAProviderWithoutThemIsAClear400() {
        var r = Http.post(Http.gateway() + "/v1/embeddings", key, "{\"model\":\"claude-test\",\"input\":\"hi\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r.body()).path("error").path("message").asText()).contains("does not serve embeddings");
    }

    @Test
    void modelsListsTheRoutesTheKeyMayUse() {
        var all = client.models().list().items().stream().map(m -> m.id()).toList();
        assertThat(all).contains("gpt-test", "claude-test");
        String limited = Http.newKey("limited-team", "claude-test");
        var some = OpenAIOkHttpClient.builder().apiKey(limited).baseUrl(Http.gateway() + "/v1").build()
                .models().list().items().stream().map(m -> m.id()).toList();
        assertThat(some).containsExactly("claude-test");
    }

    @Test
    void oneModelIsRetrievedAndAnUnknownOrForbiddenOneIsA404TheSdkUnderstands() {
        var m = client.models().retrieve("gpt-test");
        assertThat(m.id()).isEqualTo("gpt-test");
        assertThat(m.ownedBy()).isEqualTo("gateway");
        assertThatThrownBy(() -> client.models().retrieve("no-such-model"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-model");
        String limited = Http.newKey("limited-team", "claude-test");
        OpenAIClient some = OpenAIOkHttpClient.builder().apiKey(limited).baseUrl(Http.gateway() + "/v1").maxRetries(0).build();
        assertThat(some.models().retrieve("claude-test").id()).isEqualTo("claude-test");
        assertThatThrownBy(() -> some.models().retrieve("gpt-test")).as("a route the key may not use looks missing")
                .isInstanceOf(NotFoundException.class);
        var unauthenticated = Http.get(Http.gateway() + "/v1/models/gpt-test", null);
        assertThat(unauthenticated.statusCode()).isEqualTo(401);
        var encoded = Http.get(Http.gateway() + "/v1/models/gpt%2Dtest", key);
        assertThat(encoded.statusCode()).as("percent-encoded id").isEqualTo(200);
        assertThat(Http.json(encoded.body()).path("id").asText()).isEqualTo("gpt-test");
        var odd = Http.get(Http.gateway() + "/v1/models/%E2%9C%93%00x", key);
        assertThat(odd.statusCode()).isEqualTo(404);
        assertThat(Http.json(odd.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
    }
}
