package dev.llmgateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class TokenPricesTest {

    @Test
    void costIsExactInPicoUsd() {
        TokenPrices gpt4o = new TokenPrices(2_500_000, 10_000_000, 1_250_000);
        assertThat(gpt4o.costPicoUsd(1, 0, 0)).isEqualTo(2_500_000L);
        assertThat(gpt4o.costPicoUsd(1000, 200, 500)).isEqualTo(2_500_000_000L + 250_000_000L + 5_000_000_000L);
        assertThat(gpt4o.costMicrosUsdCeil(1, 0, 0)).isEqualTo(3L);
    }

    @Property
    void costAgreesWithBigIntegerArithmetic(@ForAll @LongRange(max = 100_000_000_000L) long in,
                                            @ForAll @LongRange(max = 100_000_000_000L) long out,
                                            @ForAll @IntRange(max = 10_000_000) int inTokens,
                                            @ForAll @IntRange(max = 10_000_000) int outTokens) {
        TokenPrices p = new TokenPrices(in, out, 0);
        BigInteger expected = BigInteger.valueOf(in).multiply(BigInteger.valueOf(inTokens))
                .add(BigInteger.valueOf(out).multiply(BigInteger.valueOf(outTokens)));
        assertThat(BigInteger.valueOf(p.costPicoUsd(inTokens, 0, outTokens))).isEqualTo(expected);
    }

    @Test
    void overflowIsAnErrorNotAWrappedNumber() {
        TokenPrices absurd = new TokenPrices(Long.MAX_VALUE / 2, 0, 0);
        assertThatThrownBy(() -> absurd.costPicoUsd(3, 0, 0)).isInstanceOf(ArithmeticException.class);
    }
}
