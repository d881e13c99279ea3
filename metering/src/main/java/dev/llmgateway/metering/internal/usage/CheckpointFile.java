package dev.llmgateway.metering.internal.usage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The journal position up to which every record is stored in PostgreSQL: {@code [magic][segment][offset][crc]},
 * replaced atomically (write temp file, fsync, rename, fsync directory).
 */
public final class CheckpointFile {
    private static final int MAGIC = 0x55434b31; // "UCK1"
    private static final int BYTES = 4 + 8 + 8 + 4;

    private final Path file;
    private final Path temp;

    public CheckpointFile(Path dir) {
        this.file = dir.resolve("checkpoint");
        this.temp = dir.resolve("checkpoint.tmp");
    }

    /** The stored position {segment, offset}; empty when there is none yet or it is unreadable. */
    public Optional<long[]> read() throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != BYTES) return Optional.empty();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC) return Optional.empty();
        long segment = b.getLong();
        long offset = b.getLong();
        if (b.getInt() != crc(bytes)) return Optional.empty();
        return Optional.of(new long[] {segment, offset});
    }

    public void write(long segment, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.putInt(MAGIC).putLong(segment).putLong(offset);
        b.putInt(crc(b.array()));
        b.flip();
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Fsync.directory(file.getParent());
    }

    private static int crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, BYTES - 4);
        return (int) c.getValue();
    }
}
