package dev.llmgateway.gateway.health;

import dev.llmgateway.gateway.GatewayRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while PostgreSQL answers. */
@Readiness
@ApplicationScoped
public class DatabaseHealth implements HealthCheck {
    @Inject GatewayRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("database").withData("store", runtime.database().description());
        try (Connection c = runtime.database().dataSource().getConnection()) {
            return b.status(c.isValid(2)).build();
        } catch (Exception e) {
            return b.down().withData("error", e.getClass().getSimpleName()).build();
        }
    }
}
