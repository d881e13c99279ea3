package dev.llmgateway.gateway.providers;

import io.vertx.core.buffer.Buffer;

/** A finished non-streaming answer: the OpenAI-format JSON body to send, and its usage. */
public record Completion(Buffer body, Usage usage, String finishReason) {}
