package dev.llmgateway.routing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The outcome of routing one request; every variant says why. */
public sealed interface Decision permits Decision.Routed, Decision.NoRoute {

    /** Short human-readable explanation, suitable for an {@code x-gateway-route-reason} header. */
    String reason();

    /**
     * Send to {@code primary}; on failure try {@code fallbacks} in order (route fallbacks that can serve the
     * request, never the primary, deployments with an open circuit last); mirror to {@code shadow} when present.
     *
     * @param policy the policy type that decided ({@code fixed}, {@code weighted}, ..., or {@code budget_downgrade})
     * @param stage the migration stage, e.g. {@code "2/4 (25%)"}, for migration routes
     */
    record Routed(Deployment primary, List<Deployment> fallbacks, Optional<Deployment> shadow, String policy,
                  Optional<String> stage, String reason) implements Decision {
        public Routed {
            Objects.requireNonNull(primary, "primary");
            fallbacks = List.copyOf(fallbacks);
            Objects.requireNonNull(shadow, "shadow");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** No deployment can answer: unknown route, or no candidate can serve the request. */
    record NoRoute(String reason) implements Decision {
        public NoRoute {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
