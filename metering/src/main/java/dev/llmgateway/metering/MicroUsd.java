package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * An exact amount of micro-USD, fractions of a micro-USD included: the unit every per-request cost, charge, share and
 * royalty is carried and summed in. Held as a {@link BigDecimal} at a fixed scale of {@value #SCALE} decimals
 * (10^-20 USD), which is exactly what one request can produce: tokens x micro-USD/1M tokens gives 6 decimals, a markup
 * in basis points 4 more, a revenue share in basis points of that charge 4 more. Values are bounded by
 * {@code |amount| < 10^20} micro-USD (10^14 USD); the PostgreSQL columns are {@code numeric(34,14)}, the same bound.
 * Nothing here rounds silently: an amount with more than 14 decimals or beyond the bound is refused (ArithmeticException,
 * the same contract as {@code Math.addExact}); rounding happens only in {@link #roundedMicros()}, once, where money is
 * presented or owed.
 */
public record MicroUsd(BigDecimal micros) implements Comparable<MicroUsd> {
    /** Decimals of a micro-USD carried exactly. */
    public static final int SCALE = 14;
    /** Digits before the decimal point that fit (numeric(34,14)). */
    public static final int INTEGER_DIGITS = 20;
    /** How amounts are rounded where they are presented or owed (banker's rounding: no upward drift over many lines). */
    public static final RoundingMode ROUNDING = RoundingMode.HALF_EVEN;
    private static final BigDecimal BOUND = BigDecimal.ONE.movePointRight(INTEGER_DIGITS);

    public static final MicroUsd ZERO = new MicroUsd(BigDecimal.ZERO);

    public MicroUsd {
        Objects.requireNonNull(micros, "micros");
        if (micros.scale() > SCALE && micros.stripTrailingZeros().scale() > SCALE) {
            throw new ArithmeticException("amount " + micros.toPlainString() + " micro-USD has more than " + SCALE + " decimals");
        }
        micros = micros.setScale(SCALE, RoundingMode.UNNECESSARY);
        if (micros.abs().compareTo(BOUND) >= 0) {
            throw new ArithmeticException("amount " + micros.toPlainString() + " micro-USD overflows 10^" + INTEGER_DIGITS);
        }
    }

    /** A whole number of micro-USD. */
    public static MicroUsd ofMicros(long micros) { return new MicroUsd(BigDecimal.valueOf(micros)); }

    /** {@code unscaled * 10^-scale} micro-USD, e.g. {@code (38, 1)} is 3.8 micro-USD. */
    public static MicroUsd of(long unscaled, int scale) { return new MicroUsd(BigDecimal.valueOf(unscaled, scale)); }

    /** This amount plus {@code o}; throws ArithmeticException beyond the bound. */
    public MicroUsd plus(MicroUsd o) { return new MicroUsd(micros.add(o.micros)); }

    /** This amount minus {@code o}; throws ArithmeticException beyond the bound. */
    public MicroUsd minus(MicroUsd o) { return new MicroUsd(micros.subtract(o.micros)); }

    public MicroUsd negate() { return new MicroUsd(micros.negate()); }

    public int signum() { return micros.signum(); }

    public boolean isZero() { return micros.signum() == 0; }

    /** The amount rounded once, {@link #ROUNDING}, to whole micro-USD: what is presented or owed. */
    public long roundedMicros() { return micros.setScale(0, ROUNDING).longValueExact(); }

    /** The exact amount as a plain USD string with at least six decimals and no trailing zeros beyond, e.g. "0.0000038". */
    public String usd() { return Money.formatUsd(this); }

    /**
     * The amount rounded up to whole micro-USD: only for upper bounds that must never under-count (a budget's
     * reservation and settlement in whole micro-USD, a daily spending cap), never for what is owed.
     */
    public long ceilMicros() { return micros.setScale(0, RoundingMode.CEILING).longValueExact(); }

    /** The unscaled value at {@link #SCALE} (for the journal's binary form). */
    public BigInteger unscaled() { return micros.unscaledValue(); }

    /** Inverse of {@link #unscaled()}. */
    public static MicroUsd ofUnscaled(BigInteger unscaled) { return new MicroUsd(new BigDecimal(unscaled, SCALE)); }

    /** The larger of two amounts. */
    public static MicroUsd max(MicroUsd a, MicroUsd b) { return a.compareTo(b) >= 0 ? a : b; }

    @Override
    public int compareTo(MicroUsd o) { return micros.compareTo(o.micros); }

    /** Plain micro-USD without trailing zeros, e.g. "3.8". */
    @Override
    public String toString() { return micros.stripTrailingZeros().toPlainString(); }
}
