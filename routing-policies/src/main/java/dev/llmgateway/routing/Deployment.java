package dev.llmgateway.routing;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** One model served by one provider, with what it costs and what it can do. */
public record Deployment(
        String name,
        String provider,
        String upstreamModel,
        DeploymentClass deploymentClass,
        TokenPrices prices,
        int contextWindow,
        Set<Capability> capabilities,
        Map<String, Double> qualityByTask,
        Optional<String> licenseId) {

    /** Task category whose score is used when a request's category has none. */
    public static final String GENERAL_TASK = "general";

    public Deployment {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(upstreamModel, "upstreamModel");
        Objects.requireNonNull(deploymentClass, "deploymentClass");
        Objects.requireNonNull(prices, "prices");
        capabilities = Set.copyOf(capabilities);
        qualityByTask = Map.copyOf(qualityByTask);
        Objects.requireNonNull(licenseId, "licenseId");
    }

    /** Quality score for a task category, else the {@value #GENERAL_TASK} score, else 0. */
    public double quality(String taskCategory) {
        Double q = qualityByTask.get(taskCategory);
        if (q == null) {
            q = qualityByTask.get(GENERAL_TASK);
        }
        return q == null ? 0.0 : q;
    }

    /** True when the request fits the context window and every required capability is present. */
    public boolean canServe(RequestFeatures f) {
        return (long) f.promptTokens() + f.maxOutputTokens() <= contextWindow
                && capabilities.containsAll(f.required());
    }
}
