package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PriceCatalogTest {
    private static final Instant JAN = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant MAR = Instant.parse("2025-03-01T00:00:00Z");
    private static final TokenPrices GPT_OLD = TokenPrices.parseUsdPerMTok("5.00", "15.00", "2.50");
    private static final TokenPrices GPT_NEW = TokenPrices.parseUsdPerMTok("2.50", "10.00", "1.25");
    private static final TokenPrices LLAMA_COST = TokenPrices.parseUsdPerMTok("0.20", "0.20", "0.20");
    private static final TokenPrices LLAMA_LIST = TokenPrices.parseUsdPerMTok("0.90", "0.90", "0.45");

    private final javax.sql.DataSource db = TestDatabase.fresh();
    private final PriceCatalog catalog = new PriceCatalog(db);

    private static PricingConfig config(TokenPrices gpt) {
        return new PricingConfig(List.of(
                DeploymentPricing.of("gpt-4o", DeploymentClass.CLOSED, gpt),
                new DeploymentPricing("llama-70b", DeploymentClass.OPEN, LLAMA_COST, Optional.of(LLAMA_LIST), OptionalInt.of(0))),
                Map.of(DeploymentClass.CLOSED, 200));
    }

    @Test
    void syncingTheSameConfigTwiceAddsNoVersion() {
        PriceCatalog.SyncReport first = catalog.syncFromConfig(config(GPT_OLD), JAN);
        PriceCatalog.SyncReport again = catalog.syncFromConfig(config(GPT_OLD), MAR);

        assertThat(first.newVersions()).containsExactlyInAnyOrder("gpt-4o", "llama-70b");
        assertThat(again.newVersions()).isEmpty();
        assertThat(again.unchanged()).containsExactlyInAnyOrder("gpt-4o", "llama-70b");
        assertThat(catalog.versions("gpt-4o")).hasSize(1);
    }

    @Test
    void usageIsPricedWithTheVersionInEffectAtItsTime() {
        catalog.syncFromConfig(config(GPT_OLD), JAN);
        catalog.syncFromConfig(config(GPT_NEW), MAR);
        TokenCounts tokens = new TokenCounts(1_000_000, 1_000_000, 0);

        PriceVersion february = catalog.priceAt("gpt-4o", Instant.parse("2025-02-15T12:00:00Z")).orElseThrow();
        PriceVersion april = catalog.priceAt("gpt-4o", Instant.parse("2025-04-01T00:00:00Z")).orElseThrow();

        assertThat(february.providerCost(tokens).orThrow()).isEqualTo(MicroUsd.ofMicros(20_000_000));
        assertThat(april.providerCost(tokens).orThrow()).isEqualTo(MicroUsd.ofMicros(12_500_000));
        assertThat(catalog.priceAt("gpt-4o", MAR).orElseThrow().effectiveFrom()).isEqualTo(MAR);
        assertThat(catalog.priceAt("gpt-4o", MAR.minusNanos(1000)).orElseThrow().providerPrices()).isEqualTo(GPT_OLD);
        assertThat(catalog.priceAt("gpt-4o", JAN.minusSeconds(1))).isEmpty();
        assertThat(catalog.priceAt("unknown", MAR)).isEmpty();
    }

    @Test
    void closedDeploymentsChargeProviderPricePlusClassMarkupAndOpenOnesTheirListPrice() {
        catalog.syncFromConfig(config(GPT_NEW), JAN);
        TokenCounts tokens = new TokenCounts(1_000_000, 0, 0);

        PriceVersion gpt = catalog.priceAt("gpt-4o", MAR).orElseThrow();
        PriceVersion llama = catalog.priceAt("llama-70b", MAR).orElseThrow();

        assertThat(gpt.markupBp()).isEqualTo(200);
        assertThat(gpt.teamCharge(tokens).orThrow()).isEqualTo(MicroUsd.ofMicros(2_550_000));
        assertThat(llama.providerCost(tokens).orThrow()).isEqualTo(MicroUsd.ofMicros(200_000));
        assertThat(llama.teamCharge(tokens).orThrow()).isEqualTo(MicroUsd.ofMicros(900_000));
    }

    @Test
    void changingOnlyTheMarkupCreatesANewVersion() {
        catalog.syncFromConfig(config(GPT_NEW), JAN);
        PricingConfig moreMarkup = new PricingConfig(config(GPT_NEW).deployments(), Map.of(DeploymentClass.CLOSED, 500));
        assertThat(catalog.syncFromConfig(moreMarkup, MAR).newVersions()).containsExactly("gpt-4o");
        assertThat(catalog.priceAt("gpt-4o", MAR).orElseThrow().markupBp()).isEqualTo(500);
    }

    @Test
    void anAnnouncedFuturePriceTakesEffectOnlyFromItsDateAndCatalogsOfOtherReplicasSeeItAfterRefresh() {
        catalog.syncFromConfig(config(GPT_OLD), JAN);
        PriceCatalog otherReplica = new PriceCatalog(db);
        catalog.addVersion(DeploymentPricing.of("gpt-4o", DeploymentClass.CLOSED, GPT_NEW), 200, MAR, "admin");

        assertThat(catalog.priceAt("gpt-4o", MAR.minusSeconds(1)).orElseThrow().providerPrices()).isEqualTo(GPT_OLD);
        assertThat(catalog.priceAt("gpt-4o", MAR).orElseThrow().providerPrices()).isEqualTo(GPT_NEW);
        assertThat(otherReplica.priceAt("gpt-4o", MAR).orElseThrow().providerPrices()).isEqualTo(GPT_OLD);
        otherReplica.refresh();
        assertThat(otherReplica.priceAt("gpt-4o", MAR).orElseThrow().providerPrices()).isEqualTo(GPT_NEW);
    }
}
