package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The per-request share arithmetic against an independent BigInteger fraction model: exact, never rounded per request. */
class RevenueSharePropertiesTest {
    private static final long SEED = 0x5A4EL;
    private static final BigDecimal BOUND = BigDecimal.ONE.movePointRight(MicroUsd.INTEGER_DIGITS);

    /** Reference: charge (a whole number of 10^-10 micro-USD) * bp / 10^4 + tokens * royalty / 10^6, as a fraction. */
    static BigDecimal reference(BigInteger chargeTenBillionths, int bp, long tokens, long royalty) {
        BigInteger num = chargeTenBillionths.multiply(BigInteger.valueOf(bp))
                .add(BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(royalty)).multiply(BigInteger.TEN.pow(8)));
        return new BigDecimal(num, 14); // denominator 10^4 * 10^10
    }

    static long amount(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> r.nextLong(0, 100_001);
            case 1 -> r.nextLong(0, 10_000_000_001L);
            default -> r.nextLong(0, Long.MAX_VALUE);
        };
    }

    @Test
    void shareIsTheExactFractionOrOverflowIsReported() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 5000; i++) {
            long chargeUnits = amount(r) % 100_000_000_000_000_000L; // charges carry up to 10 decimals
            MicroUsd charge = MicroUsd.of(chargeUnits, 10);
            int bp = r.nextInt(0, 10_001);
            long tokens = amount(r), royalty = amount(r);
            BigDecimal expected = reference(BigInteger.valueOf(chargeUnits), bp, tokens, royalty);
            LicenseObligation o = new LicenseObligation(bp, royalty, 0);
            if (expected.compareTo(BOUND) < 0) {
                assertThat(RevenueShare.share(o, charge, tokens).micros()).as("try %d", i).isEqualByComparingTo(expected);
            } else {
                assertThatThrownBy(() -> RevenueShare.share(o, charge, tokens)).isInstanceOf(ArithmeticException.class);
            }
        }
    }

    @Test
    void tenPercentOfThreePointEightMicrosIsZeroPointThreeEightNotZero() {
        MicroUsd share = RevenueShare.share(new LicenseObligation(1_000, 0, 0), MicroUsd.of(38, 1), 19);
        assertThat(share).isEqualTo(MicroUsd.of(38, 2));
        MicroUsd hundred = MicroUsd.ZERO;
        for (int i = 0; i < 100; i++) hundred = hundred.plus(share);
        assertThat(hundred.roundedMicros()).isEqualTo(38);
    }

    @Test
    void freeUseClassesAndUnmetThresholdsOweNothing() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 1000; i++) {
            long charge = r.nextLong(0, 1_000_000_001L);
            long users = r.nextLong(0, 101);
            LicenseConditions terms = new LicenseConditions(java.util.Set.of(UseClass.RESEARCH),
                    new LicenseThresholds(java.util.OptionalLong.of(users), java.util.OptionalLong.empty(), java.util.OptionalLong.empty()),
                    new LicenseObligation(10_000, 0, 0), Attribution.NONE);
            LicensePeriodFigures atThreshold = new LicensePeriodFigures(users, charge, 0);
            LicensePeriodFigures above = new LicensePeriodFigures(users + 1, charge, 0);
            MicroUsd c = MicroUsd.ofMicros(charge);
            assertThat(RevenueShare.owed(terms, UseClass.RESEARCH, above, c, 0)).isEqualTo(MicroUsd.ZERO);
            assertThat(RevenueShare.owed(terms, UseClass.COMMERCIAL, atThreshold, c, 0)).isEqualTo(MicroUsd.ZERO);
            assertThat(RevenueShare.owed(terms, UseClass.COMMERCIAL, above, c, 0)).isEqualTo(c);
        }
    }
}
