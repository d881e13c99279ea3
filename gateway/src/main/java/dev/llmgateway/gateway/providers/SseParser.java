package dev.llmgateway.gateway.providers;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Incremental Server-Sent Events parser: feed it network buffers, it emits (event, data) pairs at each blank line.
 * Handles events split across buffers, CRLF line ends and multi-line data.
 */
public final class SseParser {
    private final BiConsumer<String, String> onEvent;
    private Buffer pending = Buffer.buffer();
    private String event = "";
    private StringBuilder data;

    public SseParser(BiConsumer<String, String> onEvent) { this.onEvent = onEvent; }

    public void feed(Buffer chunk) {
        pending.appendBuffer(chunk);
        int start = 0;
        int len = pending.length();
        for (int i = 0; i < len; i++) {
            if (pending.getByte(i) == '\n') {
                int end = i > start && pending.getByte(i - 1) == '\r' ? i - 1 : i;
                line(pending.getString(start, end, StandardCharsets.UTF_8.name()));
                start = i + 1;
            }
        }
        pending = start == len ? Buffer.buffer() : pending.getBuffer(start, len);
    }

    /** Flushes a final event that had no trailing blank line. */
    public void end() {
        if (pending.length() > 0) {
            line(pending.toString(StandardCharsets.UTF_8));
            pending = Buffer.buffer();
        }
        line("");
    }

    private void line(String line) {
        if (line.isEmpty()) {
            if (data != null) onEvent.accept(event, data.toString());
            event = "";
            data = null;
            return;
        }
        if (line.startsWith(":")) return;
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (data == null) data = new StringBuilder(value);
                else data.append('\n').append(value);
            }
            default -> { }
        }
    }
}
