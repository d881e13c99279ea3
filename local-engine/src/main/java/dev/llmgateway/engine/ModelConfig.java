package dev.llmgateway.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One GGUF model the engine serves under {@code name}.
 *
 * @param contextSize     tokens of context per request (prompt + completion); the KV cache holds
 *                        {@code contextSize * parallelSlots} tokens
 * @param threads         CPU threads llama.cpp uses for this model
 * @param parallelSlots   requests generated at the same time (llama.cpp slots, continuous batching)
 * @param maxQueued       requests allowed to wait for a slot; one more is rejected with {@code Overloaded}
 * @param gpuLayers       layers offloaded to a GPU (0 = CPU only; ignored by CPU-only builds)
 * @param idleUnloadAfter unload the model after this long without requests; {@link Duration#ZERO} = never
 * @param preload         load at {@link LocalEngine#start}, not on first use
 * @param chatTemplate    override: a llama.cpp built-in template name ({@code chatml}, {@code llama2},
 *                        {@code llama3}, {@code mistral-v7}, {@code phi3}, {@code gemma}, ...), a template
 *                        text, or {@code default} for the engine's default template; empty = the GGUF's
 *                        own template, else the engine's default template
 * @param embedding       load the model for embeddings ({@link LocalEngine#embed}) instead of text generation
 * @param pooling         how token vectors become one embedding; empty = the GGUF's own pooling type, else
 *                        {@link Pooling#LAST} (only with {@code embedding}). Mean pooling is not offered: the
 *                        llama.cpp bundled in de.kherud 4.2.0 aborts the process when a context with mean pooling is
 *                        created (llama.cpp issue #12517)
 */
public record ModelConfig(String name, Path path, int contextSize, int threads, int parallelSlots, int maxQueued,
                          int gpuLayers, Duration idleUnloadAfter, boolean preload, Optional<String> chatTemplate,
                          boolean embedding, Optional<Pooling> pooling) {

    /**
     * Pooling of an embedding model's token vectors into one vector (llama.cpp's {@code --pooling}): the first token's
     * vector (BERT-style encoders) or the last token's (decoder embedding models such as Qwen3-Embedding, e5-mistral).
     */
    public enum Pooling { CLS, LAST }

    /** A model loaded for text generation. */
    public ModelConfig(String name, Path path, int contextSize, int threads, int parallelSlots, int maxQueued,
                       int gpuLayers, Duration idleUnloadAfter, boolean preload, Optional<String> chatTemplate) {
        this(name, path, contextSize, threads, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, preload, chatTemplate, false, Optional.empty());
    }

    public ModelConfig {
        pooling = pooling == null ? Optional.empty() : pooling;
        if (!embedding && pooling.isPresent()) throw new IllegalArgumentException(name + ": pooling applies only to embedding models");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(idleUnloadAfter, "idleUnloadAfter");
        chatTemplate = chatTemplate == null ? Optional.empty() : chatTemplate.filter(t -> !t.isBlank());
        if (name.isBlank()) throw new IllegalArgumentException("model name must not be blank");
        if (contextSize < 8) throw new IllegalArgumentException(name + ": context_size must be >= 8, was " + contextSize);
        if (threads < 1) throw new IllegalArgumentException(name + ": threads must be >= 1, was " + threads);
        if (parallelSlots < 1) throw new IllegalArgumentException(name + ": parallel_slots must be >= 1, was " + parallelSlots);
        if (maxQueued < 0) throw new IllegalArgumentException(name + ": max_queued must be >= 0, was " + maxQueued);
        if (gpuLayers < 0) throw new IllegalArgumentException(name + ": gpu_layers must be >= 0, was " + gpuLayers);
        if (idleUnloadAfter.isNegative()) throw new IllegalArgumentException(name + ": idle_unload must not be negative");
    }

    /** Defaults for a small CPU model: context 2048, 2 threads, 1 slot, 8 queued, never unloaded, lazy. */
    public static ModelConfig of(String name, Path path) {
        return new ModelConfig(name, path, 2048, 2, 1, 8, 0, Duration.ZERO, false, Optional.empty());
    }

    public ModelConfig withContextSize(int tokens) {
        return new ModelConfig(name, path, tokens, threads, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, preload, chatTemplate, embedding, pooling);
    }

    public ModelConfig withSlots(int slots, int queued) {
        return new ModelConfig(name, path, contextSize, threads, slots, queued, gpuLayers, idleUnloadAfter, preload, chatTemplate, embedding, pooling);
    }

    public ModelConfig withThreads(int n) {
        return new ModelConfig(name, path, contextSize, n, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, preload, chatTemplate, embedding, pooling);
    }

    public ModelConfig withIdleUnloadAfter(Duration idle) {
        return new ModelConfig(name, path, contextSize, threads, parallelSlots, maxQueued, gpuLayers, idle, preload, chatTemplate, embedding, pooling);
    }

    public ModelConfig withPreload(boolean load) {
        return new ModelConfig(name, path, contextSize, threads, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, load, chatTemplate, embedding, pooling);
    }

    /** The same model loaded for embeddings, with this pooling (empty: the GGUF's own, else last). */
    public ModelConfig asEmbedding(Optional<Pooling> pooling) {
        return new ModelConfig(name, path, contextSize, threads, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, preload, chatTemplate, true, pooling);
    }

    public ModelConfig withChatTemplate(String template) {
        return new ModelConfig(name, path, contextSize, threads, parallelSlots, maxQueued, gpuLayers, idleUnloadAfter, preload, Optional.ofNullable(template), embedding, pooling);
    }
}
