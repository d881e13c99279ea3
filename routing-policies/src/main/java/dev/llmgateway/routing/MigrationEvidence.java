package dev.llmgateway.routing;

import java.util.Objects;

/**
 * Evidence gathered during one migration stage, as counts and sums the gateway can aggregate in SQL.
 *
 * @param stageIndex the stage the evidence belongs to; evidence of another stage never moves a migration
 * @param feedbackOpen quality scores (feedback or judge, ideally in [0,1]) of answers from the open deployment
 * @param feedbackClosed the same for the closed deployment
 * @param shadow pairwise shadow comparisons, counted from the open deployment's point of view
 * @param open requests, errors and latency of the open side
 * @param closed requests, errors and latency of the closed side
 */
public record MigrationEvidence(int stageIndex, ScoreStats feedbackOpen, ScoreStats feedbackClosed,
                                ShadowTally shadow, SideStats open, SideStats closed) {

    public MigrationEvidence {
        Objects.requireNonNull(feedbackOpen, "feedbackOpen");
        Objects.requireNonNull(feedbackClosed, "feedbackClosed");
        Objects.requireNonNull(shadow, "shadow");
        Objects.requireNonNull(open, "open");
        Objects.requireNonNull(closed, "closed");
    }

    /** Count, sum and sum of squares of scores: enough for the mean and the sample variance. */
    public record ScoreStats(long count, double sum, double sumOfSquares) {
        public static final ScoreStats NONE = new ScoreStats(0, 0, 0);

        public ScoreStats {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0");
            }
        }

        /** Stats of the given scores. */
        public static ScoreStats of(double... scores) {
            double s = 0;
            double ss = 0;
            for (double x : scores) {
                s += x;
                ss += x * x;
            }
            return new ScoreStats(scores.length, s, ss);
        }

        /** Adds one score. */
        public ScoreStats plus(double score) {
            return new ScoreStats(count + 1, sum + score, sumOfSquares + score * score);
        }

        public double mean() {
            return count == 0 ? 0 : sum / count;
        }

        /** Unbiased sample variance (n - 1), 0 below two samples, never negative. */
        public double sampleVariance() {
            if (count < 2) {
                return 0;
            }
            double v = (sumOfSquares - sum * sum / count) / (count - 1);
            return Math.max(0, v);
        }
    }

    /** Shadow comparisons of open against closed answers for the same request. */
    public record ShadowTally(long wins, long ties, long losses) {
        public static final ShadowTally NONE = new ShadowTally(0, 0, 0);

        public ShadowTally {
            if (wins < 0 || ties < 0 || losses < 0) {
                throw new IllegalArgumentException("counts must be >= 0");
            }
        }

        public long total() {
            return wins + ties + losses;
        }
    }

    /** Traffic of one side: requests, failed requests, latency percentiles. */
    public record SideStats(long requests, long errors, long latencyMsP50, long latencyMsP95) {
        public static final SideStats NONE = new SideStats(0, 0, 0, 0);

        public SideStats {
            if (requests < 0 || errors < 0 || errors > requests) {
                throw new IllegalArgumentException("need 0 <= errors <= requests");
            }
        }

        public double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }
    }
}
