package dev.llmgateway.gateway.http;

import dev.llmgateway.gateway.pipeline.ClientChannel;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/** {@link ClientChannel} in OpenAI's format over a Vert.x server response. Used only on the request's event-loop thread. */
final class VertxClientChannel extends TranslatingChannel {
    private static final Buffer DATA = Buffer.buffer("data: ");
    private static final Buffer END_EVENT = Buffer.buffer("\n\n");
    private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
    private static final Buffer OPEN = Buffer.buffer(": stream open\n\n");

    /** Headers committed, nothing written yet, the comment that opens the stream still due. */
    private boolean opening;

    VertxClientChannel(HttpServerResponse response) { super(new SseResponse(response)); }

    @Override
    public void sendJson(int status, Map<String, String> headers, Buffer body) { out.json(status, headers, body); }

    /**
     * Commits the stream's headers. They go out with the first event when it is already at hand (an upstream that sent
     * its headers and first chunk in one read), one write instead of two; otherwise, once the tasks queued meanwhile on
     * this event loop have run, with an SSE comment, so the client sees the 200 and the gateway's headers before the
     * first token.
     */
    @Override
    public void startStream(Map<String, String> headers) {
        if (out.committed()) return;
        out.start(headers);
        Context context = Vertx.currentContext();
        if (context == null) {
            out.write(OPEN.copy());
            return;
        }
        opening = true;
        // Two hops: the caller resumes the upstream response right after this, and Vert.x delivers a chunk already
        // buffered with a task queued then; the second hop runs after that task, so such a chunk goes out with the headers.
        context.runOnContext(v -> context.runOnContext(w -> {
            if (!opening) return;
            opening = false;
            out.write(OPEN.copy());
        }));
    }

    @Override
    public void writeEvent(Buffer json) {
        opening = false;
        out.write(Buffer.buffer(json.length() + 8).appendBuffer(DATA).appendBuffer(json).appendBuffer(END_EVENT));
    }

    @Override
    public void endStream() {
        opening = false;
        out.end(DONE);
    }

    @Override
    public void abortStream(Buffer errorJson) {
        writeEvent(errorJson);   // clears opening
        out.end();
    }
}
