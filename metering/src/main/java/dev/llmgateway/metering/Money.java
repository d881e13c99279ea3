package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** USD text: the one parser and the one formatter of amounts (configuration, API, CSV, headers). */
public final class Money {
    /** Micro-units in one USD. */
    public static final long MICROS_PER_USD = 1_000_000L;

    private Money() {}

    /**
     * Parses a non-negative USD amount such as {@code "2.50"} exactly; digits beyond what {@link MicroUsd} carries
     * (10^-20 USD) or a value beyond its bound are rejected, never rounded.
     */
    public static MicroUsd parseUsd(String usd) {
        if (usd == null || usd.isBlank()) throw new IllegalArgumentException("amount is empty");
        BigDecimal value;
        try {
            value = new BigDecimal(usd.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + usd + "' is not a decimal number", e);
        }
        if (value.signum() < 0) throw new IllegalArgumentException("amount '" + usd + "' is negative");
        try {
            return new MicroUsd(value.movePointRight(6));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("amount '" + usd + "' has too many decimals or is too large", e);
        }
    }

    /**
     * Parses a non-negative USD amount such as {@code "2.50"} into whole micro-USD, exactly: more than six decimal
     * places (a fraction of a micro-USD) or a value beyond a {@code long} is rejected, never rounded.
     */
    public static long parseUsdToMicros(String usd) {
        MicroUsd exact = parseUsd(usd);
        try {
            return exact.micros().setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("amount '" + usd + "' is not a whole number of micro-USD or too large", e);
        }
    }

    /**
     * A USD amount already read as a decimal (e.g. from YAML) in whole micro-USD, exactly; a fraction of a micro-USD or
     * a value beyond a {@code long} throws {@link ArithmeticException}, never rounded.
     */
    public static long toMicros(BigDecimal usd) {
        return usd.movePointRight(6).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
    }

    /** Formats whole micro-USD as a plain decimal USD string with six decimals, e.g. {@code 2500000 -> "2.500000"}. */
    public static String formatUsd(long micros) {
        return BigDecimal.valueOf(micros).movePointLeft(6).setScale(6, RoundingMode.UNNECESSARY).toPlainString();
    }

    /**
     * Formats an exact amount as plain USD with six decimals, more when the amount has a fraction of a micro-USD
     * ({@code 3.8 micro-USD -> "0.0000038"}); nothing is rounded.
     */
    public static String formatUsd(MicroUsd amount) {
        BigDecimal usd = amount.micros().stripTrailingZeros().movePointLeft(6);
        return usd.setScale(Math.max(6, usd.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }
}
