package dev.llmgateway.metering;

import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/** Usage rows for evidence tests, stored the way the usage writer stores them (one batch statement). */
final class EvidenceDb {
    private EvidenceDb() {}

    static void store(DataSource db, List<UsageEvent> events) {
        try (Connection c = db.getConnection()) {
            UsageEventSql.insertNew(c, events);
        } catch (SQLException e) {
            throw new IllegalStateException("storing usage", e);
        }
    }

    static UsageEvent served(String id, Instant t, String team, String route, String deployment, DeploymentClass cls,
                             int latencyMs, int httpStatus, boolean shadow) {
        return UsageEvent.builder(id, t).team(team, "k-" + team).route(route, "gradual", "1")
                .deployment(deployment, "p", "m", cls).tokens(100, 20, 0).money(10, 12, 20)
                .timing(latencyMs, null).outcome(httpStatus, httpStatus >= 400 ? "upstream_failed" : null)
                .shadow(shadow).build();
    }

    static UsageEvent served(String id, Instant t, String team, String route, String deployment, DeploymentClass cls) {
        return served(id, t, team, route, deployment, cls, 100, 200, false);
    }
}
