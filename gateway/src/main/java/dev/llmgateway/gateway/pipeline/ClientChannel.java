package dev.llmgateway.gateway.pipeline;

import io.vertx.core.buffer.Buffer;
import java.util.Map;

/** The client's side of the exchange: where the answer is written. Implemented over Vert.x in the http package. */
public interface ClientChannel {
    void sendJson(int status, Map<String, String> headers, Buffer body);

    /** Commits a 200 text/event-stream response with these headers. */
    void startStream(Map<String, String> headers);

    /** Writes one SSE event {@code data: <json>}. */
    void writeEvent(Buffer json);

    /** Writes {@code data: [DONE]} and ends the response. */
    void endStream();

    /** Ends a committed stream after an error event, without {@code [DONE]}. */
    void abortStream(Buffer errorJson);

    boolean committed();

    /** Runs {@code action} when the client disconnects before the answer is complete. */
    void onGone(Runnable action);

    /** Whether the stream's write queue is full (the client reads slower than the answer is produced). */
    default boolean writeQueueFull() { return false; }

    /** Runs {@code action} once, when the write queue has drained below its limit. */
    default void onDrain(Runnable action) { action.run(); }
}
