package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

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

    @Property(tries = 3000)
    void realisticRequestsCostExactlyWhatTheDecimalModelSays(@ForAll("realisticTokens") TokenCounts tokens,
                                                             @ForAll("realisticPrices") TokenPrices prices,
                                                             @ForAll @IntRange(min = 0, max = Cost.MARKUP_BP_MAX) int markupBp) {
        CostResult r = Cost.withMarkup(tokens, prices, markupBp);
        assertThat(r.status()).isEqualTo(CostStatus.OK);
        assertThat(BigDecimal.valueOf(r.micros())).isEqualByComparingTo(referenceMicros(tokens, prices, markupBp));
    }

    @Property(tries = 3000)
    void hugeValuesEitherAgreeWithTheModelOrReportOverflowExactlyWhenTheyDoNotFit(
            @ForAll("anyTokens") TokenCounts tokens, @ForAll("anyPrices") TokenPrices prices,
            @ForAll @IntRange(min = 0, max = Cost.MARKUP_BP_MAX) int markupBp) {
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

    @Property(tries = 300)
    void replayedUsageChargesEachTeamWhatTheModelSays(@ForAll @Size(min = 1, max = 200) List<@net.jqwik.api.From("realisticTokens") TokenCounts> requests,
                                                      @ForAll("realisticPrices") TokenPrices prices,
                                                      @ForAll @IntRange(min = 0, max = 5000) int markupBp) {
        long total = 0;
        BigDecimal reference = BigDecimal.ZERO;
        for (TokenCounts t : requests) {
            total = Math.addExact(total, Cost.withMarkup(t, prices, markupBp).orThrow());
            reference = reference.add(referenceMicros(t, prices, markupBp));
        }
        assertThat(BigDecimal.valueOf(total)).isEqualByComparingTo(reference);
    }

    @Property(tries = 500)
    void exactHalvesRoundUp(@ForAll @IntRange(min = 0, max = 1_000_000) int k, @ForAll @IntRange(min = 0, max = 4) int tokenClass) {
        long tokens = 500_000L * (2L * k + 1); // at 1 micro-USD per 1M tokens: exactly k + 0.5 micro-USD
        TokenCounts t = switch (tokenClass) {
            case 0 -> new TokenCounts(tokens, 0, 0);
            case 1 -> new TokenCounts(0, tokens, 0);
            default -> new TokenCounts(tokens, 0, tokens);
        };
        assertThat(Cost.of(t, new TokenPrices(1, 1, 1)).micros()).isEqualTo(k + 1L);
        assertThat(BigDecimal.valueOf(k + 1L)).isEqualByComparingTo(referenceMicros(t, new TokenPrices(1, 1, 1), 0));
    }

    @Property(tries = 1000)
    void costNeverDecreasesWhenTokensGrow(@ForAll("realisticTokens") TokenCounts t, @ForAll("realisticPrices") TokenPrices p,
                                          @ForAll @IntRange(min = 0, max = 100_000) int extraCompletion) {
        long before = Cost.of(t, p).orThrow();
        long after = Cost.of(new TokenCounts(t.promptTokens(), t.completionTokens() + extraCompletion, t.cachedTokens()), p).orThrow();
        assertThat(after).isGreaterThanOrEqualTo(before);
    }

    @Provide
    Arbitrary<TokenCounts> realisticTokens() {
        Arbitrary<Long> n = Arbitraries.oneOf(Arbitraries.longs().between(0, 10_000), Arbitraries.longs().between(0, 2_000_000_000L));
        return Combinators.combine(n, n).as((p, c) -> new TokenCounts(p, c, 0))
                .flatMap(t -> Arbitraries.longs().between(0, t.promptTokens()).map(cached -> new TokenCounts(t.promptTokens(), t.completionTokens(), cached)));
    }

    @Provide
    Arbitrary<TokenPrices> realisticPrices() {
        Arbitrary<Long> price = Arbitraries.longs().between(0, 1_000_000_000L); // up to 1000 USD per 1M tokens
        return Combinators.combine(price, price, price).as(TokenPrices::new);
    }

    @Provide
    Arbitrary<TokenCounts> anyTokens() {
        Arbitrary<Long> n = Arbitraries.longs().between(0, Long.MAX_VALUE);
        return Combinators.combine(n, n).as((p, c) -> new TokenCounts(p, c, 0))
                .flatMap(t -> Arbitraries.longs().between(0, t.promptTokens()).map(cached -> new TokenCounts(t.promptTokens(), t.completionTokens(), cached)));
    }

    @Provide
    Arbitrary<TokenPrices> anyPrices() {
        Arbitrary<Long> price = Arbitraries.oneOf(Arbitraries.longs().between(0, 100), Arbitraries.longs().between(0, Long.MAX_VALUE));
        return Combinators.combine(price, price, price).as(TokenPrices::new);
    }
}
