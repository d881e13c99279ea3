package dev.llmgateway.engine;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What to generate and how to sample it.
 *
 * @param maxTokens   most completion tokens; 0 = until the context is full. Clamped to the room the
 *                    context leaves after the prompt.
 * @param stop        stop sequences; generation ends before the first one and it is not returned
 * @param temperature 0 = greedy (deterministic)
 * @param topP        nucleus sampling, 0..1; 1 = off
 * @param seed        sampling seed (its low 31 bits); empty = random
 */
public record GenerationRequest(List<EngineMessage> messages, int maxTokens, List<String> stop, double temperature,
                                double topP, OptionalLong seed, double presencePenalty, double frequencyPenalty) {

    public GenerationRequest {
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        stop = stop == null ? List.of() : stop.stream().filter(s -> s != null && !s.isEmpty()).toList();
        seed = seed == null ? OptionalLong.empty() : seed;
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, was " + maxTokens);
        if (temperature < 0 || Double.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0");
        if (!(topP >= 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in [0, 1], was " + topP);
    }

    /** Greedy decoding of at most {@code maxTokens} tokens, no stop sequences, no penalties. */
    public static GenerationRequest greedy(List<EngineMessage> messages, int maxTokens) {
        return new GenerationRequest(messages, maxTokens, List.of(), 0, 1, OptionalLong.empty(), 0, 0);
    }

    public GenerationRequest withStop(List<String> sequences) {
        return new GenerationRequest(messages, maxTokens, sequences, temperature, topP, seed, presencePenalty, frequencyPenalty);
    }

    public GenerationRequest withSampling(double temp, double nucleus, OptionalLong seedValue) {
        return new GenerationRequest(messages, maxTokens, stop, temp, nucleus, seedValue, presencePenalty, frequencyPenalty);
    }

    public GenerationRequest withMaxTokens(int tokens) {
        return new GenerationRequest(messages, tokens, stop, temperature, topP, seed, presencePenalty, frequencyPenalty);
    }
}
