package dev.llmgateway.routing;

import java.util.Map;

/** The gateway's current view of deployment health (circuit breakers, error rates, latency). */
@FunctionalInterface
public interface HealthView {

    /** Health of the named deployment; unknown deployments should report {@link DeploymentHealth#HEALTHY}. */
    DeploymentHealth health(String deployment);

    /** Every deployment healthy. */
    static HealthView allHealthy() {
        return d -> DeploymentHealth.HEALTHY;
    }

    /** The given health per deployment, healthy for the rest. */
    static HealthView of(Map<String, DeploymentHealth> byDeployment) {
        Map<String, DeploymentHealth> copy = Map.copyOf(byDeployment);
        return d -> copy.getOrDefault(d, DeploymentHealth.HEALTHY);
    }
}
