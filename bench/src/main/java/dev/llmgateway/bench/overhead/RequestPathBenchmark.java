package dev.llmgateway.bench.overhead;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.api.ClientText;
import dev.llmgateway.gateway.providers.openai.OpenAiBytes;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The per-request JSON work of a non-streaming chat request through the OpenAI pass-through: parsing and validating the
 * client's body, building the upstream body (the former tree re-serialisation against the byte patch), and reading
 * the answer's usage (tree against streaming parser). Routing and pricing have their own benchmarks
 * ({@code RoutingDecisionBenchmark}, {@code CostBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestPathBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final byte[] body = ("{\"model\":\"bench\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
            + "{\"role\":\"user\",\"content\":\"Say hello to the benchmark, in one short sentence please.\"}],"
            + "\"max_tokens\":64,\"temperature\":0.2}").getBytes(StandardCharsets.UTF_8);
    private final byte[] answer = ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1733500000,\"model\":\"bench\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello, benchmark.\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":4,\"total_tokens\":35,\"prompt_tokens_details\":{\"cached_tokens\":0}}}")
            .getBytes(StandardCharsets.UTF_8);
    private final ObjectNode tree = ClientText.readObject(body);

    @Benchmark
    public ChatRequest parseAndValidate() { return ChatRequest.parse(ClientText.readObject(body)); }

    /** The upstream body as it was built before: a copy of the tree with the model set, written out. */
    @Benchmark
    public byte[] upstreamBodyByTree() throws Exception {
        ObjectNode out = tree.objectNode();
        out.setAll(tree);
        out.put("model", "upstream-model");
        return JSON.writeValueAsBytes(out);
    }

    /** The upstream body as it is built now: the client's bytes with the model patched in place. */
    @Benchmark
    public byte[] upstreamBodyByPatch() { return OpenAiBytes.patch(body, "upstream-model", false); }

    @Benchmark
    public int usageByTree() throws Exception {
        return JSON.readTree(answer).path("usage").path("prompt_tokens").asInt(0);
    }

    @Benchmark
    public Object usageByStreamingParser() throws Exception { return OpenAiBytes.scan(answer); }
}
