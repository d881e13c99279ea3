package dev.llmgateway.routing;

import java.util.OptionalDouble;

/**
 * Keeps a bounded window of recent difficulty scores and places the strong/weak cut so that a target share
 * of that traffic goes to the strong deployment (RouteLLM-style threshold calibration). Thread-safe.
 *
 * <p>Scores are kept in {@value #BINS} bins over [0,1]. The cut is a bin: scores above it go strong, scores
 * in it go strong for the fraction of the bin that fills the target (decided by a stable per-request hash),
 * so the share holds even when many prompts have the same score.
 */
public final class ComplexityCalibrator {

    /** Resolution of the score histogram. */
    public static final int BINS = 1024;
    private static final int RECOMPUTE_EVERY = 16;

    private final double targetStrongShare;
    private final int minSamples;
    private final short[] window;
    private final int[] counts = new int[BINS];
    private int next;
    private int size;
    private int sinceRecompute;
    private volatile Cut cut;

    /** The strong/weak cut: bins above {@code bin} go strong, and {@code tieShare} of bin {@code bin}. */
    record Cut(int bin, double tieShare) {
        boolean strong(double difficulty, double tieBreak) {
            int b = binOf(difficulty);
            return b > bin || (b == bin && tieBreak < tieShare);
        }

        double threshold() {
            return Math.min(1.0, (double) bin / BINS);
        }
    }

    /**
     * @param targetStrongShare share of recent traffic that should go strong, in [0,1]
     * @param windowSize number of recent scores kept
     * @param minSamples scores needed before the calibrated cut is used (until then the policy's fixed threshold)
     */
    public ComplexityCalibrator(double targetStrongShare, int windowSize, int minSamples) {
        if (!(targetStrongShare >= 0 && targetStrongShare <= 1)) {
            throw new IllegalArgumentException("targetStrongShare must be in [0,1]");
        }
        if (windowSize < 1 || minSamples < 1 || minSamples > windowSize) {
            throw new IllegalArgumentException("need 1 <= minSamples <= windowSize");
        }
        this.targetStrongShare = targetStrongShare;
        this.window = new short[windowSize];
        this.minSamples = minSamples;
    }

    /** A calibrator over the last 10,000 scores, active after 500. */
    public ComplexityCalibrator(double targetStrongShare) {
        this(targetStrongShare, 10_000, 500);
    }

    public double targetStrongShare() {
        return targetStrongShare;
    }

    static int binOf(double difficulty) {
        if (!(difficulty > 0)) {
            return 0;
        }
        return Math.min(BINS - 1, (int) (difficulty * BINS));
    }

    /** Adds a score to the window (evicting the oldest when full). */
    public synchronized void record(double difficulty) {
        int b = binOf(difficulty);
        if (size == window.length) {
            counts[window[next]]--;
        } else {
            size++;
        }
        window[next] = (short) b;
        counts[b]++;
        next = next + 1 == window.length ? 0 : next + 1;
        if (size >= minSamples && (++sinceRecompute >= RECOMPUTE_EVERY || cut == null)) {
            sinceRecompute = 0;
            cut = computeCut();
        }
    }

    private Cut computeCut() {
        double wanted = targetStrongShare * size;
        if (wanted <= 0) {
            return new Cut(BINS, 0);
        }
        double above = 0;
        for (int b = BINS - 1; b >= 0; b--) {
            int c = counts[b];
            if (above + c >= wanted) {
                return new Cut(b, c == 0 ? 0 : (wanted - above) / c);
            }
            above += c;
        }
        return new Cut(0, 1);
    }

    /** The current calibrated cut, or null while fewer than minSamples scores were seen. */
    Cut cut() {
        return cut;
    }

    /**
     * Whether a request with this difficulty goes strong: by the calibrated cut once warm, else by
     * {@code difficulty > fallbackThreshold}. {@code tieBreak} in [0,1) should be a stable per-request hash.
     */
    public boolean routesStrong(double difficulty, double tieBreak, double fallbackThreshold) {
        Cut c = cut;
        return c == null ? difficulty > fallbackThreshold : c.strong(difficulty, tieBreak);
    }

    /** The calibrated threshold (lower edge of the cut bin), empty until warm. */
    public OptionalDouble threshold() {
        Cut c = cut;
        return c == null ? OptionalDouble.empty() : OptionalDouble.of(c.threshold());
    }

    /** Scores currently in the window. */
    public synchronized int samples() {
        return size;
    }
}
