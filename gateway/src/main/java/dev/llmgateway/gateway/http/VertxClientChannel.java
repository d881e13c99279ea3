package dev.llmgateway.gateway.http;

import dev.llmgateway.gateway.pipeline.ClientChannel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/** {@link ClientChannel} in OpenAI's format over a Vert.x server response. Used only on the request's event-loop thread. */
final class VertxClientChannel extends TranslatingChannel {
    private static final Buffer DATA = Buffer.buffer("data: ");
    private static final Buffer END_EVENT = Buffer.buffer("\n\n");
    private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

    VertxClientChannel(HttpServerResponse response) { super(new SseResponse(response)); }

    @Override
    public void sendJson(int status, Map<String, String> headers, Buffer body) { out.json(status, headers, body); }

    @Override
    public void startStream(Map<String, String> headers) {
        if (out.committed()) return;
        out.start(headers);
        out.write(Buffer.buffer(": stream open\n\n"));
    }

    @Override
    public void writeEvent(Buffer json) {
        out.write(Buffer.buffer(json.length() + 8).appendBuffer(DATA).appendBuffer(json).appendBuffer(END_EVENT));
    }

    @Override
    public void endStream() { out.end(DONE); }

    @Override
    public void abortStream(Buffer errorJson) {
        writeEvent(errorJson);
        out.end();
    }
}
