package dev.llmgateway.metering;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A route's migration state as stored by {@link MigrationStore} (the routing library's {@code MigrationState}
 * without its history; the gateway converts between the two). {@code version} is the stored version this state
 * was read as, or derived from: 0 for a route never saved.
 */
public record StoredMigrationState(String route, int stageIndex, Status status, Instant since, long version) {

    /** Where a migration stands; the same names as the routing library's {@code MigrationStatus}. */
    public enum Status { ACTIVE, PAUSED, PINNED, ROLLED_BACK, COMPLETED }

    public StoredMigrationState {
        Objects.requireNonNull(route, "route");
        if (route.isEmpty()) throw new IllegalArgumentException("route must not be empty");
        if (stageIndex < 0) throw new IllegalArgumentException("stageIndex must be >= 0");
        Objects.requireNonNull(status, "status");
        since = Objects.requireNonNull(since, "since").truncatedTo(ChronoUnit.MICROS);
        if (version < 0) throw new IllegalArgumentException("version must be >= 0");
    }
}
