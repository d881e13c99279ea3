package dev.llmgateway.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The low-level writes of an answer over a Vert.x response: one JSON body, or named SSE events. Event-loop confined. */
public final class SseResponse {
    /** Bytes queued for a slow streaming client before the producer (upstream or engine) is paused. */
    public static final int STREAM_WRITE_QUEUE_BYTES = 64 * 1024;

    private final HttpServerResponse response;
    private boolean committed;

    public SseResponse(HttpServerResponse response) { this.response = response; }

    public void json(int status, Map<String, String> headers, Buffer body) {
        if (committed || response.closed()) return;
        committed = true;
        headers.forEach(response::putHeader);
        response.setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    public void start(Map<String, String> headers) {
        if (committed) return;
        committed = true;
        headers.forEach(response::putHeader);
        response.setStatusCode(200)
                .putHeader("content-type", "text/event-stream")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no")
                .setChunked(true)
                .setWriteQueueMaxSize(STREAM_WRITE_QUEUE_BYTES);
    }

    /** Writes raw bytes of a committed stream (nothing once the response is closed or ended). */
    public void write(Buffer bytes) {
        if (!response.closed() && !response.ended()) response.write(bytes);
    }

    /** Ends the response, with these last bytes. */
    public void end(Buffer last) {
        if (!response.closed() && !response.ended()) response.end(last);
    }

    /** Writes {@code event: <name>\ndata: <json>\n\n}. */
    public void event(String name, String json) {
        if (response.closed() || response.ended()) return;
        write(Buffer.buffer(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8)));
    }

    public void end() {
        if (!response.closed() && !response.ended()) response.end();
    }

    public boolean committed() { return committed; }

    /** Whether the client reads slower than events are written (the producer should pause). */
    public boolean writeQueueFull() { return !response.closed() && !response.ended() && response.writeQueueFull(); }

    /** Runs {@code action} once the write queue has drained (at once if it is not full). */
    public void onDrain(Runnable action) {
        if (!writeQueueFull()) {
            action.run();
            return;
        }
        // A closed connection never drains; the close handler (onGone) cancels the producer instead.
        response.drainHandler(v -> {
            response.drainHandler(null);
            action.run();
        });
    }

    public void onGone(Runnable action) {
        response.closeHandler(v -> {
            if (!response.ended()) action.run();
        });
    }
}
