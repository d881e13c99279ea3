package dev.llmgateway.engine.internal;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The key/value header of a GGUF file (format v2/v3), read without loading tensors. Keeps scalars and
 * strings; arrays (the vocabulary) are skipped, only their length is kept.
 */
public final class GgufMetadata {

    private static final byte[] MAGIC = {'G', 'G', 'U', 'F'};
    private static final long MAX_STRING_BYTES = 64L << 20;
    private static final long MAX_KEYS = 1L << 20;

    private final Map<String, Object> values;
    private final Map<String, Long> arrayLengths;
    private final int version;

    private GgufMetadata(int version, Map<String, Object> values, Map<String, Long> arrayLengths) {
        this.version = version;
        this.values = values;
        this.arrayLengths = arrayLengths;
    }

    /** Whether the file starts with the GGUF magic bytes. */
    public static boolean hasMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return java.util.Arrays.equals(head, MAGIC);
        }
    }

    /** Reads the header; throws {@link IOException} with a reason when the file is not a well-formed GGUF. */
    public static GgufMetadata read(Path file) throws IOException {
        try (Reader in = new Reader(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            byte[] magic = in.bytes(4);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException("not a GGUF file (bad magic bytes)");
            int version = in.i32();
            if (version < 2 || version > 3) throw new IOException("unsupported GGUF version " + version);
            long tensors = in.i64();
            long keys = in.i64();
            if (tensors < 0 || keys < 0 || keys > MAX_KEYS) throw new IOException("corrupt GGUF header (counts " + tensors + ", " + keys + ")");
            Map<String, Object> values = new HashMap<>();
            Map<String, Long> arrays = new HashMap<>();
            for (long i = 0; i < keys; i++) {
                String key = in.string();
                int type = in.i32();
                if (type == 9) {
                    int elementType = in.i32();
                    long length = in.i64();
                    if (length < 0 || length > Integer.MAX_VALUE) throw new IOException("corrupt array length for " + key);
                    for (long e = 0; e < length; e++) in.skipValue(elementType);
                    arrays.put(key, length);
                } else {
                    values.put(key, in.value(type));
                }
            }
            return new GgufMetadata(version, values, arrays);
        } catch (EOFException e) {
            throw new IOException("truncated GGUF header", e);
        }
    }

    public int version() { return version; }

    public Optional<String> string(String key) {
        return values.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public Optional<Boolean> bool(String key) {
        return values.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    public Optional<Long> integer(String key) {
        return values.get(key) instanceof Number n && !(n instanceof Float || n instanceof Double)
                ? Optional.of(n.longValue()) : Optional.empty();
    }

    public Optional<Long> arrayLength(String key) { return Optional.ofNullable(arrayLengths.get(key)); }

    public Optional<String> architecture() { return string("general.architecture"); }

    /** The Jinja chat template stored by the converter, if any. */
    public Optional<String> chatTemplate() { return string("tokenizer.chat_template").filter(t -> !t.isBlank()); }

    /** Context length the model was trained with, if stated. */
    public Optional<Long> trainedContextLength() {
        return architecture().flatMap(a -> integer(a + ".context_length"));
    }

    /**
     * Whether llama.cpp prepends BOS when it tokenizes a prompt: the GGUF flag if present, else llama.cpp's
     * default per tokenizer type (SentencePiece "llama" and WordPiece "bert": yes; others: no).
     */
    public boolean addsBos() {
        return bool("tokenizer.ggml.add_bos_token").orElseGet(() -> {
            String tokenizer = string("tokenizer.ggml.model").orElse("llama");
            return tokenizer.equals("llama") || tokenizer.equals("bert");
        });
    }

    /** Whether llama.cpp appends EOS to a tokenized prompt (T5-style "t5" tokenizers by default). */
    public boolean addsEos() {
        return bool("tokenizer.ggml.add_eos_token").orElseGet(() -> string("tokenizer.ggml.model").orElse("").equals("t5"));
    }

    /** Little-endian primitive reader. */
    private static final class Reader implements AutoCloseable {
        private final InputStream in;
        private final byte[] buf = new byte[8];

        Reader(InputStream in) { this.in = in; }

        byte[] bytes(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length != n) throw new EOFException();
            return b;
        }

        private void fill(int n) throws IOException {
            if (in.readNBytes(buf, 0, n) != n) throw new EOFException();
        }

        int i32() throws IOException {
            fill(4);
            return (buf[0] & 0xff) | (buf[1] & 0xff) << 8 | (buf[2] & 0xff) << 16 | (buf[3] & 0xff) << 24;
        }

        long i64() throws IOException {
            fill(8);
            long v = 0;
            for (int i = 7; i >= 0; i--) v = v << 8 | (buf[i] & 0xff);
            return v;
        }

        String string() throws IOException {
            long length = i64();
            if (length < 0 || length > MAX_STRING_BYTES) throw new IOException("corrupt string length " + length);
            return new String(bytes((int) length), StandardCharsets.UTF_8);
        }

        void skip(long n) throws IOException {
            long left = n;
            while (left > 0) {
                long skipped = in.skip(left);
                if (skipped <= 0) {
                    if (in.read() < 0) throw new EOFException();
                    skipped = 1;
                }
                left -= skipped;
            }
        }

        Object value(int type) throws IOException {
            return switch (type) {
                case 0 -> (long) (bytes(1)[0] & 0xff);
                case 1 -> (long) bytes(1)[0];
                case 2 -> { fill(2); yield (long) ((buf[0] & 0xff) | (buf[1] & 0xff) << 8); }
                case 3 -> { fill(2); yield (long) (short) ((buf[0] & 0xff) | (buf[1] & 0xff) << 8); }
                case 4 -> i32() & 0xffffffffL;
                case 5 -> (long) i32();
                case 6 -> Float.intBitsToFloat(i32());
                case 7 -> bytes(1)[0] != 0;
                case 8 -> string();
                case 10, 11 -> i64();
                case 12 -> Double.longBitsToDouble(i64());
                default -> throw new IOException("unknown GGUF value type " + type);
            };
        }

        void skipValue(int type) throws IOException {
            switch (type) {
                case 0, 1, 7 -> skip(1);
                case 2, 3 -> skip(2);
                case 4, 5, 6 -> skip(4);
                case 10, 11, 12 -> skip(8);
                case 8 -> {
                    long length = i64();
                    if (length < 0 || length > MAX_STRING_BYTES) throw new IOException("corrupt string length " + length);
                    skip(length);
                }
                default -> throw new IOException("unsupported GGUF array element type " + type);
            }
        }

        @Override public void close() throws IOException { in.close(); }
    }
}
