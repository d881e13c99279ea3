package dev.llmgateway.engine.internal;

import java.util.List;
import java.util.function.Consumer;

/**
 * Passes generated text through, cutting it before the first stop sequence. Text that could be the start of a
 * stop sequence is held back until the next piece decides, so a stop sequence split across pieces never leaks.
 */
public final class StopSequenceFilter {

    private final List<String> stops;
    private final Consumer<String> downstream;
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder emitted = new StringBuilder();
    private boolean stopped;

    public StopSequenceFilter(List<String> stops, Consumer<String> downstream) {
        this.stops = List.copyOf(stops);
        this.downstream = downstream;
    }

    /** Accepts one piece; returns true when a stop sequence has been matched (nothing more is emitted). */
    public boolean accept(String piece) {
        if (stopped) return true;
        if (piece.isEmpty()) return false;
        if (stops.isEmpty()) {
            emit(piece);
            return false;
        }
        held.append(piece);
        int cut = firstStop();
        if (cut >= 0) {
            emit(held.substring(0, cut));
            held.setLength(0);
            stopped = true;
            return true;
        }
        int keep = longestPossibleStart();
        emit(held.substring(0, held.length() - keep));
        held.delete(0, held.length() - keep);
        return false;
    }

    /** Emits text held back as a possible stop prefix; call when generation ends without a match. */
    public void flush() {
        if (!stopped && !held.isEmpty()) {
            emit(held.toString());
            held.setLength(0);
        }
    }

    /** Everything passed downstream so far. */
    public String text() { return emitted.toString(); }

    public boolean stopped() { return stopped; }

    private void emit(String text) {
        if (text.isEmpty()) return;
        emitted.append(text);
        downstream.accept(text);
    }

    private int firstStop() {
        int best = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /** Length of the longest suffix of {@code held} that is a proper prefix of some stop sequence. */
    private int longestPossibleStart() {
        String text = held.toString();
        int best = 0;
        for (String stop : stops) {
            int max = Math.min(stop.length() - 1, text.length());
            for (int k = max; k > best; k--) {
                if (text.regionMatches(text.length() - k, stop, 0, k)) { best = k; break; }
            }
        }
        return best;
    }
}
