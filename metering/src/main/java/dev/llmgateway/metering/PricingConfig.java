package dev.llmgateway.metering;

import java.util.List;
import java.util.Map;

/** All configured prices (from gateway.yaml): per deployment, plus the default markup per deployment class. */
public record PricingConfig(List<DeploymentPricing> deployments, Map<DeploymentClass, Integer> classMarkupBp) {
    public PricingConfig {
        deployments = List.copyOf(deployments);
        classMarkupBp = Map.copyOf(classMarkupBp);
        long distinct = deployments.stream().map(DeploymentPricing::deployment).distinct().count();
        if (distinct != deployments.size()) throw new IllegalArgumentException("a deployment is priced twice");
        classMarkupBp.forEach((c, bp) -> {
            if (bp < 0 || bp > Cost.MARKUP_BP_MAX) throw new IllegalArgumentException("markup for " + c.wire() + ": " + bp + " bp");
        });
    }

    /** The markup that applies to this deployment: its own, else its class default, else none. */
    public int effectiveMarkupBp(DeploymentPricing d) {
        return d.markupBp().orElse(classMarkupBp.getOrDefault(d.deploymentClass(), 0));
    }
}
