package dev.llmgateway.engine;

/**
 * One text's embedding from a model loaded for embeddings (see docs/engine.md, "Embeddings").
 *
 * @param vector       the pooled, L2-normalised vector; its length is the model's embedding size
 * @param promptTokens tokens the model evaluated for the text, BOS/EOS included as the tokenizer adds them (the same
 *                     count as a prompt's {@link GenerationResult#promptTokens()})
 */
public record Embedding(float[] vector, int promptTokens) {
    public int dimensions() { return vector.length; }
}
