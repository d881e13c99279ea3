package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.UpstreamStream;

/** What the Dispatch stage hands the Respond stage: a whole answer or an accepted, not yet started stream. */
public sealed interface Reply {
    record Whole(Completion completion) implements Reply {}

    record Streaming(UpstreamStream stream) implements Reply {}
}
