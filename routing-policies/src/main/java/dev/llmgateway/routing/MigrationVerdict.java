package dev.llmgateway.routing;

import java.util.Objects;

/** What the evidence says a migration should do next. */
public sealed interface MigrationVerdict permits MigrationVerdict.Stay, MigrationVerdict.Promote,
        MigrationVerdict.Rollback {

    String reason();

    /** Keep the current stage. */
    record Stay(String reason) implements MigrationVerdict {
        public Stay {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Move to stage {@code toStage}; from the last stage this completes the migration (100% open). */
    record Promote(int toStage, boolean completes, String reason) implements MigrationVerdict {
        public Promote {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Send all traffic back to the closed deployment. */
    record Rollback(String reason) implements MigrationVerdict {
        public Rollback {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
