package dev.llmgateway.engine;

import java.nio.file.Path;
import java.time.Duration;

/** Every failure the engine reports; a closed family so callers can map each case exhaustively. */
public sealed abstract class EngineException extends RuntimeException {

    private final String model;

    private EngineException(String model, String message, Throwable cause) {
        super(message, cause);
        this.model = model;
    }

    /** The model name the request asked for. */
    public String model() { return model; }

    /** Whether the same request may succeed if sent again later. */
    public abstract boolean retryable();

    /** No model of that name is configured. */
    public static final class UnknownModel extends EngineException {
        public UnknownModel(String model) { super(model, "unknown model '" + model + "'", null); }
        @Override public boolean retryable() { return false; }
    }

    /** The model's file is missing, is not a GGUF, or llama.cpp failed to load it; the message names the file. */
    public static final class ModelUnavailable extends EngineException {
        private final Path path;
        public ModelUnavailable(String model, Path path, String reason, Throwable cause) {
            super(model, "model '" + model + "' is unavailable: " + reason + " (file " + path + ")", cause);
            this.path = path;
        }
        public Path path() { return path; }
        @Override public boolean retryable() { return false; }
    }

    /** Every slot is busy and the wait queue is full; try again after {@link #retryAfter()}. */
    public static final class Overloaded extends EngineException {
        private final Duration retryAfter;
        public Overloaded(String model, int slots, int maxQueued, Duration retryAfter) {
            super(model, "model '" + model + "' is overloaded: " + slots + " slot(s) busy and " + maxQueued
                    + " request(s) queued; retry after " + retryAfter.toSeconds() + "s", null);
            this.retryAfter = retryAfter;
        }
        public Duration retryAfter() { return retryAfter; }
        @Override public boolean retryable() { return true; }
    }

    /** The rendered prompt does not fit the model's context (no room left for one completion token). */
    public static final class ContextLengthExceeded extends EngineException {
        private final int promptTokens;
        private final int contextSize;
        public ContextLengthExceeded(String model, int promptTokens, int contextSize) {
            super(model, "prompt of " + promptTokens + " tokens does not fit the context of " + contextSize
                    + " tokens of model '" + model + "'", null);
            this.promptTokens = promptTokens;
            this.contextSize = contextSize;
        }
        public int promptTokens() { return promptTokens; }
        public int contextSize() { return contextSize; }
        @Override public boolean retryable() { return false; }
    }

    /** The caller cancelled before generation started (while waiting for a slot). */
    public static final class Cancelled extends EngineException {
        public Cancelled(String model) { super(model, "request for model '" + model + "' was cancelled before it started", null); }
        @Override public boolean retryable() { return false; }
    }

    /** llama.cpp reported an error while generating. */
    public static final class GenerationFailed extends EngineException {
        public GenerationFailed(String model, String reason, Throwable cause) {
            super(model, "generation with model '" + model + "' failed: " + reason, cause);
        }
        @Override public boolean retryable() { return true; }
    }

    /** The model or this engine cannot do what was asked (e.g. embeddings from a model loaded for generation). */
    public static final class Unsupported extends EngineException {
        public Unsupported(String model, String what) { super(model, what, null); }
        @Override public boolean retryable() { return false; }
    }
}
