package dev.llmgateway.routing.internal;

import dev.llmgateway.routing.PromptFeatures;

/**
 * Hand-weighted difficulty score in [0,1] from cheap prompt features. The weights are a prior, not a
 * trained model; with a target strong share the calibrator only needs the ranking to be sensible.
 */
public final class DifficultyModel {
    private static final double LOG_LENGTH_SATURATION = Math.log1p(16_000 / 200.0);

    private DifficultyModel() {
    }

    public static double score(PromptFeatures p) {
        double length = Math.min(1, Math.log1p(p.chars() / 200.0) / LOG_LENGTH_SATURATION);
        double code = Math.min(1, p.codeSignals() / 6.0);
        double math = Math.min(1, p.mathSignals() / 6.0);
        double turns = Math.min(1, Math.max(0, p.messages() - 1) / 10.0);
        double reasoning = Math.min(1, p.reasoningAsks() / 3.0);
        double nonEnglish = Math.min(1, p.nonAsciiLetterShare() * 1.5);
        double s = 0.25 * length + 0.20 * code + 0.20 * math + 0.10 * turns + 0.20 * reasoning + 0.05 * nonEnglish;
        return Math.max(0, Math.min(1, s));
    }
}
