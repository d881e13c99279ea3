package dev.llmgateway.metering;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Configured pricing of one deployment: what the provider charges us, optionally the list price teams are
 * charged instead (open deployments), and a markup overriding the class default.
 */
public record DeploymentPricing(String deployment, DeploymentClass deploymentClass, TokenPrices providerPrices,
                                Optional<TokenPrices> listPrices, OptionalInt markupBp) {
    public DeploymentPricing {
        if (deployment == null || deployment.isBlank()) throw new IllegalArgumentException("deployment name is empty");
        Objects.requireNonNull(deploymentClass, "deploymentClass");
        Objects.requireNonNull(providerPrices, "providerPrices");
        Objects.requireNonNull(listPrices, "listPrices");
        Objects.requireNonNull(markupBp, "markupBp");
        if (markupBp.isPresent() && (markupBp.getAsInt() < 0 || markupBp.getAsInt() > Cost.MARKUP_BP_MAX)) {
            throw new IllegalArgumentException(deployment + ": markup " + markupBp.getAsInt() + " bp outside 0.." + Cost.MARKUP_BP_MAX);
        }
    }

    /** A deployment charged at its provider price with the class markup. */
    public static DeploymentPricing of(String deployment, DeploymentClass deploymentClass, TokenPrices providerPrices) {
        return new DeploymentPricing(deployment, deploymentClass, providerPrices, Optional.empty(), OptionalInt.empty());
    }
}
