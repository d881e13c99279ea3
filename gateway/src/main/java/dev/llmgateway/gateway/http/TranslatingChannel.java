package dev.llmgateway.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.llmgateway.gateway.pipeline.ClientChannel;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * A {@link ClientChannel} writing through one {@link SseResponse}: what every inbound API's channel shares (commit state,
 * backpressure, disconnect), so each only says how the pipeline's OpenAI-format answer looks in its own format.
 */
public abstract class TranslatingChannel implements ClientChannel {
    private static final ObjectMapper JSON = new ObjectMapper();

    protected final SseResponse out;

    protected TranslatingChannel(SseResponse out) { this.out = out; }

    @Override
    public boolean committed() { return out.committed(); }

    @Override
    public void onGone(Runnable action) { out.onGone(action); }

    @Override
    public boolean writeQueueFull() { return out.writeQueueFull(); }

    @Override
    public void onDrain(Runnable action) { out.onDrain(action); }

    /** A pipeline buffer (an answer, a chunk, an error) as JSON; an empty object when it is not JSON. */
    protected static JsonNode parse(Buffer b) {
        try {
            JsonNode n = JSON.readTree(b.getBytes());
            return n == null ? JsonNodeFactory.instance.objectNode() : n;
        } catch (IOException e) {
            return JsonNodeFactory.instance.objectNode();
        }
    }
}
