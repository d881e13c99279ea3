package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.UpstreamStream;

/** What Dispatch returns up to Respond (in {@link Outcome.Replied}): a whole answer or an accepted, not yet started stream. */
public sealed interface Reply {
    record Whole(Completion completion) implements Reply {}

    record Streaming(UpstreamStream stream) implements Reply {}
}
