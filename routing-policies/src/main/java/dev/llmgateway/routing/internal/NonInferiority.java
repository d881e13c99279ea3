package dev.llmgateway.routing.internal;

import dev.llmgateway.routing.MigrationEvidence.ScoreStats;
import dev.llmgateway.routing.MigrationEvidence.ShadowTally;

/**
 * One-sided confidence bounds for "open minus closed" quality, with a normal approximation.
 *
 * <p>Feedback: {@code d = mean(open) - mean(closed)}, {@code se = sqrt(s²open/nOpen + s²closed/nClosed)}
 * (Welch, sample variances). Shadow: each comparison scores 1 (win), 0.5 (tie) or 0 (loss);
 * {@code d = mean - 0.5} with the standard error of that mean. Bounds are {@code d ± z·se}, with
 * {@code z} the standard normal quantile at the confidence level (1.645 at 95%).
 */
public final class NonInferiority {
    private NonInferiority() {
    }

    /** An estimate with its one-sided lower and upper confidence bounds. */
    public record Interval(double estimate, double lower, double upper, String samples) {
    }

    public static Interval meanDifference(ScoreStats open, ScoreStats closed, double confidence) {
        double d = open.mean() - closed.mean();
        double se = Math.sqrt(open.sampleVariance() / open.count() + closed.sampleVariance() / closed.count());
        double z = normalQuantile(confidence);
        return new Interval(d, d - z * se, d + z * se, open.count() + "/" + closed.count());
    }

    public static Interval shadowAdvantage(ShadowTally t, double confidence) {
        long n = t.total();
        double mean = (t.wins() + 0.5 * t.ties()) / n;
        double ss = t.wins() * sq(1 - mean) + t.ties() * sq(0.5 - mean) + t.losses() * sq(mean);
        double se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0;
        double z = normalQuantile(confidence);
        double d = mean - 0.5;
        return new Interval(d, d - z * se, d + z * se, Long.toString(n));
    }

    private static double sq(double x) {
        return x * x;
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
