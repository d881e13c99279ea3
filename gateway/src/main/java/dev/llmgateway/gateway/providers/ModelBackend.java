package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;

/**
 * The one interface between "what we ask" and "who answers": every provider adapter and the embedded engine implement it.
 * Futures fail with {@link GatewayError.Failure}; nothing here ever writes to the client.
 */
public interface ModelBackend {

    /** A non-streaming chat completion; the body is already in OpenAI's format. */
    Future<Completion> complete(ProviderCall call);

    /**
     * Opens a stream. The future completes once the upstream accepted the request (before any chunk is delivered), so
     * the caller may still retry or fall back; chunks flow only after {@link UpstreamStream#start}.
     */
    Future<UpstreamStream> stream(ProviderCall call);

    /**
     * A non-streaming legacy completion ({@code /v1/completions}); the body is a {@code text_completion}. By default the
     * prompt is sent as the one user message of a chat completion and the answer rewritten ({@link TextCompletions}).
     */
    default Future<Completion> completeText(ProviderCall call) { return TextCompletions.viaChat(this, call); }

    /** A streamed legacy completion: {@code text_completion} chunks; by default through chat, like {@link #completeText}. */
    default Future<UpstreamStream> streamText(ProviderCall call) { return TextCompletions.streamViaChat(this, call); }

    /** {@code /v1/embeddings}; by default unsupported. */
    default Future<Completion> embed(ProviderCall call) {
        return Future.failedFuture(new GatewayError.Failure(new GatewayError.BadRequest(
                "deployment '" + call.deployment().name() + "' does not serve embeddings", "model")));
    }
}
