package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import java.util.List;
import java.util.Optional;

/** Where a request goes and why: the primary deployment, fallbacks in order, and the policy's explanation. */
public record RoutePlan(String route, String policy, Optional<String> stage, String reason, Deployment primary,
                        List<Deployment> fallbacks, Optional<Deployment> shadow) {

    /** Primary first, then fallbacks. */
    public List<Deployment> candidates() {
        var all = new java.util.ArrayList<Deployment>(1 + fallbacks.size());
        all.add(primary);
        all.addAll(fallbacks);
        return all;
    }
}
