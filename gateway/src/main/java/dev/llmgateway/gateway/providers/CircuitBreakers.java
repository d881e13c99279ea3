package dev.llmgateway.gateway.providers;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.GatewayError;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.util.TypeLiteral;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * One SmallRye Fault Tolerance circuit breaker per deployment. Only failures that say the deployment is unhealthy
 * (5xx, timeouts, broken connections) count; a 4xx caused by the request, a 429 or a wait for the gateway's own
 * connection pool ({@link GatewayError.GatewayCapacity}) does not open the circuit.
 */
public final class CircuitBreakers {
    private static final TypeLiteral<CompletionStage<Object>> STAGE = new TypeLiteral<>() {};

    private final Map<String, TypedGuard<CompletionStage<Object>>> guards = new ConcurrentHashMap<>();
    private final Map<String, CircuitBreakerState> states = new ConcurrentHashMap<>();

    public CircuitBreakers(Iterable<Deployment> deployments) {
        for (Deployment d : deployments) {
            var r = d.resilience();
            states.put(d.name(), CircuitBreakerState.CLOSED);
            guards.put(d.name(), TypedGuard.create(STAGE)
                    .withDescription("deployment " + d.name())
                    .withCircuitBreaker()
                    .requestVolumeThreshold(r.circuitRequestVolume())
                    .failureRatio(r.circuitFailureRatio())
                    .delay(r.circuitDelay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(1)
                    .when(CircuitBreakers::countsAsFailure)
                    .onStateChange(s -> states.put(d.name(), s))
                    .done()
                    .withThreadOffload(false)
                    .build());
        }
    }

    /** Runs one attempt through the deployment's breaker; an open breaker fails fast with {@link GatewayError.CircuitOpen}. */
    @SuppressWarnings("unchecked")
    public <T> Future<T> call(String deployment, Supplier<Future<T>> attempt) {
        TypedGuard<CompletionStage<Object>> guard = guards.get(deployment);
        Context ctx = Vertx.currentContext();
        CompletionStage<Object> cs = guard.get(() -> attempt.get().map(t -> (Object) t).toCompletionStage());
        Future<Object> f = ctx != null ? Future.fromCompletionStage(cs, ctx) : Future.fromCompletionStage(cs);
        return f.map(o -> (T) o).recover(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CircuitBreakerOpenException) {
                return Future.failedFuture(new GatewayError.Failure(new GatewayError.CircuitOpen(deployment)));
            }
            return Future.failedFuture(cause);
        });
    }

    public CircuitBreakerState state(String deployment) { return states.getOrDefault(deployment, CircuitBreakerState.CLOSED); }

    public Map<String, CircuitBreakerState> states() { return Map.copyOf(states); }

    static boolean countsAsFailure(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (!(cause instanceof GatewayError.Failure f)) return true;
        return switch (f.error()) {
            case GatewayError.UpstreamFailed u -> u.status() >= 500;
            case GatewayError.UpstreamUnavailable u -> true;
            case GatewayError.UpstreamTimeout u -> true;
            case GatewayError.GatewayCapacity c -> false; // our own pool was full: the upstream may be perfectly healthy
            default -> false;
        };
    }
}
