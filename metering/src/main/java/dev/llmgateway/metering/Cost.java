package dev.llmgateway.metering;

/**
 * Cost arithmetic, a pure function. {@code cost = ((prompt - cached) * input + cached * cachedInput
 * + completion * output) * (10000 + markupBp) / (10^6 * 10^4)} micro-USD, computed exactly in integers and
 * rounded once, half-up, to a whole micro-USD. Nothing is rounded per token class or before the markup.
 */
public final class Cost {
    /** Prices are per this many tokens. */
    public static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;
    /** Basis points in 100%. */
    public static final int BASIS_POINTS = 10_000;
    /** Highest accepted markup: 10000% (keeps intermediate products within a long). */
    public static final int MARKUP_BP_MAX = 1_000_000;

    private Cost() {}

    /** What these tokens cost at these prices, without markup. */
    public static CostResult of(TokenCounts tokens, TokenPrices prices) {
        return withMarkup(tokens, prices, 0);
    }

    /** What these tokens cost at these prices plus {@code markupBp} basis points (150 = +1.5%), rounded once. */
    public static CostResult withMarkup(TokenCounts tokens, TokenPrices prices, int markupBp) {
        if (markupBp < 0 || markupBp > MARKUP_BP_MAX) {
            throw new IllegalArgumentException("markup " + markupBp + " bp outside 0.." + MARKUP_BP_MAX);
        }
        if (!tokens.valid()) return CostResult.failed(CostStatus.INVALID_TOKENS);
        long micros;
        try {
            long uncached = tokens.promptTokens() - tokens.cachedTokens();
            // Sum of tokens x price: micro-USD scaled by 10^6 (exact, overflow-checked).
            long scaled = Math.addExact(
                    Math.addExact(Math.multiplyExact(uncached, prices.inputMicrosPerMTok()),
                            Math.multiplyExact(tokens.cachedTokens(), prices.cachedInputMicrosPerMTok())),
                    Math.multiplyExact(tokens.completionTokens(), prices.outputMicrosPerMTok()));
            micros = mulDivRoundHalfUp(scaled, BASIS_POINTS + markupBp, TOKENS_PER_PRICE_UNIT * BASIS_POINTS);
        } catch (ArithmeticException overflow) {
            return CostResult.failed(CostStatus.OVERFLOW);
        }
        Invariants.check(micros >= 0, "cost is not negative");
        return CostResult.ok(micros);
    }

    /**
     * {@code round_half_up(x * m / d)} for {@code x >= 0, m >= 0, d > 0}, exact without 128-bit arithmetic:
     * {@code x = q*d + r}, so {@code x*m/d = q*m + r*m/d}; throws ArithmeticException when the result overflows.
     * Requires {@code d * m} to fit a long (true for the markup bound above).
     */
    static long mulDivRoundHalfUp(long x, long m, long d) {
        long q = x / d;
        long r = x % d;
        long whole = Math.multiplyExact(q, m);
        long rest = Math.multiplyExact(r, m); // < d * m
        long restQ = rest / d;
        long restR = rest % d;
        long roundUp = restR * 2 >= d ? 1 : 0; // restR < d, so 2*restR fits
        return Math.addExact(whole, restQ + roundUp);
    }
}
