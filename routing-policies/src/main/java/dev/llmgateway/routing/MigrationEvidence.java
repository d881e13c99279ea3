package dev.llmgateway.routing;

import java.util.List;
import java.util.Objects;

/**
 * Evidence gathered during one migration stage, as counts and sums the gateway can aggregate in SQL.
 *
 * <p>Quality evidence is clustered by end user (the sticky key): each user contributes one number, the mean of
 * their scores, so one heavy user counts as one unit and cannot decide a migration alone.
 *
 * @param stageIndex the stage the evidence belongs to; evidence of another stage never moves a migration
 * @param feedbackOpen per-user mean feedback scores (in [0,1]) of end users served by the open deployment
 * @param feedbackClosed the same for the closed deployment
 * @param shadow pairwise shadow comparisons, oriented to the open deployment's point of view
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

    /**
     * Count, sum and sum of squares of per-unit values: enough for the mean and the sample variance. For feedback
     * the units are end users and the values their mean scores; {@code observations} counts the scores behind them.
     */
    public record ScoreStats(long count, double sum, double sumOfSquares, long observations) {
        public static final ScoreStats NONE = new ScoreStats(0, 0, 0, 0);

        public ScoreStats {
            if (count < 0 || observations < count) {
                throw new IllegalArgumentException("need 0 <= count <= observations");
            }
        }

        /** Stats where each value is its own unit (one observation per unit). */
        public ScoreStats(long count, double sum, double sumOfSquares) {
            this(count, sum, sumOfSquares, count);
        }

        /** Stats of the given values, one unit each. */
        public static ScoreStats of(double... values) {
            double s = 0;
            double ss = 0;
            for (double x : values) {
                s += x;
                ss += x * x;
            }
            return new ScoreStats(values.length, s, ss);
        }

        /** Adds one unit with one observation. */
        public ScoreStats plus(double value) {
            return new ScoreStats(count + 1, sum + value, sumOfSquares + value * value, observations + 1);
        }

        public double mean() {
            return count == 0 ? 0 : sum / count;
        }

        /** Unbiased sample variance (n - 1), 0 below two units, never negative. */
        public double sampleVariance() {
            if (count < 2) {
                return 0;
            }
            double v = (sumOfSquares - sum * sum / count) / (count - 1);
            return Math.max(0, v);
        }
    }

    /**
     * Shadow comparisons of open against closed answers to the same request, from the open deployment's point of
     * view (a win means the open answer was better). {@code byUser}: per end user, the mean of the user's
     * comparison scores (win 1, tie 0.5, loss 0).
     */
    public record ShadowTally(long wins, long ties, long losses, ScoreStats byUser) {
        public static final ShadowTally NONE = new ShadowTally(0, 0, 0);

        public ShadowTally {
            if (wins < 0 || ties < 0 || losses < 0) {
                throw new IllegalArgumentException("counts must be >= 0");
            }
            Objects.requireNonNull(byUser, "byUser");
            if (byUser.observations() > wins + ties + losses) {
                throw new IllegalArgumentException("byUser has more observations than comparisons");
            }
        }

        /** A tally in which every comparison is its own unit (no end user clustering). */
        public ShadowTally(long wins, long ties, long losses) {
            this(wins, ties, losses, new ScoreStats(wins + ties + losses, wins + 0.5 * ties, wins + 0.25 * ties));
        }

        public long total() {
            return wins + ties + losses;
        }
    }

    /**
     * Traffic of one side: requests, failed requests, and the latency of successful requests at every percentile
     * 0..100 (101 nondecreasing values; empty when unknown).
     */
    public record SideStats(long requests, long errors, List<Long> latencyMsPercentiles) {
        public static final SideStats NONE = new SideStats(0, 0, List.of());

        public SideStats {
            if (requests < 0 || errors < 0 || errors > requests) {
                throw new IllegalArgumentException("need 0 <= errors <= requests");
            }
            latencyMsPercentiles = List.copyOf(latencyMsPercentiles);
            if (!latencyMsPercentiles.isEmpty() && latencyMsPercentiles.size() != 101) {
                throw new IllegalArgumentException("latency percentiles: expected 101 values (0..100), got "
                        + latencyMsPercentiles.size());
            }
            for (int i = 1; i < latencyMsPercentiles.size(); i++) {
                if (latencyMsPercentiles.get(i) < latencyMsPercentiles.get(i - 1)) {
                    throw new IllegalArgumentException("latency percentiles must be nondecreasing");
                }
            }
        }

        public double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /** Successful requests (the ones with a latency). */
        public long successes() {
            return requests - errors;
        }

        /** Latency at quantile {@code q} in [0,1], interpolated between percentiles; 0 when unknown. */
        public double latencyMs(double q) {
            if (latencyMsPercentiles.isEmpty()) {
                return 0;
            }
            double x = Math.max(0, Math.min(1, q)) * 100;
            int lo = (int) Math.floor(x);
            int hi = Math.min(100, lo + 1);
            double w = x - lo;
            return latencyMsPercentiles.get(lo) * (1 - w) + latencyMsPercentiles.get(hi) * w;
        }

        public long latencyMsP50() {
            return latencyMsPercentiles.isEmpty() ? 0 : latencyMsPercentiles.get(50);
        }

        public long latencyMsP95() {
            return latencyMsPercentiles.isEmpty() ? 0 : latencyMsPercentiles.get(95);
        }
    }
}
