package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;

/**
 * An answer Respond has written up to, not including, its last bytes. This is how "no answer is complete before its
 * usage record is durable" is kept: Meter, directly above Respond, calls {@link #release} only after the journal has the
 * record, or {@link #withhold} when it cannot be recorded. Exactly one of the two, once.
 */
public interface HeldAnswer {
    /** Writes the last bytes (the JSON body, or the stream's end and {@code [DONE]}); completes with Respond's outcome. */
    Future<Outcome> release();

    /** Does not complete the answer: a whole body is not sent, a stream ends with {@code why} and no {@code [DONE]}. */
    Future<Outcome> withhold(GatewayError why);
}
