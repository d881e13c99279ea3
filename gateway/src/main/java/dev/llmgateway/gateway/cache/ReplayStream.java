package dev.llmgateway.gateway.cache;

import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.gateway.providers.UpstreamStream;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

/** Plays a cached stream's chunks to the client in order, pausing while its write queue is full. */
public final class ReplayStream implements UpstreamStream {
    private final CachedAnswer answer;
    private final Promise<End> done = Promise.promise();
    private int next;
    private volatile boolean cancelled;

    public ReplayStream(CachedAnswer answer) { this.answer = answer; }

    @Override
    public Future<End> start(ChunkSink sink) {
        pump(sink);
        return done.future();
    }

    private void pump(ChunkSink sink) {
        while (next < answer.parts().size()) {
            if (cancelled) return;
            if (sink.full()) {
                sink.onDrain(() -> pump(sink));
                return;
            }
            sink.chunk(answer.parts().get(next++).copy());
        }
        done.tryComplete(new End(answer.usage(), answer.finishReason()));
    }

    @Override
    public Usage usageSoFar() { return answer.usage(); }

    @Override
    public void cancel() {
        cancelled = true;
        done.tryFail(new GatewayError.Failure(new GatewayError.BadRequest("client closed the request", null)));
    }
}
