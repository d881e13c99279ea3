package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** The integer cost arithmetic against an independent BigDecimal model, to the micro-USD. */
class CostPropertiesTest {
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    /** Reference: exact decimal arithmetic, one HALF_UP rounding at the end. */
    static BigDecimal referenceMicros(TokenCounts t, TokenPrices p, int markupBp) {
        BigDecimal sum = BigDecimal.valueOf(t.promptTokens() - t.cachedTokens()).multiply(BigDecimal.valueOf(p.inputMicrosPerMTok()))
                .add(BigDecimal.valueOf(t.cachedTokens()).multiply(BigDecimal.valueOf(p.cachedInputMicrosPerMTok())))
                .add(BigDecimal.valueOf(t.completionTokens()).multiply(BigDecimal.valueOf(p.outputMicrosPerMTok())));
        BigDecimal perMillion = sum.divide(BigDecimal.valueOf(1_000_000));
        BigDecimal marked = perMillion.multiply(BigDecimal.valueOf(10_000L + markupBp)).divide(BigDecimal.valueOf(10_000));
        return marked.setScale(0, RoundingMode.HALF_UP);
    }

    static BigInteger referenceScaledSum(TokenCounts t, TokenPrices p) {
        return BigInteger.valueOf(t.promptTokens() - t.cachedTokens()).multiply(BigInteger.valueOf(p.inputMicrosPerMTok()))
                .add(BigInteger.valueOf(t.cachedTokens()).multiply(BigInteger.valueOf(p.cachedInputMicrosPerMTok())))
                .add(BigInteger.valueOf(t.completionTokens()).multiply(BigInteger.valueOf(p.outputMicrosPerMTok())));
    }

    @Test
    void realisticRequestsCostExactlyWhatTheDecimalModelSays() {
        qt().withExamples(3000).forAll(realisticTokens(), realisticPrices(), integers().between(0, Cost.MARKUP_BP_MAX))
                .checkAssert(CostPropertiesTest::realisticRequestCostsWhatTheModelSays);
    }

    private static void realisticRequestCostsWhatTheModelSays(TokenCounts tokens, TokenPrices prices, int markupBp) {
        CostResult r = Cost.withMarkup(tokens, prices, markupBp);
        assertThat(r.status()).isEqualTo(CostStatus.OK);
        assertThat(BigDecimal.valueOf(r.micros())).isEqualByComparingTo(referenceMicros(tokens, prices, markupBp));
    }

    @Test
    void hugeValuesEitherAgreeWithTheModelOrReportOverflowExactlyWhenTheyDoNotFit() {
        qt().withExamples(3000).forAll(anyTokens(), anyPrices(), integers().between(0, Cost.MARKUP_BP_MAX))
                .checkAssert(CostPropertiesTest::hugeValueAgreesOrOverflows);
    }

    private static void hugeValueAgreesOrOverflows(TokenCounts tokens, TokenPrices prices, int markupBp) {
        CostResult r = Cost.withMarkup(tokens, prices, markupBp);
        BigDecimal ref = referenceMicros(tokens, prices, markupBp);
        boolean fits = referenceScaledSum(tokens, prices).compareTo(LONG_MAX) <= 0 && ref.toBigInteger().compareTo(LONG_MAX) <= 0;
        if (fits) {
            assertThat(r.status()).isEqualTo(CostStatus.OK);
            assertThat(BigDecimal.valueOf(r.micros())).isEqualByComparingTo(ref);
        } else {
            assertThat(r.status()).isEqualTo(CostStatus.OVERFLOW);
        }
    }

    @Test
    void replayedUsageChargesEachTeamWhatTheModelSays() {
        qt().withExamples(300).forAll(lists().of(realisticTokens()).ofSizeBetween(1, 200), realisticPrices(),
                        integers().between(0, 5000))
                .checkAssert(CostPropertiesTest::replayChargesWhatTheModelSays);
    }

    private static void replayChargesWhatTheModelSays(List<TokenCounts> requests, TokenPrices prices, int markupBp) {
        long total = 0;
        BigDecimal reference = BigDecimal.ZERO;
        for (TokenCounts t : requests) {
            total = Math.addExact(total, Cost.withMarkup(t, prices, markupBp).orThrow());
            reference = reference.add(referenceMicros(t, prices, markupBp));
        }
        assertThat(BigDecimal.valueOf(total)).isEqualByComparingTo(reference);
    }

    @Test
    void exactHalvesRoundUp() {
        qt().withExamples(500).forAll(integers().between(0, 1_000_000), integers().between(0, 4))
                .checkAssert(CostPropertiesTest::exactHalfRoundsUp);
    }

    private static void exactHalfRoundsUp(int k, int tokenClass) {
        long tokens = 500_000L * (2L * k + 1); // at 1 micro-USD per 1M tokens: exactly k + 0.5 micro-USD
        TokenCounts t = switch (tokenClass) {
            case 0 -> new TokenCounts(tokens, 0, 0);
            case 1 -> new TokenCounts(0, tokens, 0);
            default -> new TokenCounts(tokens, 0, tokens);
        };
        assertThat(Cost.of(t, new TokenPrices(1, 1, 1)).micros()).isEqualTo(k + 1L);
        assertThat(BigDecimal.valueOf(k + 1L)).isEqualByComparingTo(referenceMicros(t, new TokenPrices(1, 1, 1), 0));
    }

    @Test
    void costNeverDecreasesWhenTokensGrow() {
        qt().withExamples(1000).forAll(realisticTokens(), realisticPrices(), integers().between(0, 100_000))
                .checkAssert(CostPropertiesTest::moreTokensNeverCostLess);
    }

    private static void moreTokensNeverCostLess(TokenCounts t, TokenPrices p, int extraCompletion) {
        long before = Cost.of(t, p).orThrow();
        long after = Cost.of(new TokenCounts(t.promptTokens(), t.completionTokens() + extraCompletion, t.cachedTokens()), p).orThrow();
        assertThat(after).isGreaterThanOrEqualTo(before);
    }

    static Gen<TokenCounts> realisticTokens() {
        return tokens(Generate.oneOf(longs().between(0, 10_000), longs().between(0, 2_000_000_000L)));
    }

    static Gen<TokenPrices> realisticPrices() {
        Gen<Long> price = longs().between(0, 1_000_000_000L); // up to 1000 USD per 1M tokens
        return price.zip(price, price, TokenPrices::new);
    }

    static Gen<TokenCounts> anyTokens() {
        return tokens(longs().between(0, Long.MAX_VALUE));
    }

    static Gen<TokenPrices> anyPrices() {
        Gen<Long> price = Generate.oneOf(longs().between(0, 100), longs().between(0, Long.MAX_VALUE));
        return price.zip(price, price, TokenPrices::new);
    }

    /** Prompt and completion counts from {@code n}; cached tokens in {@code [0, prompt]}. */
    private static Gen<TokenCounts> tokens(Gen<Long> n) {
        return in -> {
            long prompt = n.generate(in), completion = n.generate(in);
            return new TokenCounts(prompt, completion, longs().between(0, prompt).generate(in));
        };
    }
}
