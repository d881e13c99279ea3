package dev.llmgateway.metering;

import java.math.BigDecimal;

/**
 * Cost arithmetic, a pure function. {@code cost = ((prompt - cached) * input + cached * cachedInput
 * + completion * output) * (10000 + markupBp) / (10^6 * 10^4)} micro-USD, computed exactly: the result is a
 * {@link MicroUsd} with up to 10 decimals, never rounded (rounding happens once, where money is presented or owed:
 * statement lines, invoice and CSV totals, a budget's spent figure shown to people).
 */
public final class Cost {
    /** Prices are per this many tokens. */
    public static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;
    /** Basis points in 100%. */
    public static final int BASIS_POINTS = 10_000;
    /** Highest accepted markup: 10000%. */
    public static final int MARKUP_BP_MAX = 1_000_000;

    private Cost() {}

    /** What these tokens cost at these prices, without markup. */
    public static CostResult of(TokenCounts tokens, TokenPrices prices) {
        return withMarkup(tokens, prices, 0);
    }

    /** What these tokens cost at these prices plus {@code markupBp} basis points (150 = +1.5%), exactly. */
    public static CostResult withMarkup(TokenCounts tokens, TokenPrices prices, int markupBp) {
        if (markupBp < 0 || markupBp > MARKUP_BP_MAX) {
            throw new IllegalArgumentException("markup " + markupBp + " bp outside 0.." + MARKUP_BP_MAX);
        }
        if (!tokens.valid()) return CostResult.failed(CostStatus.INVALID_TOKENS);
        MicroUsd cost;
        try {
            long uncached = tokens.promptTokens() - tokens.cachedTokens();
            // Sum of tokens x price: micro-USD scaled by 10^6, i.e. pico-USD (exact, overflow-checked).
            long picos = Math.addExact(
                    Math.addExact(Math.multiplyExact(uncached, prices.inputMicrosPerMTok()),
                            Math.multiplyExact(tokens.cachedTokens(), prices.cachedInputMicrosPerMTok())),
                    Math.multiplyExact(tokens.completionTokens(), prices.outputMicrosPerMTok()));
            // x (10^4 + markup) / 10^10: a decimal shift, so exact at 10 decimals of a micro-USD.
            cost = new MicroUsd(BigDecimal.valueOf(picos).multiply(BigDecimal.valueOf(BASIS_POINTS + markupBp)).movePointLeft(10));
        } catch (ArithmeticException overflow) {
            return CostResult.failed(CostStatus.OVERFLOW);
        }
        Invariants.check(cost.signum() >= 0, "cost is not negative");
        return CostResult.ok(cost);
    }
}
