package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CostTest {
    private static final TokenPrices GPT = TokenPrices.parseUsdPerMTok("2.50", "10.00", "1.25");

    @Test
    void pricesAreParsedExactlyFromDecimalStrings() {
        assertThat(GPT).isEqualTo(new TokenPrices(2_500_000, 10_000_000, 1_250_000));
        assertThat(Money.parseUsdToMicros("0.000001")).isEqualTo(1);
        assertThat(Money.parseUsdToMicros(" 15 ")).isEqualTo(15_000_000);
        assertThat(Money.formatUsd(2_500_000)).isEqualTo("2.500000");
    }

    @Test
    void pricesFinerThanAMicroDollarOrNegativeAreRejectedNotRounded() {
        assertThatThrownBy(() -> Money.parseUsdToMicros("0.0000005")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("micro-USD");
        assertThatThrownBy(() -> Money.parseUsdToMicros("-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Money.parseUsdToMicros("1e30")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Money.parseUsdToMicros("two")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void costSumsUncachedCachedAndCompletionTokens() {
        // 1000 prompt (200 cached) + 500 completion: 800*2.5 + 200*1.25 + 500*10 = 7250 micro-USD
        CostResult cost = Cost.of(new TokenCounts(1000, 500, 200), GPT);
        assertThat(cost).isEqualTo(new CostResult(CostStatus.OK, MicroUsd.ofMicros(7250)));
    }

    @Test
    void costIsExactBelowTheMicroDollarAndRoundedOnlyWhenPresented() {
        TokenPrices cheap = new TokenPrices(1, 3, 0); // micro-USD per 1M tokens
        assertThat(Cost.of(new TokenCounts(499_999, 0, 0), cheap).amount().micros()).isEqualByComparingTo("0.499999");
        assertThat(Cost.of(new TokenCounts(500_000, 0, 0), cheap).amount().micros()).isEqualByComparingTo("0.5");
        assertThat(Cost.of(new TokenCounts(499_999, 0, 0), cheap).amount().roundedMicros()).isZero();
        // half-even where presented: 0.5 -> 0, 1.5 -> 2
        assertThat(Cost.of(new TokenCounts(500_000, 0, 0), cheap).amount().roundedMicros()).isZero();
        assertThat(Cost.of(new TokenCounts(1_500_000, 0, 0), cheap).amount().roundedMicros()).isEqualTo(2);
        assertThat(Cost.of(new TokenCounts(500_000, 500_000 / 3, 0), new TokenPrices(1, 3, 0)).amount().micros())
                .isEqualByComparingTo("0.999998");
    }

    @Test
    void markupIsAppliedBeforeTheSingleRounding() {
        // 7250 * 1.015 = 7358.75, kept exactly
        assertThat(Cost.withMarkup(new TokenCounts(1000, 500, 200), GPT, 150).amount().micros()).isEqualByComparingTo("7358.75");
        // 1 token at 1 micro/1M = 0.000001 micro; with 10000% markup 0.000101, kept exactly
        assertThat(Cost.withMarkup(new TokenCounts(1, 0, 0), new TokenPrices(1, 0, 0), Cost.MARKUP_BP_MAX).amount().micros())
                .isEqualByComparingTo("0.000101");
    }

    @Test
    void overflowIsReportedInsteadOfWrappingAround() {
        TokenPrices expensive = new TokenPrices(Long.MAX_VALUE / 2, 0, 0);
        assertThat(Cost.of(new TokenCounts(3, 0, 0), expensive).status()).isEqualTo(CostStatus.OVERFLOW);
        assertThat(Cost.of(new TokenCounts(3, 0, 0), expensive).amount().isZero()).isTrue();
        assertThatThrownBy(() -> Cost.of(new TokenCounts(3, 0, 0), expensive).orThrow()).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void invalidTokenCountsAreCheckedBeforeOverflow() {
        TokenPrices expensive = new TokenPrices(Long.MAX_VALUE, Long.MAX_VALUE, 0);
        assertThat(Cost.of(new TokenCounts(10, 5, 11), expensive).status()).isEqualTo(CostStatus.INVALID_TOKENS);
        assertThat(Cost.of(new TokenCounts(-1, 5, 0), GPT).status()).isEqualTo(CostStatus.INVALID_TOKENS);
    }

    @Test
    void markupOutsideTheAcceptedRangeIsAProgrammingError() {
        assertThatThrownBy(() -> Cost.withMarkup(new TokenCounts(1, 1, 0), GPT, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void invariantsFailLoudlyEvenWithAssertionsDisabled() {
        assertThatThrownBy(() -> Invariants.check(false, "debits equal credits"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("debits equal credits");
    }
}
