package dev.llmgateway.engine;

/** Receives generated text piece by piece, in order, on the generating thread. */
@FunctionalInterface
public interface TokenSink {

    /** A sink that drops everything (non-streaming calls). */
    TokenSink NONE = piece -> { };

    void onText(String piece);
}
