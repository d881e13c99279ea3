package dev.llmgateway.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Google Gemini's wire format for {@link FakeUpstream}: GenerateContentResponse bodies, the SSE chunks of
 * {@code streamGenerateContent?alt=sse}, and Google's error shape. Usage counts words, as the other fakes do:
 * {@code promptTokenCount} = words of the contents and systemInstruction, {@code candidatesTokenCount} = words answered.
 */
final class FakeGemini {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private FakeGemini() {}

    static int promptWords(JsonNode body) {
        int words = 0;
        for (JsonNode part : body.path("systemInstruction").path("parts")) words += words(part.path("text").asText(""));
        for (JsonNode c : body.path("contents")) {
            for (JsonNode part : c.path("parts")) words += words(part.path("text").asText(""));
        }
        return words;
    }

    private static int words(String t) { return t.isBlank() ? 0 : t.trim().split("\\s+").length; }

    /** The first declared function, which the fake then calls; null when no tools were declared. */
    static String firstFunction(JsonNode body) {
        JsonNode decl = body.path("tools").path(0).path("functionDeclarations").path(0);
        return decl.isMissingNode() ? null : decl.path("name").asText();
    }

    /** {@code batchEmbedContents}: one 3-dimensional vector per request (its length is outputDimensionality if given). */
    static ObjectNode embeddings(JsonNode body) {
        ObjectNode out = F.objectNode();
        ArrayNode list = out.putArray("embeddings");
        for (JsonNode r : body.path("requests")) {
            ArrayNode values = list.addObject().putArray("values");
            int dims = r.path("outputDimensionality").asInt(3);
            for (int i = 0; i < dims; i++) values.add(0.1 * (i + 1));
        }
        return out;
    }

    static ObjectNode error(int status, String message) {
        ObjectNode out = F.objectNode();
        ObjectNode e = out.putObject("error");
        e.put("code", status);
        e.put("message", message);
        e.put("status", switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        });
        return out;
    }

    static ObjectNode response(String model, String text, int promptWords, String tool, String finish) {
        ObjectNode out = F.objectNode();
        ObjectNode candidate = out.putArray("candidates").addObject();
        ObjectNode content = candidate.putObject("content");
        ArrayNode parts = content.putArray("parts");
        int answered;
        if (tool != null) {
            ObjectNode fc = parts.addObject().putObject("functionCall");
            fc.put("name", tool);
            fc.putObject("args").put("q", "x");
            answered = 5;
        } else {
            parts.addObject().put("text", text);
            answered = words(text);
        }
        content.put("role", "model");
        candidate.put("finishReason", finish);
        candidate.put("index", 0);
        out.set("usageMetadata", usage(promptWords, answered));
        out.put("modelVersion", model);
        out.put("responseId", "fake-gemini-1");
        return out;
    }

    /** One chunk per word, each with running usage; the last carries finishReason and the final counts. */
    static List<ObjectNode> streamChunks(String model, String text, int promptWords, String tool, String finish) {
        List<ObjectNode> out = new ArrayList<>();
        if (tool != null) {
            ObjectNode r = response(model, text, promptWords, tool, finish);
            out.add(r);
            return out;
        }
        String[] words = text.split(" ");
        for (int i = 0; i < words.length; i++) {
            ObjectNode chunk = F.objectNode();
            ObjectNode candidate = chunk.putArray("candidates").addObject();
            ObjectNode content = candidate.putObject("content");
            content.putArray("parts").addObject().put("text", (i == 0 ? "" : " ") + words[i]);
            content.put("role", "model");
            candidate.put("index", 0);
            if (i == words.length - 1) candidate.put("finishReason", finish);
            chunk.set("usageMetadata", usage(promptWords, i + 1));
            chunk.put("modelVersion", model);
            chunk.put("responseId", "fake-gemini-1");
            out.add(chunk);
        }
        return out;
    }

    private static ObjectNode usage(int prompt, int candidates) {
        ObjectNode u = F.objectNode();
        u.put("promptTokenCount", prompt);
        u.put("candidatesTokenCount", candidates);
        u.put("totalTokenCount", prompt + candidates);
        return u;
    }
}
