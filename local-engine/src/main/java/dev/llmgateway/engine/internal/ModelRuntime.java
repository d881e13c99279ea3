package dev.llmgateway.engine.internal;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import dev.llmgateway.engine.Cancellation;
import dev.llmgateway.engine.Embedding;
import dev.llmgateway.engine.EngineException;
import dev.llmgateway.engine.EngineMessage;
import dev.llmgateway.engine.FinishReason;
import dev.llmgateway.engine.GenerationRequest;
import dev.llmgateway.engine.GenerationResult;
import dev.llmgateway.engine.ModelConfig;
import dev.llmgateway.engine.ModelStats;
import dev.llmgateway.engine.TokenSink;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * One configured model: its file's metadata, the llama.cpp handle (loaded lazily, unloaded when idle),
 * the slots (a fair semaphore of {@code parallelSlots} permits, matching llama.cpp's parallel slots) and
 * the bounded wait queue in front of them.
 */
public final class ModelRuntime {

    private static final Logger LOG = System.getLogger(ModelRuntime.class.getName());
    /** llama.cpp's loader has global state (log, backend init); loads run one at a time. */
    private static final Lock LOADS = new ReentrantLock();
    private static final long QUEUE_POLL_MS = 20;

    private final ModelConfig config;
    private final GgufMetadata metadata;
    private final boolean llamaTemplate;
    private final Semaphore slots;
    private final AtomicInteger queued = new AtomicInteger();
    /** Read: using the handle. Write: loading or unloading it. */
    private final ReentrantReadWriteLock handleLock = new ReentrantReadWriteLock();
    private volatile LlamaModel handle;
    private volatile long lastUsedNanos = System.nanoTime();
    /** Moving average of a generation's wall time, for the Retry-After estimate. */
    private volatile double averageGenerationMs = 1000;

    private ModelRuntime(ModelConfig config, GgufMetadata metadata) {
        this.config = config;
        this.metadata = metadata;
        String override = config.chatTemplate().orElse(null);
        this.llamaTemplate = override != null ? !override.equalsIgnoreCase("default") : metadata.chatTemplate().isPresent();
        this.slots = new Semaphore(config.parallelSlots(), true);
        metadata.trainedContextLength().filter(trained -> config.contextSize() > trained).ifPresent(trained ->
                LOG.log(Level.WARNING, "model '%s': context_size %d is larger than the %d tokens it was trained with; output may degrade".formatted(
                        config.name(), config.contextSize(), trained)));
    }

    /** Checks the file (exists, GGUF magic, readable header) without loading it. */
    public static ModelRuntime open(ModelConfig config) {
        var path = config.path();
        if (!Files.isRegularFile(path)) {
            throw new EngineException.ModelUnavailable(config.name(), path, "file not found", null);
        }
        try {
            if (!GgufMetadata.hasMagic(path)) {
                throw new EngineException.ModelUnavailable(config.name(), path, "not a GGUF file (bad magic bytes)", null);
            }
            ModelRuntime runtime = new ModelRuntime(config, GgufMetadata.read(path));
            int gguf = runtime.ggufPooling();
            if (config.embedding() && config.pooling().isEmpty() && (gguf == 1 || gguf == 4)) {
                throw new EngineException.ModelUnavailable(config.name(), path, (gguf == 1 ? "its GGUF asks for mean pooling, which the"
                        + " bundled llama.cpp cannot do without aborting the process (llama.cpp issue #12517)"
                        : "its GGUF is a reranker (rank pooling), not an embedding model") + "; set the pooling (cls or last) explicitly", null);
            }
            return runtime;
        } catch (IOException e) {
            throw new EngineException.ModelUnavailable(config.name(), path, "unreadable GGUF: " + e.getMessage(), e);
        }
    }

    public ModelConfig config() { return config; }

    public GgufMetadata metadata() { return metadata; }

    public boolean usesModelTemplate() { return llamaTemplate; }

    public ModelStats stats() {
        int free = slots.availablePermits();
        return new ModelStats(config.name(), handle != null, config.parallelSlots(),
                Math.max(0, config.parallelSlots() - free), queued.get());
    }

    // ---------------------------------------------------------------- loading

    /** Loads the model now if it is not loaded. */
    public void ensureLoaded() {
        withHandle(model -> null);
    }

    /** Runs {@code action} with the loaded model; the model cannot be unloaded meanwhile. */
    private <T> T withHandle(Function<LlamaModel, T> action) {
        while (true) {
            handleLock.readLock().lock();
            try {
                LlamaModel model = handle;
                if (model != null) {
                    try {
                        return action.apply(model);
                    } finally {
                        lastUsedNanos = System.nanoTime();
                    }
                }
            } finally {
                handleLock.readLock().unlock();
            }
            handleLock.writeLock().lock();
            try {
                if (handle == null) handle = load();
            } finally {
                handleLock.writeLock().unlock();
            }
        }
    }

    private LlamaModel load() {
        var path = config.path();
        if (!Files.isRegularFile(path)) {
            throw new EngineException.ModelUnavailable(config.name(), path, "file not found", null);
        }
        ModelParameters params = new ModelParameters()
                .setModel(path.toString())
                // each slot gets contextSize tokens: llama.cpp splits n_ctx evenly over the slots
                .setCtxSize(config.contextSize() * config.parallelSlots())
                .setParallel(config.parallelSlots())
                .setThreads(config.threads())
                .setThreadsBatch(config.threads())
                .disableContextShift()
                .disableLog();
        if (config.embedding()) {
            // one request's tokens must fit one batch: llama.cpp pools a sequence only when it is evaluated whole
            params.enableEmbedding().setPoolingType(poolingType())
                    .setBatchSize(config.contextSize()).setUbatchSize(config.contextSize());
        }
        // only when asked: a CPU-only build warns on stderr about any --gpu-layers value
        if (config.gpuLayers() > 0) params.setGpuLayers(config.gpuLayers());
        config.chatTemplate().filter(t -> !t.equalsIgnoreCase("default")).ifPresent(params::setChatTemplate);
        long started = System.nanoTime();
        LOADS.lock();
        try {
            LlamaModel model = new LlamaModel(params);
            LlamaLogBridge.afterLoad();
            LOG.log(Level.INFO, "loaded model '%s' from %s in %d ms (context %d x %d slots, %d threads)".formatted(config.name(), path,
                    (System.nanoTime() - started) / 1_000_000, config.contextSize(), config.parallelSlots(), config.threads()));
            return model;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.log(Level.WARNING, "model '%s' failed to load from %s: %s".formatted(config.name(), path, e.getMessage()));
            throw new EngineException.ModelUnavailable(config.name(), path, "llama.cpp could not load it: " + e.getMessage(), e);
        } finally {
            LOADS.unlock();
        }
    }

    /**
     * The configured pooling, else the GGUF's own ({@code <arch>.pooling_type}: 2 cls, 3 last), else last (the GGUF of
     * a decoder model names none). Never "none" (llama.cpp then returns one vector per token and the binding keeps the
     * first) nor "mean" (the bundled llama.cpp aborts the JVM creating such a context): {@link #open} refuses a model
     * whose GGUF asks for either without a configured pooling.
     */
    private PoolingType poolingType() {
        ModelConfig.Pooling pooling = config.pooling().orElseGet(() -> ggufPooling() == 2 ? ModelConfig.Pooling.CLS : ModelConfig.Pooling.LAST);
        return switch (pooling) {
            case CLS -> PoolingType.CLS;
            case LAST -> PoolingType.LAST;
        };
    }

    /** {@code <arch>.pooling_type} of the GGUF (0 none, 1 mean, 2 cls, 3 last, 4 rank), or 0. */
    private int ggufPooling() {
        return metadata.architecture().flatMap(arch -> metadata.integer(arch + ".pooling_type")).map(Long::intValue).orElse(0);
    }

    /** {@code <arch>.embedding_length} from the GGUF header, or -1. */
    public int embeddingLength() {
        return metadata.architecture().flatMap(arch -> metadata.integer(arch + ".embedding_length")).map(Long::intValue).orElse(-1);
    }

    /** Unloads if loaded, idle for {@code idle}, and no request holds or waits for a slot. */
    public boolean unloadIfIdle(Duration idle, long nowNanos) {
        if (handle == null || queued.get() > 0 || slots.availablePermits() < config.parallelSlots()) return false;
        if (nowNanos - lastUsedNanos < idle.toNanos()) return false;
        if (!handleLock.writeLock().tryLock()) return false;
        try {
            if (handle == null || nowNanos - lastUsedNanos < idle.toNanos()) return false;
            unloadLocked();
            LOG.log(Level.INFO, "unloaded model '%s' after %d ms idle".formatted(config.name(), (nowNanos - lastUsedNanos) / 1_000_000));
            return true;
        } finally {
            handleLock.writeLock().unlock();
        }
    }

    public void close() {
        handleLock.writeLock().lock();
        try {
            if (handle != null) unloadLocked();
        } finally {
            handleLock.writeLock().unlock();
        }
    }

    private void unloadLocked() {
        LlamaModel model = handle;
        handle = null;
        try {
            model.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing model '%s' failed: %s".formatted(config.name(), e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- prompts and tokens

    /** The exact prompt text the model is given for these messages. */
    public String renderPrompt(List<EngineMessage> messages) {
        // the default template needs no loaded model; llama.cpp's renderer does
        return llamaTemplate ? withHandle(model -> renderPromptWith(model, messages)) : renderPromptWith(null, messages);
    }

    /** Token ids of {@code text} as the tokenizer splits it (special tokens parsed, no BOS added). */
    public int[] tokenize(String text) {
        return withHandle(model -> model.encode(text));
    }

    /** Tokens llama.cpp evaluates for this prompt: its tokens plus the BOS/EOS the model's tokenizer adds. */
    private int promptTokens(LlamaModel model, String prompt) {
        return model.encode(prompt).length + (metadata.addsBos() ? 1 : 0) + (metadata.addsEos() ? 1 : 0);
    }

    /**
     * llama.cpp's template renderer throws on messages some templates reject, and in 4.2.0 such a C++
     * exception is not caught at the JNI boundary. So: system messages are merged into one leading message,
     * consecutive messages of one role are merged, and roles are limited to system/user/assistant.
     */
    static List<EngineMessage> normalizeForModelTemplate(List<EngineMessage> messages) {
        List<String> system = new ArrayList<>();
        List<EngineMessage> turns = new ArrayList<>();
        for (EngineMessage m : messages) {
            String role = m.role().trim().toLowerCase(Locale.ROOT);
            if (role.equals("system") || role.equals("developer")) {
                system.add(m.content());
                continue;
            }
            if (!role.equals("assistant")) role = "user";
            if (!turns.isEmpty() && turns.getLast().role().equals(role)) {
                EngineMessage previous = turns.removeLast();
                turns.add(new EngineMessage(role, previous.content() + "\n\n" + m.content()));
            } else {
                turns.add(new EngineMessage(role, m.content()));
            }
        }
        List<EngineMessage> out = new ArrayList<>();
        if (!system.isEmpty()) out.add(EngineMessage.system(String.join("\n\n", system)));
        out.addAll(turns);
        return out;
    }

    // ---------------------------------------------------------------- generation

    /** Chat generation: renders the messages with the model's (or the default) template. */
    public GenerationResult generate(GenerationRequest request, TokenSink sink, Cancellation cancel) {
        requireGeneration();
        List<String> stops = request.stop();
        if (!llamaTemplate) {
            stops = new ArrayList<>(stops);
            stops.add(DefaultChatTemplate.IMPLICIT_STOP);
        }
        List<String> allStops = stops;
        return run(model -> renderPromptWith(model, request.messages()), request, allStops, sink, cancel);
    }

    /** Raw completion of {@code prompt}, no template. */
    public GenerationResult complete(String prompt, GenerationRequest request, TokenSink sink, Cancellation cancel) {
        requireGeneration();
        return run(model -> prompt, request, request.stop(), sink, cancel);
    }

    private void requireGeneration() {
        if (config.embedding()) {
            throw new EngineException.Unsupported(config.name(), "model '" + config.name()
                    + "' is loaded for embeddings; it does not generate text");
        }
    }

    // ---------------------------------------------------------------- embeddings

    /** The embedding of {@code text}: admitted through the slots like a generation, the prompt checked against the context. */
    public Embedding embed(String text, Cancellation cancel) {
        if (!config.embedding()) {
            throw new EngineException.Unsupported(config.name(), "model '" + config.name()
                    + "' is loaded for text generation; configure it for embeddings to embed with it");
        }
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("the text to embed must not be empty");
        Cancellation cancellation = cancel == null ? new Cancellation() : cancel;
        admit(cancellation);
        long started = System.nanoTime();
        try {
            return withHandle(model -> {
                int tokens = promptTokens(model, text);
                if (tokens > config.contextSize()) throw new EngineException.ContextLengthExceeded(config.name(), tokens, config.contextSize());
                LlamaLogBridge.nativeActivity().readLock().lock();
                try {
                    return new Embedding(model.embed(text), tokens);
                } catch (RuntimeException e) {
                    if (e.getClass().getName().startsWith("de.kherud")) {
                        throw new EngineException.GenerationFailed(config.name(), e.getMessage(), e);
                    }
                    throw e;
                } finally {
                    LlamaLogBridge.nativeActivity().readLock().unlock();
                }
            });
        } finally {
            slots.release();
            double ms = (System.nanoTime() - started) / 1e6;
            averageGenerationMs = averageGenerationMs * 0.8 + ms * 0.2;
        }
    }

    private String renderPromptWith(LlamaModel model, List<EngineMessage> messages) {
        if (messages.isEmpty()) throw new IllegalArgumentException("at least one message is required");
        if (!llamaTemplate) return DefaultChatTemplate.render(messages);
        return model.applyTemplate(Json.chatTemplateRequest(normalizeForModelTemplate(messages)));
    }

    private GenerationResult run(Function<LlamaModel, String> promptOf, GenerationRequest request, List<String> stops,
                                 TokenSink sink, Cancellation cancel) {
        TokenSink out = sink == null ? TokenSink.NONE : sink;
        Cancellation cancellation = cancel == null ? new Cancellation() : cancel;
        admit(cancellation);
        long started = System.nanoTime();
        try {
            return withHandle(model -> {
                String prompt = promptOf.apply(model);
                int promptTokens = promptTokens(model, prompt);
                int room = config.contextSize() - promptTokens;
                if (room < 1) throw new EngineException.ContextLengthExceeded(config.name(), promptTokens, config.contextSize());
                int maxTokens = request.maxTokens() == 0 ? room : Math.min(request.maxTokens(), room);
                return decode(model, prompt, promptTokens, maxTokens, request, stops, out, cancellation);
            });
        } finally {
            slots.release();
            double ms = (System.nanoTime() - started) / 1e6;
            averageGenerationMs = averageGenerationMs * 0.8 + ms * 0.2;
        }
    }

    /** Takes a slot, waiting in the bounded queue if needed; throws Overloaded when the queue is full. */
    private void admit(Cancellation cancel) {
        try {
            if (slots.tryAcquire(0, TimeUnit.MILLISECONDS)) return;
            if (queued.incrementAndGet() > config.maxQueued()) {
                int waiting = queued.decrementAndGet();
                throw new EngineException.Overloaded(config.name(), config.parallelSlots(), config.maxQueued(), retryAfter(waiting));
            }
            try {
                while (!slots.tryAcquire(QUEUE_POLL_MS, TimeUnit.MILLISECONDS)) {
                    if (cancel.isCancelled()) throw new EngineException.Cancelled(config.name());
                }
                if (cancel.isCancelled()) {
                    slots.release();
                    throw new EngineException.Cancelled(config.name());
                }
            } finally {
                queued.decrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException.Cancelled(config.name());
        }
    }

    /** Time until a slot is likely free for a new request: the queue ahead, served by all slots. */
    private Duration retryAfter(int waiting) {
        double ms = averageGenerationMs * (waiting + 1) / config.parallelSlots();
        return Duration.ofSeconds(Math.max(1, (long) Math.ceil(ms / 1000)));
    }

    private GenerationResult decode(LlamaModel model, String prompt, int promptTokens, int maxTokens,
                                    GenerationRequest request, List<String> stops, TokenSink sink, Cancellation cancel) {
        InferenceParameters params = new InferenceParameters(prompt)
                .setNPredict(maxTokens)
                .setCachePrompt(true)
                .setTemperature((float) request.temperature())
                .setTopP((float) request.topP())
                .setRepeatPenalty(1.0f)
                .setPresencePenalty((float) request.presencePenalty())
                .setFrequencyPenalty((float) request.frequencyPenalty());
        request.seed().ifPresent(seed -> params.setSeed((int) (seed & 0x7fff_ffffL)));

        StopSequenceFilter filter = new StopSequenceFilter(stops, sink::onText);
        int completionTokens = 0;
        boolean lastPieceEmpty = false;
        FinishReason reason = null;
        LlamaIterator tokens = null;
        boolean finished = false;
        LlamaLogBridge.nativeActivity().readLock().lock();
        try {
            tokens = model.generate(params).iterator();
            while (tokens.hasNext()) {
                LlamaOutput output = tokens.next();
                // in streaming mode llama.cpp sends one partial result per sampled token, then a final empty one
                if (!tokens.hasNext()) break;
                completionTokens++;
                lastPieceEmpty = output.text.isEmpty();
                if (filter.accept(output.text)) { reason = FinishReason.STOP; break; }
                if (cancel.isCancelled()) { reason = FinishReason.CANCELLED; break; }
            }
            finished = !tokens.hasNext();
            if (reason == null) {
                filter.flush();
                if (completionTokens >= maxTokens) {
                    reason = FinishReason.LENGTH;
                } else if (lastPieceEmpty) {
                    reason = FinishReason.STOP; // the end-of-generation token, which has no text
                } else {
                    // llama.cpp hit n_predict while holding back the bytes of an unfinished UTF-8 character:
                    // those tokens sent no result of their own, but n_predict tokens were sampled
                    reason = FinishReason.LENGTH;
                    completionTokens = maxTokens;
                }
            }
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            if (e.getClass().getName().startsWith("de.kherud")) {
                throw new EngineException.GenerationFailed(config.name(), e.getMessage(), e);
            }
            throw e; // the caller's sink failed
        } finally {
            // a generation left early (stop sequence, cancel, failing sink) must free its llama.cpp slot
            if (tokens != null && !finished) tokens.cancel();
            LlamaLogBridge.nativeActivity().readLock().unlock();
        }
        return new GenerationResult(filter.text(), promptTokens, completionTokens, reason);
    }
}
