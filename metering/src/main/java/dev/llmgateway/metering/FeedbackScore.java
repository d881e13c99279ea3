package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A feedback score in integer basis points: 0 (worst) .. 10000 (best), i.e. a score in [0,1] with four decimals.
 * Integers keep sums and sums of squares exact.
 */
public record FeedbackScore(int basisPoints) {
    public static final int MAX_BASIS_POINTS = 10_000;
    public static final FeedbackScore THUMBS_UP = new FeedbackScore(MAX_BASIS_POINTS);
    public static final FeedbackScore THUMBS_DOWN = new FeedbackScore(0);

    public FeedbackScore {
        if (basisPoints < 0 || basisPoints > MAX_BASIS_POINTS) {
            throw new IllegalArgumentException("score must be within 0..1 (0.." + MAX_BASIS_POINTS + " basis points)");
        }
    }

    /** A score in [0,1] given as a decimal (e.g. parsed from JSON), rounded half-even to four decimals. */
    public static FeedbackScore of(BigDecimal score) {
        if (score.signum() < 0 || score.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException("score must be within 0..1, got " + score.toPlainString());
        }
        return new FeedbackScore(score.movePointRight(4).setScale(0, RoundingMode.HALF_EVEN).intValueExact());
    }

    /** Thumbs up is 1, thumbs down 0. */
    public static FeedbackScore thumbs(boolean up) { return up ? THUMBS_UP : THUMBS_DOWN; }

    /** The score as a decimal in [0,1]. */
    public BigDecimal decimal() { return BigDecimal.valueOf(basisPoints, 4); }
}
