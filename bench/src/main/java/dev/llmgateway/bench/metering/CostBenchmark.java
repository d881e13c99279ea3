package dev.llmgateway.bench.metering;

import dev.llmgateway.metering.Cost;
import dev.llmgateway.metering.TokenCounts;
import dev.llmgateway.metering.TokenPrices;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The per-request cost function: exact integer arithmetic with one rounding. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CostBenchmark {
    private final TokenPrices prices = TokenPrices.parseUsdPerMTok("2.50", "10.00", "1.25");
    private TokenCounts tokens = new TokenCounts(1834, 412, 1024);

    @Benchmark
    public dev.llmgateway.metering.MicroUsd providerCost() {
        return Cost.of(tokens, prices).amount();
    }

    @Benchmark
    public dev.llmgateway.metering.MicroUsd teamChargeWithMarkup() {
        return Cost.withMarkup(tokens, prices, 250).amount();
    }
}
