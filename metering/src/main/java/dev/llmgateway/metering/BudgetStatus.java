package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** Where a budget stands in its current period, for the admin API and routing downgrades. */
public record BudgetStatus(Budget budget, Instant periodStart, Optional<Instant> periodEnd,
                           Optional<BudgetUsage> money, Optional<BudgetUsage> tokens) {

    /** Remaining micro-USD (for the {@code x-gateway-budget-remaining} header); empty when money is unlimited. */
    public OptionalLong remainingMicrosUsd() {
        return money.map(m -> OptionalLong.of(m.remaining())).orElse(OptionalLong.empty());
    }

    /** The larger used share of the limited dimensions, in basis points (8000 = 80%). */
    public int usedBasisPoints() {
        return Math.max(money.map(BudgetUsage::usedBasisPoints).orElse(0), tokens.map(BudgetUsage::usedBasisPoints).orElse(0));
    }
}
