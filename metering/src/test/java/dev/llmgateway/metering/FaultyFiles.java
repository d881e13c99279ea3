package dev.llmgateway.metering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/** Real files whose writes and fsyncs fail with "No space left on device" while {@link #failing} is set. */
final class FaultyFiles implements UsageJournal.SegmentFiles {
    final AtomicBoolean failing = new AtomicBoolean();

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        if (failing.get()) throw new IOException("No space left on device (injected): " + path.getFileName());
        return new Channel(FileChannel.open(path, options));
    }

    private IOException full() { return new IOException("No space left on device (injected)"); }

    private final class Channel extends FileChannel {
        private final FileChannel d;

        Channel(FileChannel d) { this.d = d; }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException {
            if (failing.get()) {
                // A partial write before the failure, as a full disk may leave behind.
                if (src.remaining() > 3) d.write(src.slice(src.position(), 3));
                throw full();
            }
            return d.write(src);
        }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            if (failing.get()) {
                // A partial write before the failure, as a full disk may leave behind.
                if (srcs[offset].remaining() > 3) d.write(srcs[offset].slice(srcs[offset].position(), 3));
                throw full();
            }
            return d.write(srcs, offset, length);
        }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long newPosition) throws IOException { d.position(newPosition); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException {
            if (failing.get()) throw full();
            d.force(metaData);
        }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException {
            if (failing.get()) throw full();
            return d.write(src, position);
        }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
