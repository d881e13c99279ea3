package dev.llmgateway.metering;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/** One entry of a route's append-only migration history: stages before and after, what, why, when, and who. */
public record StoredMigrationTransition(String route, int fromStage, int toStage, Kind kind, String reason,
                                        Instant at, Actor actor) {

    /** What caused a transition; the same names as the routing library's {@code MigrationTransition.Kind}. */
    public enum Kind { START, PROMOTE, AUTO_PROMOTE, COMPLETE, PAUSE, RESUME, PIN, ROLLBACK, AUTO_ROLLBACK }

    /** Who made the change: the automatic evaluation or an operator through the admin API. */
    public enum Actor {
        AUTO("auto"), ADMIN("admin");

        private final String wire;

        Actor(String wire) { this.wire = wire; }

        /** The lower-case name stored in SQL. */
        public String wire() { return wire; }

        public static Actor fromWire(String s) {
            for (Actor a : values()) if (a.wire.equals(s)) return a;
            throw new IllegalArgumentException("unknown actor '" + s + "' (expected auto or admin)");
        }
    }

    public StoredMigrationTransition {
        Objects.requireNonNull(route, "route");
        if (fromStage < 0 || toStage < 0) throw new IllegalArgumentException("stages must be >= 0");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        at = Objects.requireNonNull(at, "at").truncatedTo(ChronoUnit.MICROS);
        Objects.requireNonNull(actor, "actor");
    }
}
