package dev.llmgateway.metering.internal.usage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Makes directory entries (created, renamed, deleted files) durable. */
public final class Fsync {
    private Fsync() {}

    public static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open directories for fsync; on Linux this works and matters.
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")) throw e;
        }
    }
}
