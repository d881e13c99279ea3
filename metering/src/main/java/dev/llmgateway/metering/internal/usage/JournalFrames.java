package dev.llmgateway.metering.internal.usage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Record framing in a journal segment: {@code [int payloadLength][int crc32c(length, payload)][payload]}, big-endian.
 * A frame whose length is out of range or whose CRC does not match ends the valid part of a segment.
 */
public final class JournalFrames {
    public static final int HEADER_BYTES = 8;
    /** Largest accepted payload; a usage record is a few hundred bytes. */
    public static final int MAX_PAYLOAD_BYTES = 1 << 20;

    private JournalFrames() {}

    public static ByteBuffer frame(byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload.length);
        b.putInt(payload.length).putInt(crc(payload.length, payload, 0, payload.length)).put(payload);
        return b.flip();
    }

    public static int crc(int length, byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(length >>> 24);
        c.update(length >>> 16);
        c.update(length >>> 8);
        c.update(length);
        c.update(a, off, len);
        return (int) c.getValue();
    }

    /** Result of scanning a segment: where its valid frames end and how many there are from {@code countFrom} on. */
    public record Scan(long validEnd, long records, long recordsFrom, long bytesFrom) {}

    /** Scans the whole segment from the start, validating every frame; counts frames starting at or after {@code countFrom}. */
    public static Scan scan(FileChannel ch, long countFrom) throws IOException {
        long size = ch.size();
        long pos = 0;
        long records = 0, recordsFrom = 0, bytesFrom = 0;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (pos + HEADER_BYTES <= size) {
            header.clear();
            readFully(ch, header, pos);
            header.flip();
            int len = header.getInt();
            int crc = header.getInt();
            if (len <= 0 || len > MAX_PAYLOAD_BYTES || pos + HEADER_BYTES + len > size) break;
            ByteBuffer payload = ByteBuffer.allocate(len);
            readFully(ch, payload, pos + HEADER_BYTES);
            if (crc(len, payload.array(), 0, len) != crc) break;
            if (pos >= countFrom) {
                recordsFrom++;
                bytesFrom += HEADER_BYTES + len;
            }
            records++;
            pos += HEADER_BYTES + len;
        }
        return new Scan(pos, records, recordsFrom, bytesFrom);
    }

    public static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new IOException("unexpected end of journal segment at " + pos);
            pos += n;
        }
    }
}
