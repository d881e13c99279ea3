package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Micro-USD amounts: parsing exact decimal strings and formatting; the only place BigDecimal is used. */
public final class Money {
    /** Micro-units in one USD. */
    public static final long MICROS_PER_USD = 1_000_000L;

    private Money() {}

    /**
     * Parses a non-negative USD amount such as {@code "2.50"} into micro-USD, exactly: more than six decimal
     * places (a fraction of a micro-USD) or a value beyond a {@code long} is rejected, never rounded.
     */
    public static long parseUsdToMicros(String usd) {
        if (usd == null || usd.isBlank()) throw new IllegalArgumentException("price is empty");
        BigDecimal value;
        try {
            value = new BigDecimal(usd.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + usd + "' is not a decimal number", e);
        }
        if (value.signum() < 0) throw new IllegalArgumentException("price '" + usd + "' is negative");
        try {
            return value.movePointRight(6).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("price '" + usd + "' is not a whole number of micro-USD or too large", e);
        }
    }

    /** Formats micro-USD as a plain decimal USD string with six decimals, e.g. {@code 2500000 -> "2.500000"}. */
    public static String formatUsd(long micros) {
        return BigDecimal.valueOf(micros).movePointLeft(6).setScale(6, RoundingMode.UNNECESSARY).toPlainString();
    }
}
