package dev.llmgateway.gateway.providers.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.providers.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte-level pass-through gives exactly what the JSON tree round trip gave. */
class OpenAiBytesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode patched(String body, String model, boolean stream) throws Exception {
        byte[] out = OpenAiBytes.patch(body.getBytes(StandardCharsets.UTF_8), model, stream);
        assertThat(out).as("patched %s", body).isNotNull();
        return JSON.readTree(out);
    }

    /** What the tree path sends: the body with model set and, for a stream, stream_options replaced. */
    private static JsonNode viaTree(String body, String model, boolean stream) throws Exception {
        ObjectNode raw = (ObjectNode) JSON.readTree(body);
        raw.put("model", model);
        if (stream) raw.set("stream_options", JSON.createObjectNode().put("include_usage", true));
        return raw;
    }

    @Test
    void swapsTheModelAndLeavesEverythingElseByteForByte() throws Exception {
        String body = "{ \"model\" : \"gpt-x\",\n \"messages\":[{\"role\":\"user\",\"content\":\"say \\\"model\\\": 1.50e3\"}], \"temperature\": 1.50 }";
        byte[] out = OpenAiBytes.patch(body.getBytes(StandardCharsets.UTF_8), "upstream/m\"odel\u00e9", false);
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo(
                "{ \"model\" : \"upstream/m\\\"odel\u00e9\",\n \"messages\":[{\"role\":\"user\",\"content\":\"say \\\"model\\\": 1.50e3\"}], \"temperature\": 1.50 }");
    }

    @Test
    void nestedModelKeysAreNotTouched() throws Exception {
        String body = "{\"metadata\":{\"model\":\"keep\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"model\":\"keep\"}],\"model\":\"a\"}";
        JsonNode out = patched(body, "b", false);
        assertThat(out.path("metadata").path("model").asText()).isEqualTo("keep");
        assertThat(out.path("messages").path(0).path("model").asText()).isEqualTo("keep");
        assertThat(out.path("model").asText()).isEqualTo("b");
    }

    @Test
    void streamOptionsAreAddedOrReplaced() throws Exception {
        String absent = "{\"model\":\"a\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(patched(absent, "b", true)).isEqualTo(viaTree(absent, "b", true));
        String given = "{\"model\":\"a\",\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":[1,{\"y\":2}]},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(patched(given, "b", true)).isEqualTo(viaTree(given, "b", true));
        String nul = "{\"model\":\"a\",\"stream\":true,\"stream_options\":null  ,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(patched(nul, "b", true)).isEqualTo(viaTree(nul, "b", true));
        String last = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"model\":\"a\",\"stream_options\":{}}";
        assertThat(patched(last, "b", true)).isEqualTo(viaTree(last, "b", true));
        // Not a stream: stream_options (absent by validation) are not added.
        assertThat(patched(absent.replace("true", "false"), "b", false).has("stream_options")).isFalse();
    }

    @Test
    void aByteOrderMarkBeforeTheBodyIsKeptAndTheModelStillSwapped() throws Exception {
        String body = "\uFEFF{\"model\":\"a\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        byte[] out = OpenAiBytes.patch(body.getBytes(StandardCharsets.UTF_8), "b", true);
        assertThat(out).isNotNull();
        assertThat(JSON.readTree(out)).isEqualTo(viaTree(body.substring(1), "b", true));
    }

    @Test
    void anythingButOneJsonObjectIsNotPatched() {
        assertThat(OpenAiBytes.patch("[1]".getBytes(StandardCharsets.UTF_8), "m", false)).isNull();
        assertThat(OpenAiBytes.patch("{\"model\":\"a\"".getBytes(StandardCharsets.UTF_8), "m", false)).isNull();
        assertThat(OpenAiBytes.patch("nope".getBytes(StandardCharsets.UTF_8), "m", false)).isNull();
    }

    /** Seeded random bodies (field order, whitespace, nesting, escapes): the patch equals the tree path. */
    @Test
    void randomBodiesMatchTheTreePath() throws Exception {
        Random r = new Random(18);
        for (int i = 0; i < 2000; i++) {
            List<String> fields = new ArrayList<>();
            fields.add("\"model\"" + ws(r) + ":" + ws(r) + str(r));
            fields.add("\"messages\":[{\"role\":\"user\",\"content\":" + str(r) + "}]");
            boolean stream = r.nextBoolean();
            if (stream) fields.add("\"stream\":true");
            if (stream && r.nextBoolean()) fields.add("\"stream_options\":" + (r.nextBoolean() ? "null" : "{\"include_usage\":" + r.nextBoolean() + "}"));
            if (r.nextBoolean()) fields.add("\"temperature\":" + r.nextInt(3) + "." + r.nextInt(100));
            if (r.nextBoolean()) fields.add("\"metadata\":{\"model\":" + str(r) + ",\"stream_options\":" + str(r) + "}");
            if (r.nextBoolean()) fields.add("\"stop\":[" + str(r) + "," + str(r) + "]");
            java.util.Collections.shuffle(fields, r);
            StringBuilder body = new StringBuilder(ws(r) + "{" + ws(r));
            for (int f = 0; f < fields.size(); f++) body.append(f == 0 ? "" : "," + ws(r)).append(fields.get(f)).append(ws(r));
            body.append("}").append(ws(r));
            String model = r.nextBoolean() ? "m-" + i : "q\"\\/\u00fc\u4e2d" + i;
            assertThat(patched(body.toString(), model, stream)).as(body.toString()).isEqualTo(viaTree(body.toString(), model, stream));
        }
    }

    private static String ws(Random r) { return switch (r.nextInt(4)) { case 0 -> ""; case 1 -> " "; case 2 -> "\n  "; default -> "\t"; }; }

    private static String str(Random r) {
        String[] parts = {"a", "\\\"", "\\\\", "\\u00e9", "\u4e2d", "}", "{", ",", ":", " ", "model", "\\n"};
        StringBuilder sb = new StringBuilder("\"");
        for (int i = r.nextInt(6); i > 0; i--) sb.append(parts[r.nextInt(parts.length)]);
        return sb.append('"').toString();
    }

    private static OpenAiBytes.Answer scan(String answer) throws Exception { return OpenAiBytes.scan(answer.getBytes(StandardCharsets.UTF_8)); }

    @Test
    void scanReadsUsageAndFinishReasonAsTheTreeDid() throws Exception {
        OpenAiBytes.Answer a = scan("{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"length\"},"
                + "{\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":\"7\",\"total_tokens\":19,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":4.9,\"audio_tokens\":0}}}");
        assertThat(a.usage()).isEqualTo(new Usage(12, 7, 4, false));
        assertThat(a.finishReason()).isEqualTo("length");
        // usage before choices, finish_reason null, no choices at all
        assertThat(scan("{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"choices\":[{\"finish_reason\":null}]}"))
                .isEqualTo(new OpenAiBytes.Answer(new Usage(1, 2, 0, false), "stop"));
        assertThat(scan("{\"usage\":{\"prompt_tokens\":1},\"choices\":[]}").finishReason()).isEqualTo("stop");
        assertThat(scan("{\"usage\":{},\"choices\":\"x\"}")).isEqualTo(new OpenAiBytes.Answer(new Usage(0, 0, 0, false), "stop"));
    }

    @Test
    void anAnswerWithoutUsageIsLeftToTheTreeAndMalformedOnesFail() throws Exception {
        assertThat(scan("{\"choices\":[{\"finish_reason\":\"stop\"}]}")).isNull();
        assertThat(scan("{\"usage\":null,\"choices\":[]}")).isNull();
        assertThat(scan("{\"usage\":{\"prompt_tokens\":1},\"usage\":null}")).isNull();
        assertThat(scan("[1,2]")).isNull();
        assertThatThrownBy(() -> scan("{\"usage\":{\"prompt_tokens\":1},\"choices\":[")).isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> scan("{\"usage\":{\"prompt_tokens\":1} \"x\"")).isInstanceOf(java.io.IOException.class);
    }

    /** The tree reading of a stream chunk that {@link OpenAiBytes#scanChunk} replaces (the former OpenAiBackend.Stream code). */
    private static OpenAiBytes.Chunk chunkViaTree(String data) throws Exception {
        com.fasterxml.jackson.databind.JsonNode chunk = new com.fasterxml.jackson.databind.ObjectMapper().readTree(data);
        boolean error = chunk.has("error");
        String message = chunk.path("error").path("message").asText("");
        com.fasterxml.jackson.databind.JsonNode u = chunk.get("usage");
        Usage usage = u == null || !u.isObject() ? null : new Usage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0),
                u.path("prompt_tokens_details").path("cached_tokens").asInt(0), false);
        int chars = 0;
        String finish = null;
        com.fasterxml.jackson.databind.JsonNode choices = chunk.path("choices");
        for (com.fasterxml.jackson.databind.JsonNode c : choices) {
            com.fasterxml.jackson.databind.JsonNode content = c.path("delta").get("content");
            if (content != null && content.isTextual()) chars += content.asText().length();
            com.fasterxml.jackson.databind.JsonNode text = c.get("text");
            if (text != null && text.isTextual()) chars += text.asText().length();
            for (com.fasterxml.jackson.databind.JsonNode call : c.path("delta").path("tool_calls")) {
                chars += call.path("function").path("name").asText("").length() + call.path("function").path("arguments").asText("").length();
            }
            com.fasterxml.jackson.databind.JsonNode fr = c.get("finish_reason");
            if (fr != null && fr.isTextual()) finish = fr.asText();
        }
        return new OpenAiBytes.Chunk(error, error ? message : "", usage, chunk.hasNonNull("usage"), chars, finish,
                choices.size(), chunk.has("prompt_filter_results"));
    }

    /** Seeded random chunks (text, tool calls, usage, errors, Azure filter results, odd values): scan equals tree. */
    @Test
    void randomStreamChunksReadAsTheTreeDid() throws Exception {
        Random r = new Random(1806);
        String[] scalars = {"null", "true", "7", "2.5", "\"\"", "[]", "{}"};
        for (int i = 0; i < 3000; i++) {
            List<String> fields = new ArrayList<>();
            fields.add("\"id\":\"chatcmpl-" + i + "\"");
            if (r.nextInt(4) > 0) {
                List<String> choices = new ArrayList<>();
                for (int c = r.nextInt(3); c > 0; c--) {
                    List<String> cf = new ArrayList<>();
                    cf.add("\"index\":0");
                    if (r.nextBoolean()) {
                        List<String> delta = new ArrayList<>();
                        if (r.nextBoolean()) delta.add("\"content\":" + (r.nextInt(5) == 0 ? scalars[r.nextInt(scalars.length)] : str(r)));
                        if (r.nextBoolean()) delta.add("\"role\":\"assistant\"");
                        if (r.nextInt(3) == 0) {
                            delta.add("\"tool_calls\":[{\"index\":0,\"function\":{\"name\":" + (r.nextBoolean() ? str(r) : scalars[r.nextInt(scalars.length)])
                                    + ",\"arguments\":" + str(r) + "}}" + (r.nextBoolean() ? ",{\"id\":\"t\"}" : "") + "]");
                        }
                        java.util.Collections.shuffle(delta, r);
                        cf.add("\"delta\":{" + String.join(",", delta) + "}");
                    }
                    if (r.nextInt(4) == 0) cf.add("\"text\":" + (r.nextBoolean() ? str(r) : scalars[r.nextInt(scalars.length)]));
                    if (r.nextBoolean()) cf.add("\"finish_reason\":" + (r.nextBoolean() ? "\"stop\"" : r.nextBoolean() ? "null" : "\"length\""));
                    java.util.Collections.shuffle(cf, r);
                    choices.add("{" + String.join(",", cf) + "}");
                }
                fields.add("\"choices\":[" + String.join(",", choices) + "]");
            }
            if (r.nextInt(3) == 0) {
                fields.add("\"usage\":" + (r.nextInt(4) == 0 ? "null" : "{\"prompt_tokens\":" + r.nextInt(1000) + ",\"completion_tokens\":"
                        + r.nextInt(1000) + (r.nextBoolean() ? ",\"prompt_tokens_details\":{\"cached_tokens\":" + r.nextInt(50) + "}" : "") + "}"));
            }
            if (r.nextInt(8) == 0) fields.add("\"prompt_filter_results\":[{\"prompt_index\":0}]");
            if (r.nextInt(10) == 0) fields.add("\"error\":" + (r.nextBoolean() ? "{\"message\":" + str(r) + ",\"type\":\"x\"}" : scalars[r.nextInt(scalars.length)]));
            java.util.Collections.shuffle(fields, r);
            String data = "{" + String.join("," + ws(r), fields) + "}";
            assertThat(OpenAiBytes.scanChunk(data)).as(data).isEqualTo(chunkViaTree(data));
        }
        assertThat(OpenAiBytes.scanChunk("[1]")).isEqualTo(chunkViaTree("[1]"));
        assertThatThrownBy(() -> OpenAiBytes.scanChunk("{\"choices\":[")).isInstanceOf(java.io.IOException.class);
    }
}
