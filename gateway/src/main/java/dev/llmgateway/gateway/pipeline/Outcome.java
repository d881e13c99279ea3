package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.GatewayError;

/** How an exchange ended, once its answer has been written (or must still be written, for {@code Failed} before commit). */
public sealed interface Outcome {
    /** The client got a complete answer. */
    record Answered(int status) implements Outcome {}

    /** The request failed; if the response was not committed yet the pipeline writes the error. */
    record Failed(GatewayError error) implements Outcome {}
}
