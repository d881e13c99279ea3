package dev.llmgateway.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The key of a cached answer: SHA-256 over the team, the route, the endpoint kind and the normalized request. The
 * normalized request is the client's OpenAI-format body with object keys sorted (recursively) and the fields that do
 * not change the answer removed ({@code user}, {@code metadata}, {@code store}, {@code service_tier}). {@code stream}
 * and {@code stream_options} stay: a stream and a whole answer are different wire forms, each cached on its own.
 */
public record CacheKey(byte[] digest, String teamId, String route) {
    /** Request fields left out of the key. */
    static final Set<String> IGNORED = Set.of("user", "metadata", "store", "service_tier");
    private static final ObjectMapper JSON = new ObjectMapper();

    public static CacheKey of(String teamId, String route, String kind, ObjectNode request) {
        ObjectNode normalized = (ObjectNode) canonical(request);
        IGNORED.forEach(normalized::remove);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {teamId, route, kind}) {
                byte[] b = part.getBytes(StandardCharsets.UTF_8);
                sha.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) ':');
                sha.update(b);
            }
            sha.update(JSON.writeValueAsBytes(normalized));
            return new CacheKey(sha.digest(), teamId, route);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of {@code n} with every object's keys in sorted order. */
    static JsonNode canonical(JsonNode n) {
        if (n.isObject()) {
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (String name : names) out.set(name, canonical(n.get(name)));
            return out;
        }
        if (n.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            n.forEach(e -> out.add(canonical(e)));
            return out;
        }
        // 0, 0.0 and 0e0 are one number (SDKs differ in how they write it); tagged so no string can equal it
        if (n.isNumber()) return JsonNodeFactory.instance.textNode("\u0000n:" + n.decimalValue().stripTrailingZeros().toPlainString());
        return n;
    }

    /** Whether the request asks for a reproducible answer: temperature 0, or a seed. */
    public static boolean deterministic(ObjectNode request) {
        JsonNode seed = request.get("seed");
        if (seed != null && !seed.isNull()) return true;
        JsonNode t = request.get("temperature");
        return t != null && t.isNumber() && t.decimalValue().signum() == 0;
    }

    public String hex() { return HexFormat.of().formatHex(digest); }

    @Override
    public boolean equals(Object o) { return o instanceof CacheKey k && java.util.Arrays.equals(digest, k.digest); }

    @Override
    public int hashCode() { return java.util.Arrays.hashCode(digest); }

    @Override
    public String toString() { return hex(); }
}
