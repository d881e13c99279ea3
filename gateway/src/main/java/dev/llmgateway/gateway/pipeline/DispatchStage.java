package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.Resilience;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.gateway.providers.ModelBackend;
import dev.llmgateway.gateway.providers.ProviderCall;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends the request to the plan's deployments in order. Per deployment: up to {@code retry.max_attempts} tries through
 * its circuit breaker, with exponential backoff and full jitter, or exactly the upstream's Retry-After when that fits
 * within {@code retry.backoff_max}. A request error (4xx) is final; anything retryable moves on to the next deployment.
 * All of this happens before the first byte reaches the client. Returns the reply, unwritten ({@link Outcome.Replied}).
 */
public final class DispatchStage implements Stage {
    private final Vertx vertx;
    private final Backends backends;
    private final CircuitBreakers breakers;

    public DispatchStage(Vertx vertx, Backends backends, CircuitBreakers breakers) {
        this.vertx = vertx;
        this.backends = backends;
        this.breakers = breakers;
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        return tryDeployment(x, x.plan().candidates(), 0, 1).map(reply -> (Outcome) new Outcome.Replied(reply));
    }

    private Future<Reply> tryDeployment(Exchange x, List<Deployment> candidates, int index, int attempt) {
        if (index >= candidates.size()) {
            return Future.failedFuture(new GatewayError.Failure(x.attempts().size() == 1
                    ? x.attempts().get(0).error() : new GatewayError.AllDeploymentsFailed(List.copyOf(x.attempts()))));
        }
        if (x.cancel().isCancelled()) {
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.BadRequest("client closed the request", null)));
        }
        Deployment d = candidates.get(index);
        ModelBackend backend = backends.forProvider(d.provider());
        ProviderCall call = new ProviderCall(x.requestId(), d, x.json(), x.chat(), x.cancel(), x.body());
        Future<Reply> sent = breakers.call(d.name(), () -> send(x, backend, call));
        return sent.map(reply -> {
            x.attempted(d.name(), "200", null);
            x.servedBy(d);
            return reply;
        }).recover(e -> {
            if (!(e instanceof GatewayError.Failure f)) return Future.failedFuture(e);
            GatewayError err = f.error();
            x.attempted(d.name(), label(err), err);
            if (!err.retryable()) return Future.failedFuture(e);
            Resilience r = d.resilience();
            Duration wait = backoff(r, attempt, err);
            // A full pool of our own will not free up within a backoff: go straight to the next deployment.
            boolean retrySame = !(err instanceof GatewayError.CircuitOpen) && !(err instanceof GatewayError.GatewayCapacity)
                    && !(err instanceof GatewayError.ModelUnavailable) && attempt < r.maxAttempts() && wait != null;
            if (!retrySame) return tryDeployment(x, candidates, index + 1, 1);
            return delay(wait).compose(v -> tryDeployment(x, candidates, index, attempt + 1));
        });
    }

    private static Future<Reply> send(Exchange x, ModelBackend backend, ProviderCall call) {
        return switch (x.kind()) {
            case EMBEDDINGS -> backend.embed(call).map(Reply.Whole::new);
            case CHAT -> x.chat().stream()
                    ? backend.stream(call).map(Reply.Streaming::new)
                    : backend.complete(call).map(Reply.Whole::new);
            case COMPLETIONS -> x.chat().stream()
                    ? backend.streamText(call).map(Reply.Streaming::new)
                    : backend.completeText(call).map(Reply.Whole::new);
        };
    }

    /** The wait before the next try of the same deployment, or null when it should not be retried (Retry-After too long). */
    static Duration backoff(Resilience r, int attempt, GatewayError err) {
        Duration retryAfter = switch (err) {
            case GatewayError.UpstreamFailed u -> u.retryAfter().orElse(null);
            default -> null;
        };
        if (retryAfter != null) return retryAfter.compareTo(r.backoffMax()) <= 0 ? retryAfter : null;
        long cap = Math.min(r.backoffMax().toMillis(), r.backoffInitial().toMillis() << Math.min(20, attempt - 1));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
    }

    private Future<Void> delay(Duration d) {
        if (d.isZero()) return Future.succeededFuture();
        Promise<Void> p = Promise.promise();
        vertx.setTimer(Math.max(1, d.toMillis()), id -> p.complete());
        return p.future();
    }

    private static String label(GatewayError e) {
        return switch (e) {
            case GatewayError.UpstreamFailed u -> Integer.toString(u.status());
            case GatewayError.UpstreamTimeout t -> "timeout";
            case GatewayError.UpstreamUnavailable u -> "unreachable";
            case GatewayError.CircuitOpen c -> "circuit_open";
            case GatewayError.GatewayCapacity c -> "gateway_capacity";
            case GatewayError.Overloaded o -> "overloaded";
            case GatewayError.ModelUnavailable m -> "model_unavailable";
            default -> "error";
        };
    }
}
