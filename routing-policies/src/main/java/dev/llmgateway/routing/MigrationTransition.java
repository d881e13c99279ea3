package dev.llmgateway.routing;

import java.time.Instant;
import java.util.Objects;

/** One recorded change of a migration: stage indexes before and after, what happened, why and when. */
public record MigrationTransition(int from, int to, Kind kind, String reason, Instant at) {

    /** What caused a transition. */
    public enum Kind { START, PROMOTE, AUTO_PROMOTE, COMPLETE, PAUSE, RESUME, PIN, ROLLBACK, AUTO_ROLLBACK }

    public MigrationTransition {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(at, "at");
    }
}
