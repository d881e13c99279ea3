package dev.llmgateway.routing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The outcome of routing one request; every variant says why. */
public sealed interface Decision permits Decision.Routed, Decision.NoRoute {

    /** Human-readable explanation with the numbers behind it, for logs and the usage record. */
    String reason();

    /**
     * Send to {@code primary}; on failure try {@code fallbacks} in order (route fallbacks that can serve the
     * request, never the primary, deployments with an open circuit last); mirror to {@code shadow} when present.
     *
     * @param policy the policy type that decided ({@code fixed}, {@code weighted}, ..., or {@code budget_downgrade})
     * @param stage the migration stage, e.g. {@code "2/4 (25%)"}, for migration routes
     * @param reasonCode a short, stable token for the {@code x-gateway-route-reason} header, e.g.
     *        {@code cost_quality:cheapest_meeting_quality}, {@code budget_downgrade:over_80pct},
     *        {@code migration:canary}, {@code fallback:circuit_open} (the list is in docs/routing.md)
     */
    record Routed(Deployment primary, List<Deployment> fallbacks, Optional<Deployment> shadow, String policy,
                  Optional<String> stage, String reason, String reasonCode) implements Decision {
        public Routed {
            Objects.requireNonNull(primary, "primary");
            fallbacks = List.copyOf(fallbacks);
            Objects.requireNonNull(shadow, "shadow");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(reasonCode, "reasonCode");
        }
    }

    /** No deployment can answer; the variant says which of the closed set of causes applies. */
    sealed interface NoRoute extends Decision permits NoRoute.UnknownRoute, NoRoute.ExceedsContext, NoRoute.NoneCanServe {

        /** No route has this name. */
        record UnknownRoute(String route) implements NoRoute {
            public UnknownRoute {
                Objects.requireNonNull(route, "route");
            }

            @Override
            public String reason() {
                return "unknown route '" + route + "'";
            }
        }

        /**
         * The request (prompt + max_tokens) needs more tokens than the largest context window of any deployment the
         * route may send to ({@link Route#servingDeployments()}).
         */
        record ExceedsContext(String route, long neededTokens, int largestContextWindow, String reason) implements NoRoute {
            public ExceedsContext {
                Objects.requireNonNull(route, "route");
                Objects.requireNonNull(reason, "reason");
            }
        }

        /** The request fits some deployment's window, but none the decision could use serves it (capabilities, window). */
        record NoneCanServe(String route, String reason) implements NoRoute {
            public NoneCanServe {
                Objects.requireNonNull(route, "route");
                Objects.requireNonNull(reason, "reason");
            }
        }
    }
}
