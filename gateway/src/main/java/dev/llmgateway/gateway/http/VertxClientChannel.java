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
                .setChunked(true);
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
    public void onGone(Runnable action) {
        response.closeHandler(v -> {
            if (!response.ended()) action.run();
        });
    }
}
