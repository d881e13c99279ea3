package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BudgetStoreTest {
    private final javax.sql.DataSource db = TestDatabase.fresh();
    private final BudgetStore store = new BudgetStore(db);
    private final TeamStore teams = new TeamStore(db);

    @Test
    void putStoresABudgetAndPuttingAgainReplacesItKeepingItsId() {
        teams.createTeam("search", "Search", UseClass.COMMERCIAL);
        Budget first = store.put(BudgetDefinition.forTeam("search", OptionalLong.of(100_000_000), OptionalLong.empty(),
                BudgetPeriod.MONTHLY, BudgetEnforcement.HARD, List.of(100, 50, 80)));
        assertThat(first.definition().alertThresholdsPct()).containsExactly(50, 80, 100);

        Budget second = store.put(BudgetDefinition.forTeam("search", OptionalLong.empty(), OptionalLong.of(5_000_000),
                BudgetPeriod.DAILY, BudgetEnforcement.SOFT, List.of()));
        assertThat(second.id()).isEqualTo(first.id());
        Budget read = store.get("search", Optional.empty()).orElseThrow();
        assertThat(read.definition()).isEqualTo(second.definition());
        assertThat(read.definition().limitMicrosUsd()).isEmpty();
        assertThat(read.definition().limitTokens()).hasValue(5_000_000);
    }

    @Test
    void aKeyHasItsOwnBudgetBesideTheTeamBudget() {
        teams.createTeam("ops", "Ops", UseClass.COMMERCIAL);
        String key = teams.issueKey("ops", "ci", Optional.empty()).key().id();
        store.put(BudgetDefinition.forTeam("ops", OptionalLong.of(1), OptionalLong.empty(), BudgetPeriod.TOTAL, BudgetEnforcement.HARD, List.of()));
        store.put(new BudgetDefinition("ops", Optional.of(key), OptionalLong.of(2), OptionalLong.empty(), BudgetPeriod.WEEKLY,
                BudgetEnforcement.HARD, List.of()));

        assertThat(store.budgetsOf("ops")).extracting(b -> b.definition().keyId()).containsExactly(Optional.empty(), Optional.of(key));
        assertThat(store.get("ops", Optional.of(key)).orElseThrow().definition().limitMicrosUsd()).hasValue(2);
        assertThat(store.delete("ops", Optional.of(key))).isTrue();
        assertThat(store.delete("ops", Optional.of(key))).isFalse();
        assertThat(store.budgetsOf("ops")).hasSize(1);
    }

    @Test
    void budgetsForUnknownTeamsAreRefused() {
        assertThatThrownBy(() -> store.put(BudgetDefinition.forTeam("nobody", OptionalLong.of(1), OptionalLong.empty(),
                BudgetPeriod.DAILY, BudgetEnforcement.HARD, List.of()))).isInstanceOf(StoreException.class);
    }

    @Test
    void definitionsWithoutAnyLimitOrWithBadThresholdsAreRefused() {
        assertThatThrownBy(() -> BudgetDefinition.forTeam("t", OptionalLong.empty(), OptionalLong.empty(), BudgetPeriod.DAILY,
                BudgetEnforcement.HARD, List.of())).hasMessageContaining("limit_usd, limit_tokens or both");
        assertThatThrownBy(() -> BudgetDefinition.forTeam("t", OptionalLong.of(1), OptionalLong.empty(), BudgetPeriod.DAILY,
                BudgetEnforcement.HARD, List.of(0))).hasMessageContaining("alert_thresholds");
    }

    @Test
    void usdAmountsParseExactlyIntoMicros() {
        assertThat(Money.parseUsdToMicros("100.00")).isEqualTo(100_000_000L);
        assertThat(Money.parseUsdToMicros("0.000001")).isEqualTo(1L);
        assertThat(Money.formatUsd(100_000_000L)).isEqualTo("100.000000");
        assertThat(Money.formatUsd(1_234_567L)).isEqualTo("1.234567");
        assertThatThrownBy(() -> Money.parseUsdToMicros("0.0000001")).hasMessageContaining("whole number of micro-USD");
        assertThatThrownBy(() -> Money.parseUsdToMicros("-1")).hasMessageContaining("negative");
        assertThatThrownBy(() -> Money.parseUsdToMicros("ten")).hasMessageContaining("not a decimal number");
    }
}
