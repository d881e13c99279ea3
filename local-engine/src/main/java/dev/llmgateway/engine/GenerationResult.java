package dev.llmgateway.engine;

/**
 * The whole completion and its exact token counts (see docs/engine.md, "Token counting").
 *
 * @param promptTokens     tokens of the rendered prompt the model evaluated, BOS included
 * @param completionTokens tokens the model sampled, including the end-of-generation token and the
 *                         tokens of a matched stop sequence
 */
public record GenerationResult(String text, int promptTokens, int completionTokens, FinishReason finishReason) {

    public int totalTokens() { return promptTokens + completionTokens; }
}
