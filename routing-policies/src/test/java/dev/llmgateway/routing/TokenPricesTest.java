package dev.llmgateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class TokenPricesTest {

    @Test
    void costIsExactInPicoUsd() {
        TokenPrices gpt4o = new TokenPrices(2_500_000, 10_000_000, 1_250_000);
        assertThat(gpt4o.costPicoUsd(1, 0, 0)).isEqualTo(2_500_000L);
        assertThat(gpt4o.costPicoUsd(1000, 200, 500)).isEqualTo(2_500_000_000L + 250_000_000L + 5_000_000_000L);
        assertThat(gpt4o.costMicrosUsdCeil(1, 0, 0)).isEqualTo(3L);
    }

    @Test
    void costAgreesWithBigIntegerArithmetic() {
        qt().withExamples(1000).forAll(longs().between(0, 100_000_000_000L), longs().between(0, 100_000_000_000L),
                        integers().between(0, 10_000_000), integers().between(0, 10_000_000))
                .checkAssert(TokenPricesTest::costAgreesWithBigIntegerArithmetic);
    }

    private static void costAgreesWithBigIntegerArithmetic(long in, long out, int inTokens, int outTokens) {
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
