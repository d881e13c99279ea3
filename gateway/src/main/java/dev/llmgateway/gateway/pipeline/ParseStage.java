package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;

/** Parses and validates the OpenAI request body; every problem is a 400 naming the parameter. */
public final class ParseStage implements Stage {

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        ObjectNode json;
        try {
            json = dev.llmgateway.gateway.api.ClientText.readObject(x.body().getBytes());
        } catch (GatewayError.Failure f) {
            return Future.failedFuture(f);
        }
        switch (x.kind()) {
            case CHAT -> x.parsed(json, ChatRequest.parse(json));
            case COMPLETIONS -> x.parsed(json, dev.llmgateway.gateway.api.completions.CompletionsRequest.parse(json));
            case EMBEDDINGS -> {
                dev.llmgateway.gateway.api.ClientText.checkTree(json, "");
                JsonNode model = json.get("model");
                if (model == null || !model.isTextual() || model.asText().isBlank()) return bad("'model' is required", "model");
                JsonNode input = json.get("input");
                if (input == null || !(input.isTextual() || (input.isArray() && !input.isEmpty()))) {
                    return bad("'input' must be a string or a non-empty array", "input");
                }
                dev.llmgateway.gateway.api.ClientText.checkLength(model.asText(), dev.llmgateway.gateway.api.ClientText.MODEL_MAX_CHARS, "model");
                JsonNode user = json.get("user");
                if (user != null && !user.isNull()) {
                    if (!user.isTextual()) return bad("'user' must be a string", "user");
                    dev.llmgateway.gateway.api.ClientText.checkLength(user.asText(), dev.llmgateway.gateway.api.ClientText.USER_MAX_CHARS, "user");
                }
                x.parsed(json, null);
            }
        }
        return next.proceed(x);
    }

    private static Future<Outcome> bad(String message, String param) {
        return Future.failedFuture(new GatewayError.Failure(new GatewayError.BadRequest(message, param)));
    }
}
