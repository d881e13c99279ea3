package dev.llmgateway.gateway.cache;

import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.gateway.providers.UpstreamStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Passes an upstream stream through unchanged while keeping a copy of its chunks; when the stream ends normally (not
 * broken, not cancelled) and stayed within {@code maxBytes}, hands the chunks and the end to {@code complete}.
 */
public final class RecordingStream implements UpstreamStream {
    private final UpstreamStream upstream;
    private final long maxBytes;
    private final BiConsumer<List<Buffer>, End> complete;
    private List<Buffer> chunks = new ArrayList<>();
    private long bytes;
    private volatile boolean cancelled;

    public RecordingStream(UpstreamStream upstream, long maxBytes, BiConsumer<List<Buffer>, End> complete) {
        this.upstream = upstream;
        this.maxBytes = maxBytes;
        this.complete = complete;
    }

    @Override
    public Future<End> start(ChunkSink sink) {
        return upstream.start(new ChunkSink() {
            @Override
            public void chunk(Buffer chunk) {
                if (chunks != null) {
                    bytes += chunk.length() + 16;
                    if (bytes > maxBytes) chunks = null; // too large to cache: stop keeping a copy
                    else chunks.add(chunk.copy());
                }
                sink.chunk(chunk);
            }

            @Override
            public boolean full() { return sink.full(); }

            @Override
            public void onDrain(Runnable action) { sink.onDrain(action); }
        }).onSuccess(end -> {
            if (chunks != null && !cancelled) complete.accept(chunks, end);
        });
    }

    @Override
    public Usage usageSoFar() { return upstream.usageSoFar(); }

    @Override
    public void cancel() {
        cancelled = true;
        upstream.cancel();
    }
}
