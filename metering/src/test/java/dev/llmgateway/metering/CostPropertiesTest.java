package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exact cost arithmetic against an independent BigInteger/BigDecimal model (seeded random, reproducible). */
class CostPropertiesTest {
    private static final long SEED = 0x17C057L;
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    /** Reference: exact rational arithmetic, no rounding at all; micro-USD as a BigDecimal. */
    static BigDecimal referenceMicros(TokenCounts t, TokenPrices p, int markupBp) {
        BigInteger picos = referenceScaledSum(t, p);
        // picos * (10^4 + markup) / 10^10, divided as a fraction and checked to terminate.
        return new BigDecimal(picos.multiply(BigInteger.valueOf(10_000L + markupBp))).divide(new BigDecimal(BigInteger.TEN.pow(10)));
    }

    static BigInteger referenceScaledSum(TokenCounts t, TokenPrices p) {
        return BigInteger.valueOf(t.promptTokens() - t.cachedTokens()).multiply(BigInteger.valueOf(p.inputMicrosPerMTok()))
                .add(BigInteger.valueOf(t.cachedTokens()).multiply(BigInteger.valueOf(p.cachedInputMicrosPerMTok())))
                .add(BigInteger.valueOf(t.completionTokens()).multiply(BigInteger.valueOf(p.outputMicrosPerMTok())));
    }

    static TokenCounts realisticTokens(SplittableRandom r) {
        long prompt = r.nextBoolean() ? r.nextLong(0, 10_001) : r.nextLong(0, 2_000_000_001L);
        long completion = r.nextBoolean() ? r.nextLong(0, 10_001) : r.nextLong(0, 2_000_000_001L);
        return new TokenCounts(prompt, completion, r.nextLong(0, prompt + 1));
    }

    static TokenPrices realisticPrices(SplittableRandom r) {
        return new TokenPrices(r.nextLong(0, 1_000_000_001L), r.nextLong(0, 1_000_000_001L), r.nextLong(0, 1_000_000_001L));
    }

    @Test
    void realisticRequestsCostExactlyWhatTheDecimalModelSays() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 5000; i++) {
            TokenCounts tokens = realisticTokens(r);
            TokenPrices prices = realisticPrices(r);
            int markupBp = r.nextInt(0, Cost.MARKUP_BP_MAX + 1);
            CostResult c = Cost.withMarkup(tokens, prices, markupBp);
            assertThat(c.status()).as("try %d: %s %s %d", i, tokens, prices, markupBp).isEqualTo(CostStatus.OK);
            assertThat(c.amount().micros()).as("try %d", i).isEqualByComparingTo(referenceMicros(tokens, prices, markupBp));
        }
    }

    @Test
    void hugeValuesEitherAgreeWithTheModelOrReportOverflow() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        int ok = 0, overflow = 0;
        for (int i = 0; i < 5000; i++) {
            long prompt = r.nextLong(0, Long.MAX_VALUE);
            TokenCounts tokens = new TokenCounts(prompt, r.nextLong(0, Long.MAX_VALUE), r.nextLong(0, prompt + 1));
            long bound = r.nextBoolean() ? 101 : Long.MAX_VALUE;
            TokenPrices prices = new TokenPrices(r.nextLong(0, bound), r.nextLong(0, bound), r.nextLong(0, bound));
            int markupBp = r.nextInt(0, Cost.MARKUP_BP_MAX + 1);
            CostResult c = Cost.withMarkup(tokens, prices, markupBp);
            BigDecimal ref = referenceMicros(tokens, prices, markupBp);
            boolean fits = referenceScaledSum(tokens, prices).compareTo(LONG_MAX) <= 0
                    && ref.abs().compareTo(BigDecimal.ONE.movePointRight(MicroUsd.INTEGER_DIGITS)) < 0;
            if (fits) {
                ok++;
                assertThat(c.status()).as("try %d", i).isEqualTo(CostStatus.OK);
                assertThat(c.amount().micros()).as("try %d", i).isEqualByComparingTo(ref);
            } else {
                overflow++;
                assertThat(c.status()).as("try %d", i).isEqualTo(CostStatus.OVERFLOW);
            }
        }
        assertThat(ok).isPositive();
        assertThat(overflow).isPositive();
    }

    @Test
    void replayedUsageChargesEachTeamWhatTheModelSaysWithoutPerRequestRounding() {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        for (int run = 0; run < 300; run++) {
            TokenPrices prices = realisticPrices(r);
            int markupBp = r.nextInt(0, 5001);
            MicroUsd total = MicroUsd.ZERO;
            BigDecimal reference = BigDecimal.ZERO;
            int n = r.nextInt(1, 201);
            for (int i = 0; i < n; i++) {
                TokenCounts t = realisticTokens(r);
                total = total.plus(Cost.withMarkup(t, prices, markupBp).orThrow());
                reference = reference.add(referenceMicros(t, prices, markupBp));
            }
            assertThat(total.micros()).as("run %d", run).isEqualByComparingTo(reference);
        }
    }

    @Test
    void aFractionOfAMicroDollarIsKeptNotRounded() {
        // 12 prompt + 7 completion tokens at 0.20 USD per 1M tokens each way: 3.8 micro-USD.
        TokenPrices p = new TokenPrices(200_000, 200_000, 0);
        assertThat(Cost.of(new TokenCounts(12, 7, 0), p).orThrow()).isEqualTo(MicroUsd.of(38, 1));
        // one token at 1 micro-USD per 1M tokens with a 1 bp markup: 1.0001e-6 micro-USD, still exact.
        assertThat(Cost.withMarkup(new TokenCounts(1, 0, 0), new TokenPrices(1, 0, 0), 1).orThrow().micros())
                .isEqualByComparingTo("0.0000010001");
    }

    @Test
    void costNeverDecreasesWhenTokensGrow() {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        for (int i = 0; i < 2000; i++) {
            TokenCounts t = realisticTokens(r);
            TokenPrices p = realisticPrices(r);
            long extra = r.nextLong(0, 100_001);
            MicroUsd before = Cost.of(t, p).orThrow();
            MicroUsd after = Cost.of(new TokenCounts(t.promptTokens(), t.completionTokens() + extra, t.cachedTokens()), p).orThrow();
            assertThat(after).as("try %d", i).isGreaterThanOrEqualTo(before);
        }
    }
}
