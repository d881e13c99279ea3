package dev.llmgateway.gateway.providers;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/** An accepted upstream stream, paused until {@link #start}. */
public interface UpstreamStream {

    /** Receives OpenAI-format chunk JSON objects (without SSE framing), in order. */
    interface ChunkSink { void chunk(Buffer openAiChunkJson); }

    /** How a stream ended. */
    record End(Usage usage, String finishReason) {}

    /** Delivers chunks; the future completes at the end of the stream, or fails if it broke midway. */
    Future<End> start(ChunkSink sink);

    /** Stops upstream work (the client went away). */
    void cancel();
}
