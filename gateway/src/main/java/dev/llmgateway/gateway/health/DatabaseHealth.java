package dev.llmgateway.gateway.health;

import dev.llmgateway.gateway.GatewayRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * PostgreSQL's state. It does not make the gateway unready: while the database is unreachable the gateway keeps
 * serving (keys are cached, usage waits in the journal); the journal check turns readiness DOWN when that buffer is full.
 */
@Readiness
@ApplicationScoped
public class DatabaseHealth implements HealthCheck {
    @Inject GatewayRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("database").withData("store", runtime.database().description());
        try (Connection c = runtime.database().dataSource().getConnection()) {
            boolean valid = c.isValid(2);
            return b.up().withData("reachable", valid).build();
        } catch (Exception e) {
            return b.up().withData("reachable", false).withData("warning", "PostgreSQL is unreachable ("
                    + e.getClass().getSimpleName() + "); usage is buffered in the journal").build();
        }
    }
}
