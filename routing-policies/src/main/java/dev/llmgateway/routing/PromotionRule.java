package dev.llmgateway.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * When a migration stage may be promoted or must be rolled back. See docs/routing.md for the statistics.
 *
 * @param feedbackMargin how much lower (score units, scores in [0,1]) the open side's mean feedback may be and
 *                       still count as non-inferior
 * @param winRateMargin how far below 0.5 the open side's shadow win rate (win 1, tie 0.5, loss 0) may be and still
 *                      count as non-inferior
 * @param confidence confidence of each one-sided, anytime-valid bound, e.g. 0.95
 * @param minSamples end users per side (feedback, shadow) and requests per side (errors, latency) before that kind
 *                   of evidence counts at all
 * @param maxErrorRateIncrease allowed error-rate increase of open over closed (absolute, e.g. 0.01 = 1 pp)
 * @param maxLatencyRatio allowed open/closed latency ratio at p50 and at p95
 * @param minStageDuration the shortest time a stage runs before automatic promotion
 * @param evaluationInterval how often the gateway applies this rule to the stored evidence
 */
public record PromotionRule(double feedbackMargin, double winRateMargin, double confidence, int minSamples,
                            double maxErrorRateIncrease, double maxLatencyRatio, Duration minStageDuration,
                            Duration evaluationInterval) {

    /** How often the rule is applied when the configuration does not say. */
    public static final Duration DEFAULT_EVALUATION_INTERVAL = Duration.ofSeconds(30);

    public PromotionRule {
        if (!(feedbackMargin >= 0 && feedbackMargin <= 1) || !(winRateMargin >= 0 && winRateMargin <= 0.5)) {
            throw new IllegalArgumentException("feedbackMargin must be in [0,1] and winRateMargin in [0,0.5]");
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
        if (minStageDuration.isNegative()) {
            throw new IllegalArgumentException("minStageDuration must be >= 0");
        }
        Objects.requireNonNull(evaluationInterval, "evaluationInterval");
        if (evaluationInterval.isNegative() || evaluationInterval.isZero()) {
            throw new IllegalArgumentException("evaluationInterval must be > 0");
        }
    }

    /** One margin for both scales, the default evaluation interval. */
    public PromotionRule(double margin, double confidence, int minSamples, double maxErrorRateIncrease,
                         double maxLatencyRatio, Duration minStageDuration) {
        this(margin, margin, confidence, minSamples, maxErrorRateIncrease, maxLatencyRatio, minStageDuration,
                DEFAULT_EVALUATION_INTERVAL);
    }

    /** One margin for both scales, no minimum stage duration, the default evaluation interval. */
    public PromotionRule(double margin, double confidence, int minSamples, double maxErrorRateIncrease,
                         double maxLatencyRatio) {
        this(margin, confidence, minSamples, maxErrorRateIncrease, maxLatencyRatio, Duration.ZERO);
    }

    /**
     * The number of units (end users, or requests for the traffic gates) at which the confidence sequences are
     * tightest: four times {@code minSamples}, a little after evidence starts to count.
     */
    public double tightestAtUnits() {
        return 4.0 * minSamples;
    }
}
