package dev.llmgateway.routing.internal;

/** Allocation-light number formatting for decision reasons (String.format is too slow for the hot path). */
public final class Fmt {
    private Fmt() {
    }

    /** Two decimals, e.g. {@code 0.62}. */
    public static String two(double x) {
        return fixed(x, 2);
    }

    /** Three decimals, e.g. {@code -0.031}. */
    public static String three(double x) {
        return fixed(x, 3);
    }

    /** A fraction as a percent with at most one decimal, e.g. {@code 0.855 -> "85.5%"}, {@code 0.25 -> "25%"}. */
    public static String percent(double fraction) {
        long tenths = Math.round(fraction * 1000);
        return (tenths % 10 == 0 ? Long.toString(tenths / 10) : fixed(tenths / 10.0, 1)) + "%";
    }

    /** A fraction difference in percentage points with one decimal, e.g. {@code 0.021 -> "2.1 pp"}. */
    public static String pp(double fraction) {
        return fixed(fraction * 100, 1) + " pp";
    }

    static String fixed(double x, int decimals) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return Double.toString(x);
        }
        long scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
        long v = Math.round(Math.abs(x) * scale);
        StringBuilder sb = new StringBuilder(12);
        if (x < 0 && v != 0) {
            sb.append('-');
        }
        sb.append(v / scale).append('.');
        String frac = Long.toString(v % scale);
        for (int i = frac.length(); i < decimals; i++) {
            sb.append('0');
        }
        return sb.append(frac).toString();
    }
}
