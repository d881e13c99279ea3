package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import java.io.IOException;

/** Parses and validates the OpenAI request body; every problem is a 400 naming the parameter. */
public final class ParseStage implements Stage {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        JsonNode body;
        try {
            body = x.body().length() == 0 ? null : JSON.readTree(x.body().getBytes());
        } catch (IOException e) {
            return bad("We could not parse the JSON body of your request: it is not valid JSON.", null);
        }
        if (body == null || !body.isObject()) return bad("The request body must be a JSON object.", null);
        ObjectNode json = (ObjectNode) body;
        switch (x.kind()) {
            case CHAT -> x.parsed(json, ChatRequest.parse(json));
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
