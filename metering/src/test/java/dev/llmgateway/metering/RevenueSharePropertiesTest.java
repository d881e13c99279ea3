package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** The per-request share arithmetic against BigDecimal, to the micro-USD, up to and beyond a long. */
class RevenueSharePropertiesTest {
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    static BigInteger reference(long charge, int bp, long tokens, long royalty) {
        BigDecimal share = BigDecimal.valueOf(charge).multiply(BigDecimal.valueOf(bp)).divide(BigDecimal.valueOf(10_000))
                .setScale(0, RoundingMode.HALF_UP);
        BigDecimal roy = BigDecimal.valueOf(tokens).multiply(BigDecimal.valueOf(royalty)).divide(BigDecimal.valueOf(1_000_000))
                .setScale(0, RoundingMode.HALF_UP);
        return share.add(roy).toBigIntegerExact();
    }

    @Test
    void shareIsTheDecimalModelRoundedHalfUpOrOverflowIsReported() {
        qt().withExamples(5000).forAll(amounts(), integers().between(0, 10_000), amounts(), amounts())
                .checkAssert(RevenueSharePropertiesTest::shareIsTheModelOrOverflows);
    }

    private static void shareIsTheModelOrOverflows(long charge, int bp, long tokens, long royalty) {
        BigInteger expected = reference(charge, bp, tokens, royalty);
        LicenseObligation o = new LicenseObligation(bp, royalty, 0);
        if (expected.compareTo(LONG_MAX) <= 0) {
            assertThat(BigInteger.valueOf(RevenueShare.shareMicros(o, charge, tokens))).isEqualTo(expected);
        } else {
            assertThatThrownBy(() -> RevenueShare.shareMicros(o, charge, tokens)).isInstanceOf(ArithmeticException.class);
        }
    }

    @Test
    void exactHalvesOfAMicroRoundUp() {
        qt().withExamples(1000).forAll(longs().between(0, 1_000_000_000L))
                .checkAssert(RevenueSharePropertiesTest::exactHalfRoundsUp);
    }

    private static void exactHalfRoundsUp(long k) {
        // 1 bp of (2k+1) * 5000 micro-USD is exactly k + 0.5 micro-USD.
        assertThat(RevenueShare.shareMicros(new LicenseObligation(1, 0, 0), (2 * k + 1) * 5000, 0)).isEqualTo(k + 1);
    }

    @Test
    void freeUseClassesAndUnmetThresholdsOweNothing() {
        qt().withExamples(1000).forAll(longs().between(0, 1_000_000_000L), longs().between(0, 100))
                .checkAssert(RevenueSharePropertiesTest::freeOrUnmetOwesNothing);
    }

    private static void freeOrUnmetOwesNothing(long charge, long users) {
        LicenseConditions terms = new LicenseConditions(java.util.Set.of(UseClass.RESEARCH),
                new LicenseThresholds(java.util.OptionalLong.of(users), java.util.OptionalLong.empty(), java.util.OptionalLong.empty()),
                new LicenseObligation(10_000, 0, 0), Attribution.NONE);
        LicensePeriodFigures atThreshold = new LicensePeriodFigures(users, charge, 0);
        LicensePeriodFigures above = new LicensePeriodFigures(users + 1, charge, 0);
        assertThat(RevenueShare.owedMicros(terms, UseClass.RESEARCH, above, charge, 0)).isZero();
        assertThat(RevenueShare.owedMicros(terms, UseClass.COMMERCIAL, atThreshold, charge, 0)).isZero();
        assertThat(RevenueShare.owedMicros(terms, UseClass.COMMERCIAL, above, charge, 0)).isEqualTo(charge);
    }

    static Gen<Long> amounts() {
        return Generate.oneOf(longs().between(0, 100_000), longs().between(0, 10_000_000_000L),
                longs().between(0, Long.MAX_VALUE));
    }
}
