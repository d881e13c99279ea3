package dev.llmgateway.routing;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Stored state of one route's migration; routing is a pure function of it, so a restart that reloads it
 * routes exactly as before.
 *
 * @param stageIndex index into {@link Policy.Migration#stagesPercent()}
 * @param since when the current stage or status began
 */
public record MigrationState(String route, int stageIndex, MigrationStatus status, Instant since,
                             List<MigrationTransition> history) {

    public MigrationState {
        Objects.requireNonNull(route, "route");
        if (stageIndex < 0) {
            throw new IllegalArgumentException("stageIndex must be >= 0");
        }
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(since, "since");
        history = List.copyOf(history);
    }

    /** Percent of end users sent to the open deployment under this state. */
    public int openPercent(Policy.Migration plan) {
        return switch (status) {
            case ACTIVE, PAUSED, PINNED -> plan.stagesPercent().get(Math.min(stageIndex, plan.lastStage()));
            case ROLLED_BACK -> 0;
            case COMPLETED -> 100;
        };
    }
}
