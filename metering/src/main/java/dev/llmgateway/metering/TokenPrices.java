package dev.llmgateway.metering;

/** Prices of one deployment in micro-USD per 1,000,000 tokens (input, output, cached input). */
public record TokenPrices(long inputMicrosPerMTok, long outputMicrosPerMTok, long cachedInputMicrosPerMTok) {
    public static final TokenPrices FREE = new TokenPrices(0, 0, 0);

    public TokenPrices {
        if (inputMicrosPerMTok < 0 || outputMicrosPerMTok < 0 || cachedInputMicrosPerMTok < 0) {
            throw new IllegalArgumentException("prices must not be negative: " + inputMicrosPerMTok + "/"
                    + outputMicrosPerMTok + "/" + cachedInputMicrosPerMTok);
        }
    }

    /** Parses USD per 1M tokens such as {@code "2.50"}, exactly (see {@link Money#parseUsdToMicros}). */
    public static TokenPrices parseUsdPerMTok(String input, String output, String cachedInput) {
        return new TokenPrices(Money.parseUsdToMicros(input), Money.parseUsdToMicros(output),
                Money.parseUsdToMicros(cachedInput));
    }
}
