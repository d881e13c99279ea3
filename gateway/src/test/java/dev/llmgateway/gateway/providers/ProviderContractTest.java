package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.testsupport.FakeUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract every HTTP provider adapter keeps, run against a loopback fake speaking that provider's wire format:
 * upstream status -> gateway error (and the client's status), text and tool calls answered whole and streamed, usage
 * equal to what the fake billed, a mid-stream error, an upstream gone quiet mid-stream past the idle timeout, a
 * malformed event and a broken stream, and several keys with
 * per-key cooldown.
 * One subclass per provider type supplies the provider's gateway.yaml block and its wire-level expectations.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ProviderContractTest {
    protected static final ObjectMapper JSON = new ObjectMapper();
    protected static final String MODEL = "contract-model";
    private static final String TOOLS = """
            "tools":[{"type":"function","function":{"name":"search","description":"web search","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]""";

    protected FakeUpstream upstream;
    private Vertx vertx;
    private final HttpClient control = HttpClient.newHttpClient();

    /** The {@code providers.p} block of gateway.yaml: this type, pointing at the fake, with these keys. */
    protected abstract String providerYaml(int port, List<String> keys);

    /** The request header that carries the key, and how its value wraps the key. */
    protected abstract String credentialHeader();

    protected String credentialValue(String key) { return key; }

    /** The usage the fake bills for a prompt of {@code words} words (the Anthropic fake adds cache reads when not streaming). */
    protected Usage billed(int promptWords, int completionTokens, boolean stream) {
        return new Usage(promptWords, completionTokens, 0, false);
    }

    /** Checks the upstream received the tool declaration and the tool turn in its own wire format. */
    protected abstract void assertToolsSentInWireFormat(JsonNode upstreamBody);

    /** Checks the wire-specific parts of a plain request (path, query, body shape). */
    protected abstract void assertPlainRequestInWireFormat(JsonNode stats);

    @BeforeAll
    void startUpstream() {
        upstream = FakeUpstream.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    void stopUpstream() {
        opened.forEach(Backends::close);
        upstream.close();
        vertx.close();
    }

    @BeforeEach
    void resetUpstream() { control("POST", "/_control/reset", "{}"); }

    private Backends backends(List<String> keys) { return backends(keys, "{first_byte: 5s, total: 10s}"); }

    private Backends backends(List<String> keys, String timeouts) {
        String yaml = "providers:\n  p:\n" + providerYaml(upstream.port(), keys).indent(4)
                + """
                deployments:
                  d:
                    provider: p
                    model: %s
                    class: closed
                    timeouts: %s
                routes:
                  r: {deployment: d}
                """.formatted(MODEL, timeouts);
        GatewayConfig config = ConfigLoader.parse("contract.yaml", yaml, k -> null, null);
        this.config = config;
        Backends b = new Backends(vertx, config, p -> { throw new IllegalStateException("no embedded provider here"); });
        opened.add(b);
        return b;
    }

    private GatewayConfig config;
    private final List<Backends> opened = new ArrayList<>();

    protected ProviderCall call(String body) {
        ObjectNode json = (ObjectNode) parse(body);
        // The client bytes travel with the tree, as from the pipeline: adapters that forward them are tested that way.
        return new ProviderCall("req-" + System.nanoTime(), config.deployments().get("d"), json, ChatRequest.parse(json), new CancelToken(),
                io.vertx.core.buffer.Buffer.buffer(body));
    }

    protected ModelBackend backend() { return backends(List.of("key-one")).forProvider("p"); }

    // ---- status table -------------------------------------------------------------------------------------------

    /** Upstream status -> client status, client error code, retryable. */
    private static final int[][] STATUS_TABLE = {
            {400, 400, 0}, {401, 502, 0}, {403, 502, 0}, {404, 400, 0}, {408, 504, 1},
            {409, 400, 1}, {429, 429, 1}, {500, 502, 1}, {502, 502, 1}, {503, 503, 1}, {504, 504, 1}};

    @Test
    void upstreamStatusesMapToTheSharedErrorTable() {
        ModelBackend b = backend();
        for (int[] row : STATUS_TABLE) {
            script(row[0] + (row[0] == 429 ? ":7" : ""));
            GatewayError e = failure(b.complete(call(plain(false))));
            assertThat(e).as("upstream %d", row[0]).isInstanceOf(GatewayError.UpstreamFailed.class);
            GatewayError.UpstreamFailed u = (GatewayError.UpstreamFailed) e;
            assertThat(u.status()).isEqualTo(row[0]);
            assertThat(u.retryable()).as("retryable after %d", row[0]).isEqualTo(row[2] == 1);
            assertThat(u.message()).as("the upstream's own message is kept").contains("injected " + row[0]);
            assertThat(ErrorResponses.shape(e).status()).as("client status for upstream %d", row[0]).isEqualTo(row[1]);
            if (row[0] == 429) assertThat(u.retryAfter()).contains(Duration.ofSeconds(7));
        }
    }

    @Test
    void refusedBeforeTheStreamStartsIsAnErrorNotAStream() {
        script("503");
        GatewayError e = failure(backend().stream(call(plain(true))));
        assertThat(e).isInstanceOfSatisfying(GatewayError.UpstreamFailed.class, u -> assertThat(u.status()).isEqualTo(503));
    }

    // ---- text and usage ------------------------------------------------------------------------------------------

    @Test
    void plainAnswerComesBackInOpenAiShapeWithTheBilledUsage() {
        Completion c = await(backend().complete(call(plain(false))));
        JsonNode out = parse(c.body());
        assertThat(out.path("object").asText()).isEqualTo("chat.completion");
        assertThat(out.path("choices").get(0).path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(out.path("choices").get(0).path("message").path("content").asText()).isEqualTo(expectedText(4));
        assertThat(out.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.usage()).isEqualTo(billed(4, 7, false));
        assertThat(out.path("usage").path("prompt_tokens").asInt()).isEqualTo(billed(4, 7, false).promptTokens());
        assertThat(out.path("usage").path("completion_tokens").asInt()).isEqualTo(7);
        JsonNode stats = stats();
        assertThat(stats.path("requests").asInt()).isEqualTo(1);
        assertThat(stats.path("last_headers").path(credentialHeader()).asText()).isEqualTo(credentialValue("key-one"));
        assertPlainRequestInWireFormat(stats);
    }

    @Test
    void streamedTextArrivesAsOpenAiChunksAndEndsWithTheBilledUsage() {
        UpstreamStream s = await(backend().stream(call(plain(true))));
        List<JsonNode> chunks = new ArrayList<>();
        UpstreamStream.End end = await(s.start(buf -> chunks.add(parse(buf))));
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            for (JsonNode ch : c.path("choices")) {
                text.append(ch.path("delta").path("content").asText(""));
                if (ch.path("finish_reason").isTextual()) finish = ch.path("finish_reason").asText();
            }
            if (c.hasNonNull("usage")) usage = c.get("usage");
        }
        assertThat(chunks.size()).as("the text comes in several chunks").isGreaterThan(3);
        assertThat(text.toString()).isEqualTo(expectedText(4));
        assertThat(finish).isEqualTo("stop");
        assertThat(end.finishReason()).isEqualTo("stop");
        assertThat(end.usage()).isEqualTo(billed(4, 7, true));
        assertThat(usage).as("the client asked for usage").isNotNull();
        assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(billed(4, 7, true).promptTokens());
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void midStreamErrorFailsTheStreamAfterTheFirstChunks() {
        script("stream-error");
        UpstreamStream s = await(backend().stream(call(plain(true))));
        List<Buffer> chunks = new ArrayList<>();
        GatewayError e = failure(s.start(chunks::add));
        assertThat(e).isInstanceOfSatisfying(GatewayError.UpstreamFailed.class, u -> {
            assertThat(u.status()).isEqualTo(502);
            assertThat(u.message()).contains("mid-stream").contains("injected mid-stream error");
        });
        assertThat(s.usageSoFar().promptTokens()).as("what was consumed is still metered").isGreaterThan(0);
    }

    @Test
    void anUpstreamThatGoesQuietMidStreamLongerThanTheIdleTimeoutFailsClearlyWithTheUsageSoFar() {
        script("stall-mid-stream");
        ModelBackend backend = backends(List.of("key-one"), "{first_byte: 5s, total: 30s, idle: 400ms}").forProvider("p");
        UpstreamStream s = await(backend.stream(call(plain(true))));
        List<Buffer> chunks = new ArrayList<>();
        long started = System.nanoTime();
        GatewayError e = failure(s.start(chunks::add));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(e).isInstanceOfSatisfying(GatewayError.UpstreamTimeout.class, t -> {
            assertThat(t.deployment()).isEqualTo("d");
            assertThat(t.message()).contains("sent nothing for 400 ms").contains("middle of the stream");
        });
        assertThat(tookMs).as("the idle timeout ends it, not the 30 s total").isBetween(350L, 5_000L);
        assertThat(s.usageSoFar().promptTokens()).as("what was consumed is still metered").isGreaterThan(0);
    }

    @Test
    void malformedEventMidStreamIsAnUnavailableUpstreamAfterTheFirstChunks() {
        script("malformed");
        UpstreamStream s = await(backend().stream(call(plain(true))));
        List<Buffer> chunks = new ArrayList<>();
        GatewayError e = failure(s.start(chunks::add));
        assertThat(e).isInstanceOfSatisfying(GatewayError.UpstreamUnavailable.class,
                u -> assertThat(u.message()).contains("malformed stream event"));
        assertThat(chunks).as("what came before the bad event was delivered").isNotEmpty();
    }

    @Test
    void brokenConnectionMidStreamIsAnUnavailableUpstream() {
        script("disconnect");
        UpstreamStream s = await(backend().stream(call(plain(true))));
        GatewayError e = failure(s.start(buf -> { }));
        assertThat(e).isInstanceOf(GatewayError.UpstreamUnavailable.class);
    }

    @Test
    void malformedBodyIsAnUnavailableUpstream() {
        script("malformed");
        assertThat(failure(backend().complete(call(plain(false))))).isInstanceOf(GatewayError.UpstreamUnavailable.class);
    }

    // ---- tools ---------------------------------------------------------------------------------------------------

    private static String toolRequest(boolean stream) {
        return """
                {"model":"r","stream":%s,"messages":[
                  {"role":"user","content":"find cats"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"search","arguments":"{\\"q\\":\\"cats\\"}"}}]},
                  {"role":"tool","tool_call_id":"call_0","content":"cats are mammals"},
                  {"role":"user","content":"and dogs?"}],
                 %s}
                """.formatted(stream, TOOLS);
    }

    @Test
    void toolCallsAreAnsweredAsOpenAiToolCalls() {
        Completion c = await(backend().complete(call(toolRequest(false))));
        JsonNode choice = parse(c.body()).path("choices").get(0);
        JsonNode tc = choice.path("message").path("tool_calls").get(0);
        assertThat(tc.path("type").asText()).isEqualTo("function");
        assertThat(tc.path("id").asText()).isNotBlank();
        assertThat(tc.path("function").path("name").asText()).isEqualTo("search");
        assertThat(parse(tc.path("function").path("arguments").asText()).path("q").asText()).isEqualTo("x");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        assertToolsSentInWireFormat(stats().path("last_body"));
    }

    @Test
    void streamedToolCallsAssembleIntoOneCall() {
        UpstreamStream s = await(backend().stream(call(toolRequest(true))));
        StringBuilder args = new StringBuilder();
        String[] name = {null};
        String[] finish = {null};
        await(s.start(buf -> {
            for (JsonNode ch : parse(buf).path("choices")) {
                for (JsonNode tc : ch.path("delta").path("tool_calls")) {
                    assertThat(tc.path("index").asInt()).isZero();
                    if (tc.path("function").has("name")) name[0] = tc.path("function").path("name").asText();
                    args.append(tc.path("function").path("arguments").asText(""));
                }
                if (ch.path("finish_reason").isTextual()) finish[0] = ch.path("finish_reason").asText();
            }
        }));
        assertThat(name[0]).isEqualTo("search");
        assertThat(parse(args.toString()).path("q").asText()).isEqualTo("x");
        assertThat(finish[0]).isEqualTo("tool_calls");
    }

    // ---- several keys --------------------------------------------------------------------------------------------

    @Test
    void requestsAreSpreadOverTheKeys() {
        ModelBackend b = backends(List.of("key-a", "key-b")).forProvider("p");
        for (int i = 0; i < 4; i++) await(b.complete(call(plain(false))));
        JsonNode creds = stats().path("credentials");
        assertThat(creds.path("key-a").asInt()).isEqualTo(2);
        assertThat(creds.path("key-b").asInt()).isEqualTo(2);
    }

    @Test
    void aRateLimitedKeyRestsForItsRetryAfterWhileTheOtherCarriesTheLoad() {
        ModelBackend b = backends(List.of("key-a", "key-b")).forProvider("p");
        script("429:60");
        Completion first = await(b.complete(call(plain(false))));
        assertThat(parse(first.body()).path("choices").get(0).path("message").path("content").asText())
                .as("the 429 of key-a is retried at once with key-b").isEqualTo(expectedText(4));
        for (int i = 0; i < 3; i++) await(b.stream(call(plain(true))).compose(s -> s.start(buf -> { })));
        JsonNode creds = stats().path("credentials");
        assertThat(creds.path("key-a").asInt()).as("key-a only for the refused request").isEqualTo(1);
        assertThat(creds.path("key-b").asInt()).isEqualTo(4);
    }

    @Test
    void whenEveryKeyIsRateLimitedTheClientSeesTheUpstreams429() {
        ModelBackend b = backends(List.of("key-a", "key-b")).forProvider("p");
        script("429:5", "429:9");
        GatewayError e = failure(b.complete(call(plain(false))));
        assertThat(e).isInstanceOfSatisfying(GatewayError.UpstreamFailed.class, u -> {
            assertThat(u.status()).isEqualTo(429);
            assertThat(u.retryAfter()).contains(Duration.ofSeconds(9));
        });
        assertThat(stats().path("requests").asInt()).as("each key tried once").isEqualTo(2);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    protected static String plain(boolean stream) {
        return "{\"model\":\"r\",\"max_tokens\":50,\"temperature\":0.5,\"stop\":[\"END\"],\"stream\":" + stream
                + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"one two\"}]}";
    }

    protected static String expectedText(int words) { return "Hello from " + MODEL + " you said " + words + " words"; }

    protected JsonNode stats() { return parse(control("GET", "/_control/stats?model=" + MODEL, null)); }

    protected void script(String... steps) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model", MODEL);
        var arr = n.putArray("steps");
        for (String s : steps) arr.add(s);
        control("POST", "/_control/script", n.toString());
    }

    private String control(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + upstream.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return control.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected static JsonNode parse(Buffer b) { return parse(b.toString(StandardCharsets.UTF_8)); }

    protected static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + s, e);
        }
    }

    protected static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static GatewayError failure(Future<?> f) {
        try {
            Object v = f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
            return fail("expected a failure, got " + v);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GatewayError.Failure gf) return gf.error();
            throw new AssertionError("expected a GatewayError.Failure, got " + e.getCause(), e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
