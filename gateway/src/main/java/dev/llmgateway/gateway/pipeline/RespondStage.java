package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.UpstreamStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/** Writes the dispatched reply in OpenAI's format: one JSON body, or SSE chunks ending in {@code data: [DONE]}. */
public final class RespondStage implements Stage {

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        return next.proceed(x).compose(o -> switch (x.reply()) {
            case Reply.Whole w -> whole(x, w.completion());
            case Reply.Streaming s -> stream(x, s.stream());
            case null -> Future.succeededFuture(o);
        });
    }

    private static Future<Outcome> whole(Exchange x, Completion c) {
        x.finished(c.usage(), c.finishReason());
        if (x.keepsOutputText()) x.appendOutputText(dev.llmgateway.gateway.api.OpenAiJson.choiceText(c.body(), "message"));
        return x.finishing().map(v -> {
            x.firstByte();
            x.client().sendJson(200, x.responseHeaders(), c.body());
            return new Outcome.Answered(200);
        });
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
        }).compose(end -> {
            x.finished(end.usage(), end.finishReason());
            return x.finishing().map(v -> {
                x.client().endStream();
                return (Outcome) new Outcome.Answered(200);
            });
        }).recover(e -> {
            x.finished(s.usageSoFar(), x.cancel().isCancelled() ? "cancelled" : "error");
            GatewayError err = e instanceof GatewayError.Failure f ? f.error()
                    : new GatewayError.Internal("the stream failed");
            Buffer body = Buffer.buffer(ErrorResponses.body(err).toString());
            x.client().abortStream(body);
            return Future.succeededFuture(new Outcome.Failed(err));
        });
    }
}
