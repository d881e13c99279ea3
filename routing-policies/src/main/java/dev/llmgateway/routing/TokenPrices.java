package dev.llmgateway.routing;

/**
 * Prices of a deployment in integer micro-USD per one million tokens.
 *
 * <p>Costs are computed exactly in pico-USD ({@code tokens * microsPerMillion}, since
 * 1 micro-USD / 1M tokens = 1 pico-USD per token) with overflow-checked {@code long} arithmetic.
 */
public record TokenPrices(long inputMicrosPerMillion, long outputMicrosPerMillion, long cachedInputMicrosPerMillion) {

    /** Pico-USD per micro-USD. */
    public static final long PICOS_PER_MICRO = 1_000_000L;

    public TokenPrices {
        if (inputMicrosPerMillion < 0 || outputMicrosPerMillion < 0 || cachedInputMicrosPerMillion < 0) {
            throw new IllegalArgumentException("token prices must be >= 0");
        }
    }

    /** Exact cost in pico-USD of the given token counts; throws ArithmeticException on overflow. */
    public long costPicoUsd(long inputTokens, long cachedInputTokens, long outputTokens) {
        if (inputTokens < 0 || cachedInputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0");
        }
        long cost = Math.multiplyExact(inputTokens, inputMicrosPerMillion);
        cost = Math.addExact(cost, Math.multiplyExact(cachedInputTokens, cachedInputMicrosPerMillion));
        return Math.addExact(cost, Math.multiplyExact(outputTokens, outputMicrosPerMillion));
    }

    /** Cost in micro-USD rounded up, the unit budgets and limits use. */
    public long costMicrosUsdCeil(long inputTokens, long cachedInputTokens, long outputTokens) {
        return Math.ceilDiv(costPicoUsd(inputTokens, cachedInputTokens, outputTokens), PICOS_PER_MICRO);
    }
}
