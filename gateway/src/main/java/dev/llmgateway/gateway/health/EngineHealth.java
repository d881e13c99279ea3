package dev.llmgateway.gateway.health;

import dev.llmgateway.gateway.GatewayRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** The embedded engine's models: loaded or not (lazy), slots in use and queue depth. Always UP when configured. */
@Liveness
@ApplicationScoped
public class EngineHealth implements HealthCheck {
    @Inject GatewayRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("engine");
        if (runtime.engine().isEmpty()) return b.up().withData("models", 0).build();
        var e = runtime.engine().get();
        for (String model : e.models()) {
            var s = e.stats(model);
            b = b.withData(model, (s.loaded() ? "loaded" : "not loaded") + ", " + s.busySlots() + "/" + s.slots() + " slots busy, " + s.queued() + " queued");
        }
        return b.up().build();
    }
}
