package dev.llmgateway.gateway.providers.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.engine.Cancellation;
import dev.llmgateway.engine.Embedding;
import dev.llmgateway.engine.LocalEngine;
import dev.llmgateway.gateway.api.OpenAiJson;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Completion;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.Usage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * OpenAI's {@code /v1/embeddings} answered by an embedded model loaded with {@code engine.mode: embedding}: input a
 * string or an array of strings, {@code encoding_format} {@code float} or {@code base64} (little-endian float32, as
 * OpenAI sends it), {@code dimensions} only as the model's own size (the engine cannot shorten vectors). Usage is the
 * exact count of tokens the model evaluated, BOS included (docs/engine.md, "Embeddings").
 */
final class EmbeddedEmbeddings {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Most inputs in one request (OpenAI's limit). */
    static final int MAX_INPUTS = 2048;

    private EmbeddedEmbeddings() {}

    record Request(List<String> inputs, boolean base64) {}

    /** Checks the body against what this engine serves; every problem is a 400 naming the parameter. */
    static Request validate(ProviderCall call, LocalEngine engine) {
        String dep = call.deployment().name();
        if (!engine.isEmbeddingModel(dep)) {
            throw bad("deployment '" + dep + "' (embedded) is loaded for text generation, not embeddings; "
                    + "give an embedding deployment engine.mode: embedding", "model");
        }
        ObjectNode body = call.body();
        JsonNode input = body.get("input");
        List<String> inputs = new ArrayList<>();
        if (input != null && input.isTextual()) {
            inputs.add(input.asText());
        } else if (input != null && input.isArray()) {
            if (input.size() > MAX_INPUTS) throw bad("'input' has more than " + MAX_INPUTS + " entries", "input");
            for (int i = 0; i < input.size(); i++) {
                JsonNode s = input.get(i);
                if (s.isNumber() || s.isArray()) throw bad("'input' as token ids is not supported by the embedded engine; send text", "input");
                if (!s.isTextual()) throw bad("'input[" + i + "]' must be a string", "input[" + i + "]");
                inputs.add(s.asText());
            }
        } else {
            throw bad("'input' must be a string or a non-empty array of strings", "input");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).isEmpty()) throw bad("'input" + (input.isArray() ? "[" + i + "]" : "") + "' must not be empty", "input");
        }
        JsonNode format = body.get("encoding_format");
        boolean base64 = false;
        if (format != null && !format.isNull()) {
            if (!format.isTextual() || !(format.asText().equals("float") || format.asText().equals("base64"))) {
                throw bad("'encoding_format' must be float or base64", "encoding_format");
            }
            base64 = format.asText().equals("base64");
        }
        JsonNode dims = body.get("dimensions");
        if (dims != null && !dims.isNull()) {
            int size = engine.embeddingLength(dep);
            if (!dims.isIntegralNumber() || !dims.canConvertToInt() || dims.asInt() < 1) {
                throw bad("'dimensions' must be a positive integer", "dimensions");
            }
            if (dims.asInt() != size) {
                throw bad("deployment '" + dep + "' produces " + (size > 0 ? size + "-dimensional embeddings" : "embeddings of one fixed size")
                        + " and cannot shorten them; leave 'dimensions' out" + (size > 0 ? " or give " + size : ""), "dimensions");
            }
        }
        return new Request(List.copyOf(inputs), base64);
    }

    /** Embeds every input in order (blocking; on a worker or virtual thread). */
    static Completion run(ProviderCall call, LocalEngine engine, Request req, Cancellation cancel) {
        String dep = call.deployment().name();
        ObjectNode out = F.objectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        long tokens = 0;
        for (int i = 0; i < req.inputs().size(); i++) {
            Embedding e = engine.embed(dep, req.inputs().get(i), cancel);
            tokens += e.promptTokens();
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            if (req.base64()) {
                ByteBuffer b = ByteBuffer.allocate(e.vector().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : e.vector()) b.putFloat(f);
                item.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode v = item.putArray("embedding");
                for (float f : e.vector()) v.add(f);
            }
        }
        out.put("model", call.deployment().model());
        int prompt = (int) Math.min(Integer.MAX_VALUE, tokens);
        out.putObject("usage").put("prompt_tokens", prompt).put("total_tokens", prompt);
        return new Completion(OpenAiJson.buffer(out), new Usage(prompt, 0, 0, false), "stop");
    }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param));
    }
}
