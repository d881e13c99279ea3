package dev.llmgateway.gateway.providers;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/** An accepted upstream stream, paused until {@link #start}. */
public interface UpstreamStream {

    /** Receives OpenAI-format chunk JSON objects (without SSE framing), in order. */
    interface ChunkSink {
        void chunk(Buffer openAiChunkJson);

        /** Whether the client cannot take more now (its write queue is full): the producer should pause. */
        default boolean full() { return false; }

        /** Runs {@code action} once, when the client can take more again. */
        default void onDrain(Runnable action) { action.run(); }
    }

    /** How a stream ended. */
    record End(Usage usage, String finishReason) {}

    /** Delivers chunks; the future completes at the end of the stream, or fails if it broke midway. */
    Future<End> start(ChunkSink sink);

    /**
     * Tokens consumed so far: exact where the upstream reported them, else estimated from the text streamed. Used when
     * a stream breaks or is cancelled midway, so that what was generated is still metered.
     */
    Usage usageSoFar();

    /** Stops upstream work (the client went away). */
    void cancel();
}
