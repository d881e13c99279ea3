package dev.llmgateway.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * PostgreSQL's state. An unreachable external database does not make the gateway unready: it keeps serving (keys are
 * cached, usage waits in the journal); the journal check turns readiness DOWN when that buffer is full. The embedded
 * PostgreSQL is the gateway's own child: while it is down and being restarted, readiness is DOWN, so a load balancer
 * sends traffic elsewhere until it is back.
 */
@Readiness
@ApplicationScoped
public class DatabaseHealth implements HealthCheck {
    @Inject dev.llmgateway.gateway.db.Database database;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("database").withData("store", database.description());
        var embedded = database.embedded();
        if (embedded.isPresent()) {
            var pg = embedded.get();
            b = b.withData("embedded_pid", pg.pid()).withData("embedded_restarts", pg.restarts());
            if (!pg.running()) {
                return b.down().withData("reachable", false).withData("warning", "the embedded PostgreSQL is down and being restarted ("
                        + pg.problem() + "); usage is buffered in the journal").build();
            }
        }
        try (Connection c = database.dataSource().getConnection()) {
            boolean valid = c.isValid(2);
            return b.up().withData("reachable", valid).build();
        } catch (Exception e) {
            return b.up().withData("reachable", false).withData("warning", "PostgreSQL is unreachable ("
                    + e.getClass().getSimpleName() + "); usage is buffered in the journal").build();
        }
    }
}
