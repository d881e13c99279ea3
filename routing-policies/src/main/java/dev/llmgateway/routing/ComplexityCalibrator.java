package dev.llmgateway.routing;

import java.util.OptionalDouble;

/**
 * Keeps a bounded window of recent difficulty scores and places the strong/weak cut so that a target share
 * of that traffic goes to the strong deployment (RouteLLM-style threshold calibration). Thread-safe.
 *
 * <p>Scores are kept in {@value #BINS} bins over [0,1]. The cut is a bin: scores above it go strong, scores
 * in it go strong for the fraction of the bin that fills the target (decided by a stable per-request hash),
 * so the share holds even when many prompts have the same score.
 *
 * <p>Replicas share calibration: each publishes {@link #counts()} of its own window and receives the other
 * replicas' counts ({@link #useOthers}); the cut is placed on the sum, so every replica routes the same share of the
 * whole traffic. {@link #seed} refills a fresh window (after a reload or restart) from stored counts.
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
    private int[] others = new int[BINS];
    private long othersSize;
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
        if (size + othersSize >= minSamples && (++sinceRecompute >= RECOMPUTE_EVERY || cut == null)) {
            sinceRecompute = 0;
            cut = computeCut();
        }
    }

    /** A copy of this window's histogram ({@value #BINS} bins over [0,1]), to publish to other replicas. */
    public synchronized int[] counts() {
        return counts.clone();
    }

    /**
     * Fills the window from a stored histogram (this replica's last published counts), as if those scores had just
     * been seen; at most the window's size, oldest first overwritten by new scores.
     */
    public synchronized void seed(int[] histogram) {
        checkBins(histogram);
        for (int b = 0; b < BINS; b++) {
            for (int i = 0; i < histogram[b]; i++) {
                if (size == window.length) {
                    counts[window[next]]--;
                } else {
                    size++;
                }
                window[next] = (short) b;
                counts[b]++;
                next = next + 1 == window.length ? 0 : next + 1;
            }
        }
        cut = size + othersSize >= minSamples ? computeCut() : null;
    }

    /** The other replicas' summed histograms; the cut is placed on this window plus these. */
    public synchronized void useOthers(int[] histogram) {
        checkBins(histogram);
        long total = 0;
        for (int c : histogram) {
            if (c < 0) {
                throw new IllegalArgumentException("counts must be >= 0");
            }
            total += c;
        }
        others = histogram.clone();
        othersSize = total;
        cut = size + othersSize >= minSamples ? computeCut() : null;
    }

    private static void checkBins(int[] histogram) {
        if (histogram.length != BINS) {
            throw new IllegalArgumentException("expected " + BINS + " bins, got " + histogram.length);
        }
    }

    private Cut computeCut() {
        double wanted = targetStrongShare * (size + othersSize);
        if (wanted <= 0) {
            return new Cut(BINS, 0);
        }
        double above = 0;
        for (int b = BINS - 1; b >= 0; b--) {
            long c = (long) counts[b] + others[b];
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

    /** Scores currently in this replica's window. */
    public synchronized int samples() {
        return size;
    }

    /** Scores the cut is placed on: this window plus the other replicas'. */
    public synchronized long sharedSamples() {
        return size + othersSize;
    }
}
