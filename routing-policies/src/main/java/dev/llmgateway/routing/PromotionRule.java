package dev.llmgateway.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * When a migration stage may be promoted or must be rolled back.
 *
 * @param nonInferiorityMargin how much worse (score units) the open model may be and still count as non-inferior
 * @param confidence one-sided confidence of the non-inferiority test, e.g. 0.95
 * @param minSamples samples needed per side before quality, error or latency evidence counts
 * @param maxErrorRateIncrease allowed error-rate increase of open over closed (absolute, e.g. 0.01 = 1 pp)
 * @param maxLatencyRatio allowed open/closed latency ratio at p50 and at p95
 * @param minStageDuration the shortest time a stage runs before automatic promotion
 */
public record PromotionRule(double nonInferiorityMargin, double confidence, int minSamples,
                            double maxErrorRateIncrease, double maxLatencyRatio, Duration minStageDuration) {

    public PromotionRule {
        if (!(nonInferiorityMargin >= 0)) {
            throw new IllegalArgumentException("nonInferiorityMargin must be >= 0");
        }
        if (!(confidence > 0.5 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0.5, 1)");
        }
        if (minSamples < 2) {
            throw new IllegalArgumentException("minSamples must be >= 2");
        }
        if (!(maxErrorRateIncrease >= 0) || !(maxLatencyRatio >= 1)) {
            throw new IllegalArgumentException("maxErrorRateIncrease must be >= 0 and maxLatencyRatio >= 1");
        }
        Objects.requireNonNull(minStageDuration, "minStageDuration");
    }

    /** A rule with no minimum stage duration. */
    public PromotionRule(double nonInferiorityMargin, double confidence, int minSamples,
                         double maxErrorRateIncrease, double maxLatencyRatio) {
        this(nonInferiorityMargin, confidence, minSamples, maxErrorRateIncrease, maxLatencyRatio, Duration.ZERO);
    }
}
