package dev.llmgateway.gateway.providers;

import io.vertx.core.buffer.Buffer;
import java.util.function.BiConsumer;

/**
 * Incremental Server-Sent Events parser: feed it network buffers, it emits (event, data) pairs at each blank line.
 * Handles events split across buffers, CRLF line ends and multi-line data. Lines are read in place in the network
 * buffer (no copy unless a line is split across buffers, no string per line): only an event's name and data become
 * strings.
 */
public final class SseParser {
    private static final Buffer EMPTY = Buffer.buffer(0);

    private final BiConsumer<String, String> onEvent;
    private Buffer pending = EMPTY;
    private String event = "";
    private String data;          // the first data line of the event being read
    private StringBuilder more;   // with every further one, when there are several

    public SseParser(BiConsumer<String, String> onEvent) { this.onEvent = onEvent; }

    public void feed(Buffer chunk) {
        Buffer buf;
        if (pending.length() == 0) {
            buf = chunk;
        } else {
            pending.appendBuffer(chunk);
            buf = pending;
        }
        int start = 0;
        int len = buf.length();
        for (int i = 0; i < len; i++) {
            if (buf.getByte(i) == '\n') {
                int end = i > start && buf.getByte(i - 1) == '\r' ? i - 1 : i;
                line(buf, start, end);
                start = i + 1;
            }
        }
        // What follows the last line end waits for the next buffer (copied: the network buffer is not ours to keep).
        pending = start == len ? EMPTY : buf.getBuffer(start, len);
    }

    /** Flushes a final event that had no trailing blank line. */
    public void end() {
        if (pending.length() > 0) {
            Buffer last = pending;
            pending = EMPTY;
            line(last, 0, last.length());
        }
        dispatch();
    }

    private void line(Buffer b, int start, int end) {
        if (start == end) {
            dispatch();
            return;
        }
        if (b.getByte(start) == ':') return; // a comment
        int colon = -1;
        for (int i = start; i < end; i++) {
            if (b.getByte(i) == ':') {
                colon = i;
                break;
            }
        }
        int fieldEnd = colon < 0 ? end : colon;
        int valueStart = colon < 0 ? end : colon + 1;
        if (valueStart < end && b.getByte(valueStart) == ' ') valueStart++;
        if (is(b, start, fieldEnd, "data")) {
            String value = b.getString(valueStart, end);
            if (data == null) {
                data = value;
            } else {
                if (more == null) more = new StringBuilder(data);
                more.append('\n').append(value);
            }
        } else if (is(b, start, fieldEnd, "event")) {
            event = b.getString(valueStart, end);
        }
    }

    private void dispatch() {
        if (data != null) onEvent.accept(event, more != null ? more.toString() : data);
        event = "";
        data = null;
        more = null;
    }

    private static boolean is(Buffer b, int start, int end, String ascii) {
        if (end - start != ascii.length()) return false;
        for (int i = 0; i < ascii.length(); i++) {
            if (b.getByte(start + i) != ascii.charAt(i)) return false;
        }
        return true;
    }
}
