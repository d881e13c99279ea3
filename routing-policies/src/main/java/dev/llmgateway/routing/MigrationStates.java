package dev.llmgateway.routing;

import java.util.Map;
import java.util.Optional;

/** Lookup of stored migration states by route name (the gateway keeps them in PostgreSQL). */
@FunctionalInterface
public interface MigrationStates {

    /** The stored state of a route's migration; empty means "not started yet", treated as the first stage, active. */
    Optional<MigrationState> find(String route);

    /** No stored states. */
    static MigrationStates none() {
        return r -> Optional.empty();
    }

    /** The given states by route name. */
    static MigrationStates of(Map<String, MigrationState> byRoute) {
        Map<String, MigrationState> copy = Map.copyOf(byRoute);
        return r -> Optional.ofNullable(copy.get(r));
    }
}
