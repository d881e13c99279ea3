package dev.llmgateway.gateway.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;
import org.junit.jupiter.api.Test;

/**
 * The libraries (metering, routing-policies, local-engine) log through {@code java.lang.System.Logger}; inside the
 * gateway those records must reach Quarkus's log (JBoss LogManager: its handlers, formats and category levels).
 * JBoss LogManager registers its own {@code System.LoggerFinder}, so no bridge of ours is needed; this pins that.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class LibraryLoggingTest {

    @Test
    void systemLoggerRecordsReachTheGatewaysLogManagerWithTheirCategoryAndLevel() {
        assertThat(System.LoggerFinder.getLoggerFinder().getClass().getName())
                .isEqualTo("org.jboss.logmanager.JBossLoggerFinder");
        List<ExtLogRecord> seen = new CopyOnWriteArrayList<>();
        ExtHandler capture = new ExtHandler() {
            @Override
            protected void doPublish(ExtLogRecord r) {
                seen.add(r);
            }
        };
        org.jboss.logmanager.Logger root = LogContext.getLogContext().getLogger("");
        root.addHandler(capture);
        String marker = "library-log-" + UUID.randomUUID();
        try {
            System.getLogger("dev.llmgateway.metering.UsageJournal").log(Level.WARNING, marker);
            System.getLogger("dev.llmgateway.metering.UsageJournal").log(Level.DEBUG, marker + "-debug");
        } finally {
            root.removeHandler(capture);
        }
        assertThat(seen).filteredOn(r -> r.getMessage() != null && r.getMessage().startsWith(marker))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.getLoggerName()).isEqualTo("dev.llmgateway.metering.UsageJournal");
                    assertThat(r.getLevel()).isEqualTo(org.jboss.logmanager.Level.WARN);
                    assertThat(r.getMessage()).isEqualTo(marker);
                });
        // Quarkus's category levels govern System.Logger too: DEBUG is off at the test profile's INFO.
        assertThat(System.getLogger("dev.llmgateway.engine.llama").isLoggable(Level.DEBUG)).isFalse();
        assertThat(System.getLogger("dev.llmgateway.engine.llama").isLoggable(Level.INFO)).isTrue();
    }
}
