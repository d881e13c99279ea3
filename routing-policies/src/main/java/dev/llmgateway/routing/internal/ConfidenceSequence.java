package dev.llmgateway.routing.internal;

import dev.llmgateway.routing.MigrationEvidence.ScoreStats;

/**
 * Anytime-valid confidence bounds: they hold simultaneously at every evaluation, however often the gateway
 * looks, so evaluating every 30 s does not inflate the error rates the way a repeated fixed-sample test does.
 *
 * <p>The boundary is Robbins' normal mixture (Robbins 1970; Howard, Ramdas, McAuliffe and Sekhon 2021) used as an
 * asymptotic confidence sequence (Waudby-Smith, Arnold, Wu, Wang and Ramdas 2024): for an estimate with standard
 * error {@code se} after {@code t} units, the radius is {@code se * sqrt((tρ²+1)/(tρ²) * ln((tρ²+1)/α²))}, where
 * {@code ρ} places the tightest point at a chosen {@code t*} and {@code α} is two-sided. A one-sided statement at
 * confidence {@code c} uses {@code α = 2(1 - c)}, whose each side holds with probability {@code c}.
 */
public final class ConfidenceSequence {
    /** Largest variance of a value in [0,1]: used as one pseudo-unit so that tiny, uniform samples are not trusted. */
    private static final double PRIOR_VARIANCE = 0.25;

    private ConfidenceSequence() {
    }

    /** An estimate with its anytime-valid lower and upper bounds, and the units it rests on. */
    public record Bound(double estimate, double lower, double upper, String samples) {
    }

    /** The two-sided α whose each side holds with probability {@code confidence}. */
    public static double alpha(double confidence) {
        return 2 * (1 - confidence);
    }

    /** The boundary multiplier after {@code units} units (it replaces the fixed z of a one-look test). */
    public static double multiplier(double units, double confidence, double tightestAtUnits) {
        double alpha = alpha(confidence);
        double a = -2 * Math.log(alpha);
        double rho2 = (a + Math.log(a + 1)) / Math.max(1, tightestAtUnits);
        double tr = Math.max(1, units) * rho2;
        return Math.sqrt((tr + 1) / tr * Math.log((tr + 1) / (alpha * alpha)));
    }

    /**
     * Variance of the per-unit values with one extra pseudo-unit of variance 0.25: {@code (Σ(x-x̄)² + 0.25) / n}.
     * Its weight vanishes as n grows (so the asymptotics are unchanged) but it keeps a dozen identical scores from
     * looking certain.
     */
    static double variance(ScoreStats s) {
        double squares = s.count() >= 2 ? s.sampleVariance() * (s.count() - 1) : 0;
        return (squares + PRIOR_VARIANCE) / Math.max(1, s.count());
    }

    /** Difference of means (open minus closed) of two independent samples, Welch standard error. */
    public static Bound meanDifference(ScoreStats open, ScoreStats closed, double confidence, double tightestAt) {
        double d = open.mean() - closed.mean();
        double se = Math.sqrt(variance(open) / open.count() + variance(closed) / closed.count());
        double r = multiplier(open.count() + closed.count(), confidence, tightestAt) * se;
        return new Bound(d, d - r, d + r, open.count() + "/" + closed.count() + " users");
    }

    /** Mean of one sample minus a reference value (the shadow win rate against 0.5). */
    public static Bound meanAbove(ScoreStats s, double reference, double confidence, double tightestAt) {
        double d = s.mean() - reference;
        double r = multiplier(s.count(), confidence, tightestAt) * Math.sqrt(variance(s) / s.count());
        return new Bound(d, d - r, d + r, s.count() + " users");
    }

    /**
     * Difference of two error rates (open minus closed). The standard error uses (x+1)/(n+2) so that zero errors
     * on both sides do not give a zero-width bound.
     */
    public static Bound proportionDifference(long openErrors, long openRequests, long closedErrors,
                                             long closedRequests, double confidence, double tightestAt) {
        double d = (double) openErrors / openRequests - (double) closedErrors / closedRequests;
        double po = (openErrors + 1.0) / (openRequests + 2.0);
        double pc = (closedErrors + 1.0) / (closedRequests + 2.0);
        double se = Math.sqrt(po * (1 - po) / openRequests + pc * (1 - pc) / closedRequests);
        double r = multiplier(openRequests + closedRequests, confidence, tightestAt) * se;
        return new Bound(d, d - r, d + r, openRequests + "/" + closedRequests + " requests");
    }

    /**
     * How far (in quantile levels) the empirical {@code p}-quantile of {@code n} values may sit from the true one:
     * the number of values below the true quantile is Binomial(n, p), so the true {@code p}-quantile lies between
     * the empirical {@code p - r} and {@code p + r} quantiles (distribution-free, order statistics).
     */
    public static double quantileBand(long n, double p, double confidence, double tightestAt) {
        return multiplier(n, confidence, tightestAt) * Math.sqrt(p * (1 - p) / Math.max(1, n));
    }

    /** Inverse standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9). */
    public static double normalQuantile(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0,1)");
        }
        final double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        final double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01};
        final double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        final double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00};
        double plow = 0.02425;
        if (p < plow) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - plow) {
            double q = Math.sqrt(-2 * Math.log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
