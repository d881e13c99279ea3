package dev.llmgateway.routing;

import dev.llmgateway.routing.internal.DifficultyModel;
import dev.llmgateway.routing.internal.PromptScanner;
import java.util.List;

/**
 * Cheap prompt features, computed in one linear pass without regular expressions or allocation per word.
 *
 * @param chars total characters over all messages
 * @param messages number of messages (multi-turn depth)
 * @param codeSignals code fences, indented lines, code syntax and programming keywords
 * @param mathSignals digit-operator-digit runs, math symbols and math vocabulary
 * @param reasoningAsks explicit asks for reasoning ("prove", "explain why", "step by step", "trade-offs", ...)
 * @param nonAsciiLetterShare share of letters outside ASCII, a cheap proxy for non-English text
 */
public record PromptFeatures(int chars, int messages, int codeSignals, int mathSignals, int reasoningAsks,
                             double nonAsciiLetterShare) {

    /** No prompt information. */
    public static final PromptFeatures EMPTY = new PromptFeatures(0, 0, 0, 0, 0, 0.0);

    /** Extracts features from the message texts, in conversation order (roles aside). */
    public static PromptFeatures extract(List<String> messageTexts) {
        return PromptScanner.scan(messageTexts);
    }

    /** Heuristic difficulty in [0,1]: longer, code, math, deep conversations, reasoning asks, non-English are harder. */
    public double difficulty() {
        return DifficultyModel.score(this);
    }
}
