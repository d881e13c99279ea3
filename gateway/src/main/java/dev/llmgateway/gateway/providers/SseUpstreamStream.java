package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.Optional;

/**
 * An accepted upstream stream of Server-Sent Events, the part every HTTP adapter shares: the body is pumped through an
 * {@link SseParser} with backpressure and the deployment's idle timeout, a failure raised while handling an event ends
 * the stream (and cancels the upstream) in one place, a {@code [DONE]} sentinel is skipped, and nothing is handled
 * after the stream has ended. Subclasses translate the provider's events into OpenAI chunks ({@link #onEvent}) and say
 * how the body's end ends the stream ({@link #onEnd}).
 */
public abstract class SseUpstreamStream implements UpstreamStream {
    private static final ObjectMapper JSON = new ObjectMapper();

    protected final ProviderCall call;
    private final UpstreamHttp.Exchange exchange;

    protected SseUpstreamStream(ProviderCall call, UpstreamHttp.Exchange exchange) {
        this.call = call;
        this.exchange = exchange;
    }

    /**
     * One event of the body ({@code event} is its SSE event name, empty when none). Throw a {@link GatewayError.Failure}
     * ({@link #midStreamError}, or the one {@link #json} raises) to end the stream with that error.
     */
    protected abstract void onEvent(String event, String data, ChunkSink sink);

    /** The body ended: how the stream ended, or throw a {@link GatewayError.Failure} ({@link #endedEarly}) if it broke off. */
    protected abstract End onEnd(ChunkSink sink);

    @Override
    public final Future<End> start(ChunkSink sink) {
        Promise<End> done = Promise.promise();
        SseParser parser = new SseParser((event, data) -> {
            if (done.future().isComplete() || data.equals("[DONE]")) return;
            try {
                onEvent(event, data, sink);
            } catch (GatewayError.Failure f) {
                done.tryFail(f);
                exchange.cancel();
            }
        });
        exchange.pump(deployment(), parser, done, () -> {
            if (done.future().isComplete()) return;
            try {
                done.tryComplete(onEnd(sink));
            } catch (GatewayError.Failure f) {
                done.tryFail(f);
            }
        }, sink, call.deployment().resilience().idleTimeout());
        return done.future();
    }

    @Override
    public void cancel() { exchange.cancel(); }

    protected final String deployment() { return call.deployment().name(); }

    /** An event's data as JSON; data that is not JSON fails the stream as an unavailable upstream. */
    protected final JsonNode json(String data) {
        try {
            return JSON.readTree(data);
        } catch (IOException e) {
            throw malformedEvent();
        }
    }

    /** The failure for an event whose data is not JSON: an unavailable upstream. */
    protected final GatewayError.Failure malformedEvent() {
        return new GatewayError.Failure(new GatewayError.UpstreamUnavailable(deployment(),
                "upstream '" + deployment() + "' sent a malformed stream event"));
    }

    /** The upstream reported an error inside an accepted stream: a 502 carrying its (scrubbed) message. */
    protected final GatewayError.Failure midStreamError(String upstreamMessage) {
        return new GatewayError.Failure(new GatewayError.UpstreamFailed(deployment(), 502,
                "upstream '" + deployment() + "' failed mid-stream: " + UpstreamErrors.scrub(upstreamMessage), Optional.empty()));
    }

    /** The body ended before the event that ends a complete answer ({@code what}, e.g. {@code message_stop}). */
    protected final GatewayError.Failure endedEarly(String what) {
        return new GatewayError.Failure(new GatewayError.UpstreamUnavailable(deployment(),
                "upstream '" + deployment() + "' ended the stream before " + what));
    }
}
