package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.UpstreamStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Writes the reply Dispatch returned in OpenAI's format: one JSON body, or SSE chunks ending in {@code data: [DONE]}.
 * It writes everything but the last bytes and returns the answer {@link Outcome.Held held}: the stage above (Meter)
 * releases it once the usage record is durable, so no client sees a complete answer whose usage could be lost.
 */
public final class RespondStage implements Stage {

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        return next.proceed(x).compose(o -> o instanceof Outcome.Replied r
                ? switch (r.reply()) {
                    case Reply.Whole w -> Future.succeededFuture(whole(x, w.completion()));
                    case Reply.Streaming s -> stream(x, s.stream());
                }
                : Future.succeededFuture(o));
    }

    private static Outcome whole(Exchange x, Completion c) {
        x.finished(c.usage(), c.finishReason());
        if (x.keepsOutputText()) x.appendOutputText(dev.llmgateway.gateway.api.OpenAiJson.choiceText(c.body(), "message"));
        return new Outcome.Held(new Hold(() -> {
            x.firstByte();
            x.client().sendJson(200, x.responseHeaders(), c.body());
            return new Outcome.Answered(200);
        }, why -> new Outcome.Failed(why)));   // nothing written yet: the pipeline writes the error
    }

    private static Future<Outcome> stream(Exchange x, UpstreamStream s) {
        x.streaming();
        x.cancel().onCancel(s::cancel);
        x.client().startStream(x.responseHeaders());
        return s.start(new UpstreamStream.ChunkSink() {
            @Override
            public void chunk(Buffer chunk) {
                x.firstByte();
                if (x.keepsOutputText()) x.appendOutputText(dev.llmgateway.gateway.api.OpenAiJson.choiceText(chunk, "delta"));
                x.client().writeEvent(chunk);
            }

            // Backpressure: a slow client pauses the producer instead of growing the write queue without bound.
            @Override
            public boolean full() { return x.client().writeQueueFull(); }

            @Override
            public void onDrain(Runnable action) { x.client().onDrain(action); }
        }).map(end -> {
            x.finished(end.usage(), end.finishReason());
            return (Outcome) new Outcome.Held(new Hold(() -> {
                x.client().endStream();
                return new Outcome.Answered(200);
            }, why -> {
                // No [DONE]: the client sees the stream end with an error, not as a complete answer.
                x.client().abortStream(Buffer.buffer(ErrorResponses.body(why).toString()));
                return new Outcome.Failed(why);
            }));
        }).recover(e -> {
            x.finished(s.usageSoFar(), x.cancel().isCancelled() ? "cancelled" : "error");
            GatewayError err = e instanceof GatewayError.Failure f ? f.error()
                    : new GatewayError.Internal("the stream failed");
            Buffer body = Buffer.buffer(ErrorResponses.body(err).toString());
            x.client().abortStream(body);
            return Future.succeededFuture(new Outcome.Failed(err));
        });
    }

    /** A held answer that can be released or withheld once. */
    private static final class Hold implements HeldAnswer {
        private final AtomicBoolean done = new AtomicBoolean();
        private final Supplier<Outcome> release;
        private final Function<GatewayError, Outcome> withhold;

        Hold(Supplier<Outcome> release, Function<GatewayError, Outcome> withhold) {
            this.release = release;
            this.withhold = withhold;
        }

        @Override
        public Future<Outcome> release() {
            if (!done.compareAndSet(false, true)) return Future.failedFuture(new IllegalStateException("the answer was already released or withheld"));
            try {
                return Future.succeededFuture(release.get());
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        }

        @Override
        public Future<Outcome> withhold(GatewayError why) {
            if (!done.compareAndSet(false, true)) return Future.failedFuture(new IllegalStateException("the answer was already released or withheld"));
            return Future.succeededFuture(withhold.apply(why));
        }
    }
}
