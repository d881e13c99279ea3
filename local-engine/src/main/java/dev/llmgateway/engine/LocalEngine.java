package dev.llmgateway.engine;

import dev.llmgateway.engine.internal.LlamaLogBridge;
import dev.llmgateway.engine.internal.ModelRuntime;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Serves GGUF models in-process through llama.cpp: several models, each with its own slots and wait queue,
 * loaded on first use (or at start) and unloaded after an idle time. Generation calls block; run them on
 * worker or virtual threads. See docs/engine.md.
 */
public final class LocalEngine implements AutoCloseable {

    private static final Logger LOG = System.getLogger(LocalEngine.class.getName());

    private final Map<String, ModelRuntime> runtimes;
    private final ScheduledExecutorService janitor;
    private volatile boolean closed;

    private LocalEngine(Map<String, ModelRuntime> runtimes) {
        this.runtimes = runtimes;
        Duration tick = tickFor(runtimes);
        this.janitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "local-engine-idle-unloader");
            t.setDaemon(true);
            return t;
        });
        janitor.scheduleWithFixedDelay(this::unloadIdleModels, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Checks every model file (exists, GGUF magic, readable header) and loads those marked preload.
     *
     * @throws EngineException.ModelUnavailable naming the first file that fails
     * @throws IllegalArgumentException         for duplicate model names
     */
    public static LocalEngine start(List<ModelConfig> models) {
        Map<String, ModelRuntime> runtimes = new LinkedHashMap<>();
        for (ModelConfig config : models) {
            if (runtimes.containsKey(config.name())) throw new IllegalArgumentException("duplicate model name '" + config.name() + "'");
            runtimes.put(config.name(), ModelRuntime.open(config));
        }
        LocalEngine engine = new LocalEngine(Collections.unmodifiableMap(runtimes));
        try {
            for (ModelRuntime runtime : runtimes.values()) {
                if (runtime.config().preload()) runtime.ensureLoaded();
            }
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        LOG.log(Level.INFO, "local engine started with models %s".formatted(runtimes.keySet()));
        return engine;
    }

    /**
     * Generates a chat completion, streaming each piece of text to {@code sink} as it is produced.
     * Blocks until done. {@code sink} and {@code cancel} may be null.
     *
     * @throws EngineException.UnknownModel          no such model
     * @throws EngineException.ModelUnavailable      the model failed to load
     * @throws EngineException.Overloaded            all slots busy and the queue full
     * @throws EngineException.ContextLengthExceeded the prompt does not fit the context
     * @throws EngineException.Cancelled             cancelled while waiting for a slot
     */
    public GenerationResult generate(String model, GenerationRequest req, TokenSink sink, Cancellation cancel) {
        return runtime(model).generate(req, sink, cancel);
    }

    /** Non-streaming {@link #generate(String, GenerationRequest, TokenSink, Cancellation)}. */
    public GenerationResult generate(String model, GenerationRequest req) {
        return generate(model, req, null, null);
    }

    /**
     * Completes a raw prompt, no chat template (for base models and legacy completions);
     * {@code req.messages()} is ignored. Same errors as {@link #generate}.
     */
    public GenerationResult complete(String model, String prompt, GenerationRequest req, TokenSink sink, Cancellation cancel) {
        return runtime(model).complete(prompt, req, sink, cancel);
    }

    /** Tokens of {@code text} by the model's tokenizer, without the BOS token a prompt gets. */
    public int countTokens(String model, String text) {
        return runtime(model).tokenize(text).length;
    }

    /** Token ids of {@code text} by the model's tokenizer (special tokens parsed, no BOS added). */
    public int[] tokenize(String model, String text) {
        return runtime(model).tokenize(text);
    }

    /** The exact prompt text fed to the model for these messages (its template, or the default one). */
    public String renderPrompt(String model, List<EngineMessage> messages) {
        return runtime(model).renderPrompt(messages);
    }

    /**
     * The embedding of {@code text} by a model configured with {@link ModelConfig#embedding()}; blocking, through the
     * model's slots and queue like a generation. {@code cancel} may be null.
     *
     * @throws EngineException.Unsupported           the model is loaded for text generation
     * @throws EngineException.ContextLengthExceeded the text has more tokens than the context
     * @throws EngineException.Overloaded            all slots busy and the queue full
     * @throws IllegalArgumentException              empty text
     */
    public Embedding embed(String model, String text, Cancellation cancel) {
        return runtime(model).embed(text, cancel);
    }

    /** {@link #embed(String, String, Cancellation)} without cancellation. */
    public Embedding embed(String model, String text) {
        return embed(model, text, null);
    }

    /** Whether the model is loaded for embeddings rather than text generation. */
    public boolean isEmbeddingModel(String model) {
        return runtime(model).config().embedding();
    }

    /** The length of the model's embedding vectors as its GGUF header states it ({@code <arch>.embedding_length}), or -1. */
    public int embeddingLength(String model) {
        return runtime(model).embeddingLength();
    }

    public ModelStats stats(String model) {
        return runtime(model).stats();
    }

    /** Names of the configured models. */
    public Set<String> models() {
        return runtimes.keySet();
    }

    /** Stops the idle thread and unloads every model, waiting for running generations to end. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        janitor.shutdownNow();
        runtimes.values().forEach(ModelRuntime::close);
    }

    private ModelRuntime runtime(String model) {
        if (closed) throw new IllegalStateException("local engine is closed");
        ModelRuntime runtime = runtimes.get(model);
        if (runtime == null) throw new EngineException.UnknownModel(model);
        return runtime;
    }

    private void unloadIdleModels() {
        try {
            long now = System.nanoTime();
            for (ModelRuntime runtime : runtimes.values()) {
                Duration idle = runtime.config().idleUnloadAfter();
                if (!idle.isZero()) runtime.unloadIfIdle(idle, now);
            }
            LlamaLogBridge.installIfPending();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "idle unload check failed", e);
        }
    }

    /** A quarter of the shortest idle time, between 50 ms and 10 s. */
    private static Duration tickFor(Map<String, ModelRuntime> runtimes) {
        long shortest = runtimes.values().stream().map(r -> r.config().idleUnloadAfter())
                .filter(d -> !d.isZero()).mapToLong(Duration::toMillis).min().orElse(40_000);
        return Duration.ofMillis(Math.clamp(shortest / 4, 50, 10_000));
    }
}
