package dev.llmgateway.gateway.http;

import dev.llmgateway.gateway.pipeline.ClientChannel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/** {@link ClientChannel} over a Vert.x server response. Used only on the request's event-loop thread. */
final class VertxClientChannel implements ClientChannel {
    private static final Buffer DATA = Buffer.buffer("data: ");
    private static final Buffer END_EVENT = Buffer.buffer("\n\n");
    private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
    /** Bytes queued for a slow streaming client before the producer (upstream or engine) is paused. */
    static final int STREAM_WRITE_QUEUE_BYTES = 64 * 1024;

    private final HttpServerResponse response;
    private boolean committed;

    VertxClientChannel(HttpServerResponse response) { this.response = response; }

    @Override
    public void sendJson(int status, Map<String, String> headers, Buffer body) {
        if (committed || response.closed()) return;
        committed = true;
        headers.forEach(response::putHeader);
        response.setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    @Override
    public void startStream(Map<String, String> headers) {
        if (committed) return;
        committed = true;
        headers.forEach(response::putHeader);
        response.setStatusCode(200)
                .putHeader("content-type", "text/event-stream")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no")
                .setChunked(true)
                .setWriteQueueMaxSize(STREAM_WRITE_QUEUE_BYTES);
        if (!response.closed()) response.write(Buffer.buffer(": stream open\n\n"));
    }

    @Override
    public void writeEvent(Buffer json) {
        if (response.closed() || response.ended()) return;
        Buffer frame = Buffer.buffer(json.length() + 8).appendBuffer(DATA).appendBuffer(json).appendBuffer(END_EVENT);
        response.write(frame);
    }

    @Override
    public void endStream() {
        if (!response.closed() && !response.ended()) response.end(DONE);
    }

    @Override
    public void abortStream(Buffer errorJson) {
        if (response.closed() || response.ended()) return;
        writeEvent(errorJson);
        response.end();
    }

    @Override
    public boolean committed() { return committed; }

    @Override
    public boolean writeQueueFull() { return !response.closed() && !response.ended() && response.writeQueueFull(); }

    @Override
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

    @Override
    public void onGone(Runnable action) {
        response.closeHandler(v -> {
            if (!response.ended()) action.run();
        });
    }
}
