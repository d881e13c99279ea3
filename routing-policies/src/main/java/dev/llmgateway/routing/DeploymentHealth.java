package dev.llmgateway.routing;

/** Health of one deployment as the gateway sees it. */
public record DeploymentHealth(boolean circuitOpen, double errorRate, long latencyMsP50) {

    /** Closed circuit, no errors, unknown latency. */
    public static final DeploymentHealth HEALTHY = new DeploymentHealth(false, 0.0, 0L);

    /** An open circuit breaker. */
    public static DeploymentHealth circuitOpened() {
        return new DeploymentHealth(true, 1.0, 0L);
    }
}
