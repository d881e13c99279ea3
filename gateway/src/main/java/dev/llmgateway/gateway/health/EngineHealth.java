package dev.llmgateway.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * The embedded deployments' models: loaded or not (lazy), slots in use and queue depth, or why a model is unavailable
 * (missing, corrupt, not downloadable). Stays UP then: the gateway serves every other route, and an unavailable model
 * is no reason to restart the process; {@code unavailable} lists the deployments concerned.
 */
@Liveness
@ApplicationScoped
public class EngineHealth implements HealthCheck {
    @Inject java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> engine;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("engine");
        if (engine.isEmpty()) return b.up().withData("models", 0).build();
        var e = engine.get();
        java.util.List<String> unavailable = new java.util.ArrayList<>();
        for (var entry : e.states().entrySet()) {
            b = b.withData(entry.getKey(), dev.llmgateway.gateway.providers.embedded.EmbeddedModels.describe(entry.getValue()));
            if (e.unavailableReason(entry.getKey()).isPresent()) unavailable.add(entry.getKey());
        }
        return b.withData("unavailable", String.join(",", unavailable)).up().build();
    }
}
