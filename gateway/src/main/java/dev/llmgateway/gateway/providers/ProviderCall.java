package dev.llmgateway.gateway.providers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;

/** One attempt against one deployment: the client's request (chat or embeddings body) and where it goes. */
public record ProviderCall(String requestId, Deployment deployment, ObjectNode body, ChatRequest chat, CancelToken cancel) {}
