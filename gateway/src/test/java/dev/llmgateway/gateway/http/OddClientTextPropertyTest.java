package dev.llmgateway.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import dev.llmgateway.metering.UsageEvent;
import dev.llmgateway.metering.UsageQueries;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seeded property test through the running gateway: random strings (every Unicode plane, NUL, lone surrogates,
 * control characters, very long values) in every client text field of a chat or embeddings request. Each request must be refused
 * with the 4xx an independent reference predicts (400 naming the field, 413 for an oversized body, 404 for an unknown
 * model), or answered and its usage stored; and an ordinary request right after must be stored within seconds (one
 * odd record never blocks the others).
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class OddClientTextPropertyTest {
    private static final long SEED = Long.getLong("oddtext.seed", 0x11_2026L);
    private static final int CASES = Integer.getInteger("oddtext.cases", 160);
    /** GatewayTestResource sets gateway.max-body-bytes to 64 KiB. */
    private static final int MAX_BODY_BYTES = 65536;
    private static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Set<String> KNOWN_FIELDS = Set.of("model", "messages", "stream", "stream_options", "max_tokens",
            "max_completion_tokens", "temperature", "top_p", "presence_penalty", "frequency_penalty", "n", "seed", "stop",
            "user", "tools", "tool_choice", "response_format", "metadata", "logit_bias", "logprobs", "top_logprobs");

    /** The client fields that carry free text. */
    enum Field {
        USER, MODEL, CONTENT, CONTENT_PART, NAME, STOP, METADATA_KEY, METADATA_VALUE, TOOL_NAME, TOOL_DESCRIPTION, EXTRA_KEY,
        EMBEDDINGS_INPUT, EMBEDDINGS_USER;

        boolean embeddings() { return this == EMBEDDINGS_INPUT || this == EMBEDDINGS_USER; }
    }
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.metering.Metering metering;

    @Test
    void everyOddStringIsRefusedClearlyOrStoredAndOrdinaryRequestsAreStoredRightAfter() throws Exception {
        String key = Http.newKey("odd-team");
        Random r = new Random(SEED);
        UsageQueries q = new UsageQueries(database.dataSource());
        int refused = 0, stored = 0;
        for (int i = 0; i < CASES; i++) {
            Field field = Field.values()[r.nextInt(Field.values().length)];
            String value = OddStrings.next(r);
            if (field == Field.EXTRA_KEY && KNOWN_FIELDS.contains(value)) value = value + "_x";
            String body = body(field, value, r);
            String what = "seed " + SEED + " case " + i + " field " + field + " value " + OddStrings.describe(value);

            Expected expected = expected(field, value, body.getBytes(StandardCharsets.UTF_8).length);
            HttpResponse<String> resp = Http.post(Http.gateway() + (field.embeddings() ? "/v1/embeddings" : "/v1/chat/completions"), key, body);
            what = what + " -> " + abbreviated(resp.body());
            assertThat(resp.statusCode()).as(what).isEqualTo(expected.status());
            if (expected.status() == 200) {
                UsageEvent e = storedWithinSeconds(q, resp, what);
                if (field == Field.USER) assertThat(e.endUser()).as(what).isEqualTo(value.isEmpty() ? null : value);
                stored++;
            } else {
                JsonNode err = Http.json(resp.body()).path("error");
                assertThat(err.path("message").asText()).as(what).isNotBlank();
                assertThat(err.path("type").asText()).as(what).isEqualTo("invalid_request_error");
                if (expected.param().isPresent()) assertThat(err.path("param").asText()).as(what).isEqualTo(expected.param().get());
                refused++;
            }
            HttpResponse<String> ordinary = Http.post(Http.gateway() + "/v1/chat/completions", key,
                    "{\"model\":\"gpt-test\",\"user\":\"ordinary\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(ordinary.statusCode()).as("ordinary request after " + what).isEqualTo(200);
            storedWithinSeconds(q, ordinary, "ordinary request after " + what);
        }
        // The generator reaches both outcomes often; a test that only ever refused (or stored) would prove little.
        assertThat(refused).isGreaterThan(CASES / 5);
        assertThat(stored).isGreaterThan(CASES / 5);
        assertThat(metering.writer().deadLettered()).as("validation keeps refused text out of PostgreSQL").isZero();
    }

    @Test
    void feedbackRefusesTextPostgresCannotStore() {
        String key = Http.newKey("odd-feedback-team");
        HttpResponse<String> nul = Http.post(Http.gateway() + "/v1/feedback", key,
                "{\"request_id\":\"x\",\"score\":\"up\",\"comment\":\"a\\u0000b\"}");
        assertThat(nul.statusCode()).isEqualTo(400);
        assertThat(Http.json(nul.body()).path("error").path("param").asText()).isEqualTo("comment");
        HttpResponse<String> lone = Http.post(Http.gateway() + "/v1/feedback", key, "{\"request_id\":\"\\ud800x\",\"score\":1}");
        assertThat(lone.statusCode()).isEqualTo(400);
        assertThat(Http.json(lone.body()).path("error").path("param").asText()).isEqualTo("request_id");
    }

    @Test
    void theAnthropicAndResponsesApisRefuseUnstorableTextNamingTheClientsOwnField() throws Exception {
        String key = Http.newKey("odd-inbound-team");
        HttpResponse<String> messages = Http.post(Http.gateway() + "/v1/messages", key,
                "{\"model\":\"gpt-test\",\"max_tokens\":10,\"system\":\"be\\u0000nice\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(messages.statusCode()).isEqualTo(400);
        assertThat(Http.json(messages.body()).path("error").path("message").asText()).contains("'system'").contains("NUL");
        HttpResponse<String> longUser = Http.post(Http.gateway() + "/v1/messages", key,
                "{\"model\":\"gpt-test\",\"max_tokens\":10,\"metadata\":{\"user_id\":\"" + "u".repeat(3000)
                        + "\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(longUser.statusCode()).isEqualTo(400);
        assertThat(Http.json(longUser.body()).path("error").path("message").asText()).contains("metadata.user_id");
        HttpResponse<String> responses = Http.post(Http.gateway() + "/v1/responses", key,
                "{\"model\":\"gpt-test\",\"input\":\"hi \\udc00 there\"}");
        assertThat(responses.statusCode()).isEqualTo(400);
        assertThat(Http.json(responses.body()).path("error").path("param").asText()).isEqualTo("input");
        HttpResponse<String> fine = Http.post(Http.gateway() + "/v1/responses", key,
                "{\"model\":\"gpt-test\",\"input\":\"hi \\ud83d\\ude00 there\"}");
        assertThat(fine.statusCode()).as(fine.body()).isEqualTo(200);
        storedWithinSeconds(new UsageQueries(database.dataSource()), fine, "a Responses request with an emoji");
    }

    private UsageEvent storedWithinSeconds(UsageQueries q, HttpResponse<String> resp, String what) throws InterruptedException {
        String id = resp.headers().firstValue("x-gateway-request-id").orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<UsageEvent> e = q.byRequestId(id);
            if (e.isPresent()) return e.get();
            Thread.sleep(20);
        }
        throw new AssertionError("no usage record within 5 s for " + what);
    }

    record Expected(int status, Optional<String> param) {
        static Expected ok() { return new Expected(200, Optional.empty()); }
        static Expected bad(String param) { return new Expected(400, Optional.ofNullable(param)); }
    }

    /** The reference: what the documented rules say about this value in this field. */
    static Expected expected(Field field, String v, int bodyBytes) {
        if (bodyBytes > MAX_BODY_BYTES) return new Expected(413, Optional.empty());
        boolean unstorable = v.indexOf('\0') >= 0 || hasLoneSurrogate(v);
        // Jackson's documented default limit on a field name (StreamReadConstraints.maxNameLength): not valid input.
        if ((field == Field.EXTRA_KEY || field == Field.METADATA_KEY) && v.length() > 50_000) return new Expected(400, Optional.empty());
        // Jackson refuses a broken surrogate pair in a field name as malformed JSON (400 before any field is known).
        if ((field == Field.EXTRA_KEY || field == Field.METADATA_KEY) && hasLoneSurrogate(v)) return new Expected(400, Optional.empty());
        int chars = v.codePointCount(0, v.length());
        return switch (field) {
            case USER -> unstorable ? Expected.bad("user") : chars > 256 ? Expected.bad("user") : Expected.ok();
            case MODEL -> unstorable || v.isBlank() || chars > 256 ? Expected.bad("model") : new Expected(404, Optional.of("model"));
            case CONTENT -> unstorable ? Expected.bad("messages[0].content") : Expected.ok();
            case CONTENT_PART -> unstorable ? Expected.bad("messages[0].content[0].text") : Expected.ok();
            case NAME -> unstorable || chars > 64 ? Expected.bad("messages[0].name") : Expected.ok();
            case STOP -> unstorable || chars > 256 ? Expected.bad("stop") : Expected.ok();
            case METADATA_KEY -> unstorable || chars > 64 ? Expected.bad("metadata") : Expected.ok();
            case METADATA_VALUE -> unstorable || chars > 512 ? Expected.bad("metadata.k") : Expected.ok();
            case TOOL_NAME -> unstorable || !TOOL_NAME.matcher(v).matches() ? Expected.bad("tools[0].function.name") : Expected.ok();
            case TOOL_DESCRIPTION -> unstorable ? Expected.bad("tools[0].function.description") : Expected.ok();
            case EXTRA_KEY -> unstorable ? Expected.bad(null) : Expected.ok();
            case EMBEDDINGS_INPUT -> unstorable ? Expected.bad("input") : Expected.ok();
            case EMBEDDINGS_USER -> unstorable || chars > 256 ? Expected.bad("user") : Expected.ok();
        };
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** An ordinary chat request with {@code v} in {@code field}, written as JSON text by hand (lone surrogates escaped). */
    static String body(Field field, String v, Random r) {
        String s = OddStrings.json(v, r);
        if (field == Field.EMBEDDINGS_INPUT) return "{\"model\":\"gpt-test\",\"input\":" + s + "}";
        if (field == Field.EMBEDDINGS_USER) return "{\"model\":\"gpt-test\",\"input\":[\"hello\"],\"user\":" + s + "}";
        StringBuilder b = new StringBuilder("{");
        b.append("\"model\":").append(field == Field.MODEL ? s : "\"gpt-test\"");
        b.append(",\"messages\":[{\"role\":\"user\"");
        if (field == Field.NAME) b.append(",\"name\":").append(s);
        if (field == Field.CONTENT) b.append(",\"content\":").append(s);
        else if (field == Field.CONTENT_PART) b.append(",\"content\":[{\"type\":\"text\",\"text\":").append(s).append("}]");
        else b.append(",\"content\":\"hello there\"");
        b.append("}]");
        if (field == Field.USER) b.append(",\"user\":").append(s);
        if (field == Field.STOP) b.append(",\"stop\":").append(s);
        if (field == Field.METADATA_KEY) b.append(",\"metadata\":{").append(s).append(":\"v\"}");
        if (field == Field.METADATA_VALUE) b.append(",\"metadata\":{\"k\":").append(s).append("}");
        if (field == Field.TOOL_NAME || field == Field.TOOL_DESCRIPTION) {
            b.append(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":")
                    .append(field == Field.TOOL_NAME ? s : "\"lookup\"")
                    .append(",\"description\":").append(field == Field.TOOL_DESCRIPTION ? s : "\"d\"")
                    .append(",\"parameters\":{\"type\":\"object\"}}}]");
        }
        if (field == Field.EXTRA_KEY) b.append(",").append(s).append(":null");
        return b.append("}").toString();
    }

    private static String abbreviated(String s) { return s.length() > 300 ? s.substring(0, 300) + "..." : s; }

    /** Random odd strings from a seed. */
    static final class OddStrings {
        private OddStrings() {}

        static String next(Random r) {
            int length = switch (r.nextInt(10)) {
                case 0 -> 0;
                case 1, 2, 3 -> 1 + r.nextInt(8);
                case 4, 5 -> 9 + r.nextInt(120);
                case 6 -> 250 + r.nextInt(20);   // around the caps
                case 7 -> 500 + r.nextInt(30);
                case 8 -> 1000 + r.nextInt(4000);
                default -> r.nextInt(3) == 0 ? 60_000 + r.nextInt(20_000) : 40 + r.nextInt(40);
            };
            boolean plain = r.nextInt(4) == 0; // some values are ordinary letters, so that caps and acceptance are reached
            StringBuilder sb = new StringBuilder(length);
            while (sb.length() < length) {
                if (plain) {
                    sb.append((char) ('a' + r.nextInt(26)));
                    continue;
                }
                switch (r.nextInt(12)) {
                    case 0 -> sb.append('\0');
                    case 1 -> sb.append((char) (0xD800 + r.nextInt(0x400)));           // lone high surrogate
                    case 2 -> sb.append((char) (0xDC00 + r.nextInt(0x400)));           // lone low surrogate
                    case 3 -> sb.appendCodePoint(0x10000 + r.nextInt(0x10FFFF - 0x10000 + 1)); // planes 1-16
                    case 4 -> sb.append((char) r.nextInt(0x20));                       // control characters
                    case 5 -> sb.append(new char[] {'\uFFFE', '\uFFFF', '\uFEFF', '\u202E', '\u200B', '\u0085'}[r.nextInt(6)]);
                    case 6 -> sb.appendCodePoint(0x1F600 + r.nextInt(80));             // emoji
                    case 7 -> sb.append("\"\\/'<>&%{}");
                    default -> {
                        int cp = r.nextInt(0xFFFF);
                        if (Character.isSurrogate((char) cp)) cp = 'x';
                        sb.append((char) cp);
                    }
                }
            }
            // A value that is mostly fine with a single NUL or lone surrogate somewhere in the middle.
            if (!plain && r.nextInt(6) == 0 && sb.length() > 2) {
                sb.setCharAt(r.nextInt(sb.length() - 1) + 1, r.nextBoolean() ? '\0' : '\uDBFF');
            }
            return sb.toString();
        }

        /** The value as a JSON string literal: control characters and lone surrogates escaped, the rest raw or escaped. */
        static String json(String s, Random r) {
            StringBuilder b = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    if (r.nextBoolean()) b.append(c).append(s.charAt(i + 1));
                    else b.append(String.format("\\u%04x\\u%04x", (int) c, (int) s.charAt(i + 1)));
                    i++;
                } else if (c < 0x20 || Character.isSurrogate(c) || (c > 0x7e && r.nextInt(8) == 0)) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            return b.append('"').toString();
        }

        static String describe(String s) {
            StringBuilder b = new StringBuilder();
            b.append("(").append(s.length()).append(" chars) ");
            for (int i = 0; i < Math.min(s.length(), 24); i++) {
                char c = s.charAt(i);
                if (c >= 0x20 && c < 0x7f) b.append(c);
                else b.append(String.format("\\u%04x", (int) c));
            }
            return s.length() > 24 ? b.append("...").toString() : b.toString();
        }
    }
}
