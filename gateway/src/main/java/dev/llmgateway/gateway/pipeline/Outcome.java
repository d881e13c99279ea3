package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.metering.UsageEvent;
import java.util.Optional;

/**
 * What a stage hands back up the chain. Results flow up, never through the {@link Exchange}: Dispatch returns the
 * {@link Replied} reply, Respond writes it and returns it {@link Held} before its last bytes, Meter makes the usage
 * record durable, releases the answer and returns {@link Answered} or {@link Failed} carrying that usage record, and
 * Admit settles its budget reservation to the exact charge in it.
 */
public sealed interface Outcome {
    /** Dispatch's result: the upstream accepted; nothing has been written to the client yet. */
    record Replied(Reply reply) implements Outcome {}

    /**
     * Respond's result: the answer is written except its last bytes (the JSON body, or the stream's end and
     * {@code [DONE]}), and its usage is final. The stage above must {@link HeldAnswer#release release} it once the usage
     * record is durable, or {@link HeldAnswer#withhold withhold} it; the pipeline refuses a held answer that reaches the top.
     */
    record Held(HeldAnswer answer) implements Outcome {}

    /** The client got a complete answer; {@code usage} is its usage record (the exact charge), once Meter has passed. */
    record Answered(int status, Optional<UsageEvent> usage) implements Outcome {
        public Answered(int status) { this(status, Optional.empty()); }
    }

    /**
     * The request failed; if the response was not committed yet the pipeline writes the error. {@code usage} is what was
     * consumed and charged anyway (a stream broken midway), once Meter has passed.
     */
    record Failed(GatewayError error, Optional<UsageEvent> usage) implements Outcome {
        public Failed(GatewayError error) { this(error, Optional.empty()); }
    }

    /** The usage record carried back up: the exact charge Admit settles to; empty before Meter or when not metered. */
    default Optional<UsageEvent> usage() {
        return switch (this) {
            case Answered a -> a.usage();
            case Failed f -> f.usage();
            case Replied r -> Optional.empty();
            case Held h -> Optional.empty();
        };
    }
}
