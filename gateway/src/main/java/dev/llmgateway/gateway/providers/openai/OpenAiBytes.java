package dev.llmgateway.gateway.providers.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.io.NumberInput;
import dev.llmgateway.gateway.providers.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The OpenAI pass-through without a JSON tree round trip: the client's body bytes forwarded with only the top-level
 * {@code model} value (and {@code stream_options} for a stream) replaced in place, and a whole answer's usage and finish
 * reason read with Jackson's streaming parser. Both give the same result as the tree path they replace (a body with
 * {@code model} set and {@code stream_options} = {@code {"include_usage":true}}; {@code usage} and
 * {@code choices[0].finish_reason} read with {@link com.fasterxml.jackson.databind.JsonNode#asInt(int)} and
 * {@code asText("stop")} semantics).
 */
public final class OpenAiBytes {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final byte[] INCLUDE_USAGE = "{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_OPTIONS_FIELD = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);

    private OpenAiBytes() {}

    /**
     * {@code body} (a JSON object, as already parsed and validated) with every top-level {@code model} value set to
     * {@code model} and, when {@code stream}, every top-level {@code stream_options} value set to
     * {@code {"include_usage":true}} (added first when absent). Null when the bytes are not one JSON object.
     */
    public static byte[] patch(byte[] body, String model, boolean stream) {
        byte[] quotedModel = quoted(model);
        // Spans to replace, in order: start, end (exclusive), which replacement (0 model, 1 stream options).
        long[] spans = new long[12];
        int n = 0;
        boolean sawStreamOptions = false;
        int objectStart;
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            objectStart = (int) p.currentTokenLocation().getByteOffset();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                boolean isModel = name.equals("model");
                boolean isOptions = stream && name.equals("stream_options");
                if (!isModel && !isOptions) {
                    p.skipChildren();
                    continue;
                }
                long start = p.currentTokenLocation().getByteOffset();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) p.skipChildren();
                else p.finishToken();
                long end = p.currentLocation().getByteOffset();
                if (n + 3 > spans.length) spans = java.util.Arrays.copyOf(spans, spans.length * 2);
                spans[n++] = start;
                spans[n++] = end;
                spans[n++] = isModel ? 0 : 1;
                sawStreamOptions |= isOptions;
            }
            if (t != JsonToken.END_OBJECT) return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
        boolean insert = stream && !sawStreamOptions;
        long size = body.length + (insert ? STREAM_OPTIONS_FIELD.length : 0);
        for (int i = 0; i < n; i += 3) {
            if (spans[i] < 0 || spans[i + 1] < spans[i] || spans[i + 1] > body.length) return null;
            size += (spans[i + 2] == 0 ? quotedModel.length : INCLUDE_USAGE.length) - (spans[i + 1] - spans[i]);
        }
        byte[] out = new byte[(int) size];
        int from = 0, to = 0;
        if (insert) { // right after the opening brace; the object has other members (messages), so a comma follows
            System.arraycopy(body, 0, out, 0, objectStart + 1);
            to = objectStart + 1;
            from = objectStart + 1;
            System.arraycopy(STREAM_OPTIONS_FIELD, 0, out, to, STREAM_OPTIONS_FIELD.length);
            to += STREAM_OPTIONS_FIELD.length;
        }
        for (int i = 0; i < n; i += 3) {
            int start = (int) spans[i], end = (int) spans[i + 1];
            System.arraycopy(body, from, out, to, start - from);
            to += start - from;
            byte[] r = spans[i + 2] == 0 ? quotedModel : INCLUDE_USAGE;
            System.arraycopy(r, 0, out, to, r.length);
            to += r.length;
            from = end;
        }
        System.arraycopy(body, from, out, to, body.length - from);
        return out;
    }

    private static byte[] quoted(String s) {
        byte[] inner = JsonStringEncoder.getInstance().quoteAsUTF8(s);
        byte[] out = new byte[inner.length + 2];
        out[0] = '"';
        System.arraycopy(inner, 0, out, 1, inner.length);
        out[out.length - 1] = '"';
        return out;
    }

    /** What a whole chat answer says about itself: its usage (null when it reports none) and its finish reason. */
    public record Answer(Usage usage, String finishReason) {}

    /**
     * Reads {@code usage} and {@code choices[0].finish_reason} of a whole answer; null when the answer reports no usage
     * object (then the caller reads the answer's text to estimate it). Malformed JSON throws {@link IOException}.
     */
    public static Answer scan(byte[] answer) throws IOException {
        Usage usage = null;
        String finish = "stop";
        try (JsonParser p = FACTORY.createParser(answer)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                return null;
            }
            boolean usageNotObject = false;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("usage")) { // a repeated key: the last one counts, as in a tree
                    if (value == JsonToken.START_OBJECT) {
                        usage = usage(p);
                        usageNotObject = false;
                    } else {
                        p.skipChildren();
                        usage = null;
                        usageNotObject = true;
                    }
                } else if (name.equals("choices")) {
                    finish = "stop";
                    if (value == JsonToken.START_ARRAY) {
                        JsonToken first = p.nextToken();
                        if (first == JsonToken.START_OBJECT) finish = finishReason(p);
                        else if (first != JsonToken.END_ARRAY) p.skipChildren();
                        if (first != JsonToken.END_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) p.skipChildren();
                        }
                    } else {
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected end of the answer");
            if (usage == null || usageNotObject) return null;
        }
        return new Answer(usage, finish);
    }

    /**
     * What one streamed chat or completions chunk ({@code data:} of an SSE event) says, read with the streaming parser
     * instead of a tree: whether it carries an {@code error} (and its message), its {@code usage} (null unless an
     * object; {@code usagePresent}: present and not null), the characters of answer text and tool calls it adds, the
     * last textual {@code finish_reason} of its choices (null when none), how many choices it has, and whether it has
     * {@code prompt_filter_results}. Same readings as the tree path it replaces ({@code asText}, last key wins).
     */
    public record Chunk(boolean error, String errorMessage, Usage usage, boolean usagePresent, int chars,
                        String finishReason, int choices, boolean promptFilterResults) {}

    private static final Chunk NOT_AN_OBJECT = new Chunk(false, "", null, false, 0, null, 0, false);

    /** Reads a stream chunk; malformed JSON throws {@link IOException}. */
    public static Chunk scanChunk(String data) throws IOException {
        try (JsonParser p = FACTORY.createParser(data)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                if (t != null) p.skipChildren();
                return NOT_AN_OBJECT;
            }
            boolean error = false, usagePresent = false, filter = false;
            String errorMessage = "";
            Usage usage = null;
            int chars = 0, choices = 0;
            String finish = null;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "error" -> {
                        error = true;
                        errorMessage = value == JsonToken.START_OBJECT ? errorMessage(p) : skip(p, "");
                    }
                    case "usage" -> {
                        usagePresent = value != JsonToken.VALUE_NULL;
                        if (value == JsonToken.START_OBJECT) usage = usage(p);
                        else {
                            usage = null;
                            p.skipChildren();
                        }
                    }
                    case "choices" -> { // a repeated key: the last one counts, as in a tree
                        chars = 0;
                        finish = null;
                        choices = 0;
                        if (value == JsonToken.START_ARRAY) {
                            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                                choices++;
                                if (t != JsonToken.START_OBJECT) {
                                    p.skipChildren();
                                    continue;
                                }
                                Choice c = choice(p);
                                chars += c.chars();
                                if (c.finishReason() != null) finish = c.finishReason();
                            }
                        } else {
                            if (value == JsonToken.START_OBJECT) choices = 1; // not an array: not read, but not empty
                            p.skipChildren();
                        }
                    }
                    case "prompt_filter_results" -> {
                        filter = true;
                        p.skipChildren();
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected end of the chunk");
            return new Chunk(error, errorMessage, usage, usagePresent, chars, finish, choices, filter);
        }
    }

    /** What one streamed choice adds: characters of text and tool calls, and its textual finish reason (or null). */
    private record Choice(int chars, String finishReason) {}

    /** One choice object (parser at its start, left at its end). */
    private static Choice choice(JsonParser p) throws IOException {
        String finish = null;
        int deltaChars = 0, textChars = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "delta" -> deltaChars = v == JsonToken.START_OBJECT ? delta(p) : skipInt(p);
                case "text" -> textChars = v == JsonToken.VALUE_STRING ? p.getTextLength() : skipInt(p);
                case "finish_reason" -> finish = v == JsonToken.VALUE_STRING ? p.getText() : skip(p, finish);
                default -> p.skipChildren();
            }
        }
        return new Choice(deltaChars + textChars, finish);
    }

    /** A delta object: the length of its textual {@code content} plus its tool calls' function names and arguments. */
    private static int delta(JsonParser p) throws IOException {
        int content = 0, tools = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("content")) content = v == JsonToken.VALUE_STRING ? p.getTextLength() : skipInt(p);
            else if (name.equals("tool_calls") && v == JsonToken.START_ARRAY) {
                tools = 0;
                while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (v != JsonToken.START_OBJECT) {
                        p.skipChildren();
                        continue;
                    }
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.currentName();
                        JsonToken fv = p.nextToken();
                        if (!f.equals("function") || fv != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            continue;
                        }
                        int nameLen = 0, argsLen = 0;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String k = p.currentName();
                            JsonToken kv = p.nextToken();
                            if (k.equals("name")) nameLen = textLength(p, kv);
                            else if (k.equals("arguments")) argsLen = textLength(p, kv);
                            else p.skipChildren();
                        }
                        tools += nameLen + argsLen;
                    }
                }
            } else {
                if (name.equals("tool_calls")) tools = 0;
                p.skipChildren();
            }
        }
        return content + tools;
    }

    /** {@code asText("").length()} of the current value (a string's length without making the string). */
    private static int textLength(JsonParser p, JsonToken v) throws IOException {
        return v == JsonToken.VALUE_STRING ? p.getTextLength() : scalarText(p, v).length();
    }

    /** The current value as {@code JsonNode.asText("")} reads it: a scalar's text, "" for null (a container is skipped). */
    private static String scalarText(JsonParser p, JsonToken v) throws IOException {
        return switch (v) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> p.getText();
            default -> skip(p, "");
        };
    }

    /** The {@code message} of an error object as {@code asText("")} (parser at its start, left at its end). */
    private static String errorMessage(JsonParser p) throws IOException {
        String message = "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("message")) message = scalarText(p, v);
            else p.skipChildren();
        }
        return message;
    }

    private static String skip(JsonParser p, String keep) throws IOException {
        p.skipChildren();
        return keep;
    }

    private static int skipInt(JsonParser p) throws IOException {
        p.skipChildren();
        return 0;
    }

    /** The usage object the parser is at the start of; leaves it at its end. */
    private static Usage usage(JsonParser p) throws IOException {
        int prompt = 0, completion = 0, cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "prompt_tokens" -> prompt = asInt(p);
                case "completion_tokens" -> completion = asInt(p);
                case "prompt_tokens_details" -> {
                    int c = 0;
                    if (p.currentToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String inner = p.currentName();
                            p.nextToken();
                            if (inner.equals("cached_tokens")) c = asInt(p);
                            else p.skipChildren();
                        }
                    } else {
                        p.skipChildren();
                    }
                    cached = c;
                }
                default -> p.skipChildren();
            }
        }
        return new Usage(prompt, completion, cached, false);
    }

    /** {@code finish_reason} of the choice object the parser is at the start of, as {@code asText("stop")}. */
    private static String finishReason(JsonParser p) throws IOException {
        String finish = "stop";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("finish_reason")) finish = v == JsonToken.VALUE_NULL ? "stop" : scalarText(p, v);
            else p.skipChildren();
        }
        return finish;
    }

    /** The current value as {@code JsonNode.asInt(0)} reads it (numbers truncated, numeric strings parsed). */
    private static int asInt(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue().intValue();
            case VALUE_STRING -> NumberInput.parseAsInt(p.getText(), 0);
            case VALUE_TRUE -> 1;
            case VALUE_FALSE, VALUE_NULL -> 0;
            default -> {
                p.skipChildren();
                yield 0;
            }
        };
    }
}
