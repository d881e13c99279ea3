package dev.llmgateway.metering;

/**
 * What one request owes a model author, a pure function: when the obligation applies,
 * {@code round_half_up(charge * shareBp / 10^4) + round_half_up(tokens * royalty / 10^6)} micro-USD, each part rounded
 * once, per request; otherwise 0. Minimums per period are topped up when the period closes, not here.
 */
public final class RevenueShare {
    private RevenueShare() {}

    /** The share owed for a request of {@code useClass} charged {@code chargeMicros} for {@code tokens}, given month figures. */
    public static long owedMicros(LicenseConditions terms, UseClass useClass, LicensePeriodFigures monthFigures,
                                  long chargeMicros, long tokens) {
        if (!terms.obligationApplies(useClass, monthFigures)) return 0;
        return shareMicros(terms.obligation(), chargeMicros, tokens);
    }

    /** The obligation's per-request amount, ignoring thresholds; throws ArithmeticException on overflow. */
    public static long shareMicros(LicenseObligation o, long chargeMicros, long tokens) {
        if (chargeMicros < 0 || tokens < 0) throw new IllegalArgumentException("negative charge or tokens");
        long share = mulDivRoundHalfUp(chargeMicros, o.revenueShareBp(), Cost.BASIS_POINTS);
        long royalty = mulDivRoundHalfUp(tokens, o.royaltyMicrosPerMTok(), Cost.TOKENS_PER_PRICE_UNIT);
        long owed = Math.addExact(share, royalty);
        Invariants.check(owed >= 0, "share is not negative");
        return owed;
    }

    /** {@code round_half_up(x * m / d)} for {@code x, m >= 0, d > 0}, exact; throws ArithmeticException on overflow. */
    static long mulDivRoundHalfUp(long x, long m, long d) {
        long q = x / d;
        long r = x % d;
        long whole = Math.multiplyExact(q, m);
        // r < d; r * m may not fit for large m, so split m too: r*m = r*(mq*d + mr) = r*mq*d + r*mr.
        long mq = m / d;
        long mr = m % d;
        whole = Math.addExact(whole, Math.multiplyExact(r, mq));
        long rest = Math.multiplyExact(r, mr); // r < d and mr < d: fits while d <= 3*10^9
        long restQ = rest / d;
        long restR = rest % d;
        long roundUp = restR * 2 >= d ? 1 : 0;
        return Math.addExact(whole, restQ + roundUp);
    }
}
