package dev.llmgateway.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.errors.GatewayError;
import java.util.Iterator;
import java.util.Map;

/**
 * Edge rules for client text that can reach storage or a log: no NUL character (PostgreSQL text and jsonb refuse it) and
 * no unpaired UTF-16 surrogate (it has no UTF-8 form), in any string value or object key of a body; and the documented
 * length caps of the fields the gateway keeps. Every violation is a 400 naming the field in {@code param}.
 */
public final class ClientText {
    /** Longest {@code user} (end-user id): it is stored with every usage record and keys per-user license figures. */
    public static final int USER_MAX_CHARS = 256;
    /** Longest {@code model} name. */
    public static final int MODEL_MAX_CHARS = 256;
    /** Longest {@code messages[].name}. */
    public static final int NAME_MAX_CHARS = 64;
    /** Longest tool (function) name; the characters allowed are OpenAI's {@code [a-zA-Z0-9_-]}. */
    public static final int TOOL_NAME_MAX_CHARS = 64;
    /** Longest stop string. */
    public static final int STOP_MAX_CHARS = 256;
    /** {@code metadata}: at most 16 pairs, keys up to 64 characters, values up to 512 (OpenAI's documented limits). */
    public static final int METADATA_MAX_PAIRS = 16, METADATA_KEY_MAX_CHARS = 64, METADATA_VALUE_MAX_CHARS = 512;

    private ClientText() {}

    /** Checks every string and key under {@code node}; {@code path} names the node itself ("" for a body). */
    public static void checkTree(JsonNode node, String path) {
        if (node == null) return;
        if (node.isTextual()) {
            check(node.asText(), path);
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) checkTree(node.get(i), path + "[" + i + "]");
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String child = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                String bad = problem(f.getKey());
                if (bad != null) throw bad("a field name " + (path.isEmpty() ? "" : "in '" + printable(path) + "' ") + "contains " + bad, path.isEmpty() ? null : path);
                checkTree(f.getValue(), child);
            }
        }
    }

    /** Checks one string: no NUL, no unpaired surrogate. */
    public static void check(String s, String param) {
        String bad = problem(s);
        if (bad != null) throw bad("'" + param + "' contains " + bad, param);
    }

    /** Checks a string's length in characters (code points). */
    public static void checkLength(String s, int maxChars, String param) {
        if (s != null && s.length() > maxChars && s.codePointCount(0, s.length()) > maxChars) {
            throw bad("'" + param + "' is longer than " + maxChars + " characters", param);
        }
    }

    /** What is wrong with a string, or null. */
    static String problem(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) return "a NUL character (\\u0000), which cannot be stored";
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "an unpaired UTF-16 surrogate, which is not valid Unicode text";
            }
            if (Character.isLowSurrogate(c)) return "an unpaired UTF-16 surrogate, which is not valid Unicode text";
        }
        return null;
    }

    /** A path is built from client keys: keep it short and free of control characters in messages. */
    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** A request body as a JSON object; anything else is a 400 (every inbound API parses its body through this). */
    public static com.fasterxml.jackson.databind.node.ObjectNode readObject(byte[] body) {
        JsonNode root;
        try {
            root = body.length == 0 ? null : JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw bad("We could not parse the JSON body of your request: it is not valid JSON.", null);
        }
        if (root == null || !root.isObject()) throw bad("The request body must be a JSON object.", null);
        return (com.fasterxml.jackson.databind.node.ObjectNode) root;
    }

    private static GatewayError.Failure bad(String message, String param) {
        return new GatewayError.Failure(new GatewayError.BadRequest(message, param == null ? null : printable(param)));
    }
}
