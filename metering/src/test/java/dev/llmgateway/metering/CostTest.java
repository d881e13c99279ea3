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
        assertThat(cost).isEqualTo(new CostResult(CostStatus.OK, 7250));
    }

    @Test
    void costIsRoundedOnceHalfUpToAMicroDollar() {
        TokenPrices cheap = new TokenPrices(1, 3, 0); // micro-USD per 1M tokens
        assertThat(Cost.of(new TokenCounts(499_999, 0, 0), cheap).micros()).isZero();
        assertThat(Cost.of(new TokenCounts(500_000, 0, 0), cheap).micros()).isEqualTo(1);
        // 0.5 + 0.5 rounded once is 1; rounding each class would give 1 + 1 = 2 or 0 + 0.
        assertThat(Cost.of(new TokenCounts(500_000, 500_000 / 3, 0), new TokenPrices(1, 3, 0)).micros()).isEqualTo(1);
    }

    @Test
    void markupIsAppliedBeforeTheSingleRounding() {
        // 7250 * 1.015 = 7358.75 -> 7359
        assertThat(Cost.withMarkup(new TokenCounts(1000, 500, 200), GPT, 150).micros()).isEqualTo(7359);
        // 1 token at 1 micro/1M = 0.000001 micro; with 10000% markup 0.000101 -> 0
        assertThat(Cost.withMarkup(new TokenCounts(1, 0, 0), new TokenPrices(1, 0, 0), Cost.MARKUP_BP_MAX).micros()).isZero();
    }

    @Test
    void overflowIsReportedInsteadOfWrappingAround() {
        TokenPrices expensive = new TokenPrices(Long.MAX_VALUE / 2, 0, 0);
        assertThat(Cost.of(new TokenCounts(3, 0, 0), expensive).status()).isEqualTo(CostStatus.OVERFLOW);
        assertThat(Cost.of(new TokenCounts(3, 0, 0), expensive).micros()).isZero();
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
