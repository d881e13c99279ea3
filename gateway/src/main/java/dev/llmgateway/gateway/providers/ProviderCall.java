package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;

/**
 * One attempt against one deployment: the client's request (chat or embeddings body) and where it goes. {@code bytes}
 * are the client's body exactly as {@code body} was parsed from (an adapter may forward them with the model patched in
 * place instead of writing the tree again), or null when {@code body} was built or changed by the gateway.
 */
public record ProviderCall(String requestId, Deployment deployment, ObjectNode body, ChatRequest chat, CancelToken cancel,
                           io.vertx.core.buffer.Buffer bytes) {
    /** A call whose body was built by the gateway (no client bytes to forward). */
    public ProviderCall(String requestId, Deployment deployment, ObjectNode body, ChatRequest chat, CancelToken cancel) {
        this(requestId, deployment, body, chat, cancel, null);
    }
}
