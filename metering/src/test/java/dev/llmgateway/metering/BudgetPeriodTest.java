package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.metering.internal.budget.BudgetInvariants;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetPeriodTest {
    private static final Instant SUNDAY_LATE = Instant.parse("2026-03-01T23:59:59Z");

    @Test
    void periodsStartAtUtcBoundariesAndWeeksOnMonday() {
        assertThat(BudgetPeriod.DAILY.start(SUNDAY_LATE)).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
        assertThat(BudgetPeriod.WEEKLY.start(SUNDAY_LATE)).isEqualTo(Instant.parse("2026-02-23T00:00:00Z"));
        assertThat(BudgetPeriod.WEEKLY.end(BudgetPeriod.WEEKLY.start(SUNDAY_LATE))).hasValue(Instant.parse("2026-03-02T00:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.start(SUNDAY_LATE)).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.end(Instant.parse("2026-02-01T00:00:00Z"))).hasValue(Instant.parse("2026-03-01T00:00:00Z"));
        assertThat(BudgetPeriod.TOTAL.start(SUNDAY_LATE)).isEqualTo(Instant.EPOCH);
        assertThat(BudgetPeriod.TOTAL.end(Instant.EPOCH)).isEmpty();
    }

    @Test
    void thresholdAmountsRoundUpAndNeverOverflow() {
        assertThat(BudgetInvariants.thresholdAmount(100, 50)).isEqualTo(50);
        assertThat(BudgetInvariants.thresholdAmount(3, 50)).isEqualTo(2);
        assertThat(BudgetInvariants.thresholdAmount(Long.MAX_VALUE, 100)).isEqualTo(Long.MAX_VALUE);
        assertThat(BudgetInvariants.thresholdAmount(Long.MAX_VALUE, 1000)).isEqualTo(Long.MAX_VALUE);
        assertThat(BudgetInvariants.thresholdAmount(Long.MAX_VALUE, 80)).isLessThan(Long.MAX_VALUE);
    }

    @Test
    void usedBasisPointsAreExactIntegers() {
        assertThat(new BudgetUsage(BudgetUnit.MICROS_USD, 3, 1, 1, 1, 0).usedBasisPoints()).isEqualTo(6666);
        assertThat(new BudgetUsage(BudgetUnit.MICROS_USD, Long.MAX_VALUE, Long.MAX_VALUE / 2, 0, 0, 0).usedBasisPoints()).isEqualTo(4999);
        assertThat(new BudgetUsage(BudgetUnit.TOKENS, 0, 0, 0, 0, 0).usedBasisPoints()).isZero();
    }
}
