package dev.llmgateway.gateway.cache;

import dev.llmgateway.gateway.providers.Usage;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One cached answer, as the client got it in OpenAI's format: the JSON body of a whole answer, or the chunk JSON objects
 * of a stream (without SSE framing), plus the deployment that produced it and its usage (metered again on every hit).
 */
public record CachedAnswer(String deployment, Usage usage, String finishReason, boolean streamed, List<Buffer> parts) {
    private static final byte VERSION = 1;

    public CachedAnswer {
        parts = List.copyOf(parts);
    }

    /** Bytes of the answer itself (the cache's weight of this entry). */
    public long bytes() {
        long n = 64 + deployment.length();
        for (Buffer b : parts) n += b.length() + 16;
        return n;
    }

    /** The binary form kept in PostgreSQL. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, bytes()));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(deployment);
            out.writeInt(usage.promptTokens());
            out.writeInt(usage.completionTokens());
            out.writeInt(usage.cachedTokens());
            out.writeBoolean(usage.estimated());
            out.writeBoolean(finishReason != null);
            if (finishReason != null) out.writeUTF(finishReason);
            out.writeBoolean(streamed);
            out.writeInt(parts.size());
            for (Buffer b : parts) {
                out.writeInt(b.length());
                out.write(b.getBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static CachedAnswer decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte version = in.readByte();
            if (version != VERSION) throw new IllegalArgumentException("unknown cached answer version " + version);
            String deployment = in.readUTF();
            Usage usage = new Usage(in.readInt(), in.readInt(), in.readInt(), in.readBoolean());
            String finishReason = in.readBoolean() ? in.readUTF() : null;
            boolean streamed = in.readBoolean();
            int n = in.readInt();
            List<Buffer> parts = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                parts.add(Buffer.buffer(b));
            }
            return new CachedAnswer(deployment, usage, finishReason, streamed, parts);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt cached answer: " + e.getMessage(), e);
        }
    }
}
