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

    private final Map<String, Breaker> breakers = new ConcurrentHashMap<>();

    /** One deployment's breaker, with the settings it was built from and its last observed state. */
    private record Breaker(GatewayConfigResilience settings, TypedGuard<CompletionStage<Object>> guard,
                           java.util.concurrent.atomic.AtomicReference<CircuitBreakerState> state) {}

    /** The settings that shape a breaker; a reload that keeps them keeps the breaker and its state. */
    private record GatewayConfigResilience(int requestVolume, double failureRatio, long delayMs) {}

    public CircuitBreakers(Iterable<Deployment> deployments) { this(deployments, null); }

    /**
     * Breakers for {@code deployments}; a deployment that {@code previous} already had with the same breaker settings
     * keeps its breaker, so a configuration reload does not close an open circuit (or forget recent failures).
     */
    public CircuitBreakers(Iterable<Deployment> deployments, CircuitBreakers previous) {
        for (Deployment d : deployments) {
            var r = d.resilience();
            var settings = new GatewayConfigResilience(r.circuitRequestVolume(), r.circuitFailureRatio(), r.circuitDelay().toMillis());
            Breaker kept = previous == null ? null : previous.breakers.get(d.name());
            if (kept != null && kept.settings().equals(settings)) {
                breakers.put(d.name(), kept);
                continue;
            }
            var state = new java.util.concurrent.atomic.AtomicReference<>(CircuitBreakerState.CLOSED);
            breakers.put(d.name(), new Breaker(settings, TypedGuard.create(STAGE)
                    .withDescription("deployment " + d.name())
                    .withCircuitBreaker()
                    .requestVolumeThreshold(r.circuitRequestVolume())
                    .failureRatio(r.circuitFailureRatio())
                    .delay(r.circuitDelay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(1)
                    .when(CircuitBreakers::countsAsFailure)
                    .onStateChange(state::set)
                    .done()
                    .withThreadOffload(false)
                    .build(), state));
        }
    }

    /** Runs one attempt through the deployment's breaker; an open breaker fails fast with {@link GatewayError.CircuitOpen}. */
    @SuppressWarnings("unchecked")
    public <T> Future<T> call(String deployment, Supplier<Future<T>> attempt) {
        TypedGuard<CompletionStage<Object>> guard = breakers.get(deployment).guard();
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

    public CircuitBreakerState state(String deployment) {
        Breaker b = breakers.get(deployment);
        return b == null ? CircuitBreakerState.CLOSED : b.state().get();
    }

    public Map<String, CircuitBreakerState> states() {
        Map<String, CircuitBreakerState> out = new java.util.HashMap<>();
        breakers.forEach((name, b) -> out.put(name, b.state().get()));
        return Map.copyOf(out);
    }

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
