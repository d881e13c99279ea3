package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Optional;

/** The prices of one deployment from {@code effectiveFrom} until the next version of the same deployment. */
public record PriceVersion(long id, String deployment, DeploymentClass deploymentClass, Instant effectiveFrom,
                           TokenPrices providerPrices, Optional<TokenPrices> listPrices, int markupBp) {

    /** What the provider charges us for these tokens. */
    public CostResult providerCost(TokenCounts tokens) {
        return Cost.of(tokens, providerPrices);
    }

    /** What the team is charged: list price if set, else provider price, plus markup, rounded once. */
    public CostResult teamCharge(TokenCounts tokens) {
        return Cost.withMarkup(tokens, listPrices.orElse(providerPrices), markupBp);
    }

    /** True when this version prices exactly as the configuration says (ignores id and effective date). */
    public boolean samePricesAs(DeploymentPricing d, int effectiveMarkupBp) {
        return deploymentClass == d.deploymentClass() && providerPrices.equals(d.providerPrices())
                && listPrices.equals(d.listPrices()) && markupBp == effectiveMarkupBp;
    }
}
