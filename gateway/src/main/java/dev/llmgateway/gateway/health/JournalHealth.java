package dev.llmgateway.gateway.health;

import dev.llmgateway.gateway.GatewayRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The usage journal: DOWN (not ready) when it is full, since new requests are then refused; UP with a warning while
 * records wait for PostgreSQL.
 */
@Readiness
@ApplicationScoped
public class JournalHealth implements HealthCheck {
    @Inject GatewayRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        var m = runtime.metering();
        var b = HealthCheckResponse.named("usage-journal")
                .withData("unstored_records", m.journal().unstoredRecords())
                .withData("bytes", m.journal().totalBytes())
                .withData("max_bytes", m.journal().maxTotalBytes())
                .withData("writer_failures", m.writer().failures());
        if (m.journal().unstoredRecords() > 0 && m.writer().lastError().isPresent()) {
            b = b.withData("warning", "usage records are waiting for PostgreSQL: " + m.writer().lastError().get());
        }
        return b.status(!m.journalFull()).build();
    }
}
