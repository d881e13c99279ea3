package dev.llmgateway.gateway.errors;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every way a request can fail, as one closed family. {@link ErrorResponses} maps each variant to an HTTP status and an
 * OpenAI-style body; messages are written for the client and never carry secrets or internal stack traces.
 */
public sealed interface GatewayError {
    String message();

    /** Whether trying again (another attempt or deployment) may succeed. */
    boolean retryable();

    record BadRequest(String message, String code, Optional<String> param) implements GatewayError {
        public BadRequest(String message, String param) { this(message, "invalid_request", Optional.ofNullable(param)); }
        public boolean retryable() { return false; }
    }

    record PayloadTooLarge(long limitBytes) implements GatewayError {
        public String message() { return "request body is larger than the limit of " + limitBytes + " bytes"; }
        public boolean retryable() { return false; }
    }

    /** 401; {@code code} is {@code invalid_api_key} (missing, unknown, revoked) or {@code key_expired}. */
    record Unauthorized(String message, String code) implements GatewayError {
        public static final String INVALID_API_KEY = "invalid_api_key", KEY_EXPIRED = "key_expired";

        public Unauthorized(String message) { this(message, INVALID_API_KEY); }
        public boolean retryable() { return false; }
    }

    record Forbidden(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    record ModelNotFound(String model) implements GatewayError {
        public String message() { return "The model '" + model + "' does not exist or you do not have access to it."; }
        public boolean retryable() { return false; }
    }

    record NotFound(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    record RateLimited(String message, Duration retryAfter) implements GatewayError {
        public boolean retryable() { return true; }
    }

    record BudgetExceeded(String message, Duration retryAfter) implements GatewayError {
        public boolean retryable() { return false; }
    }

    record Overloaded(String message, Duration retryAfter) implements GatewayError {
        public boolean retryable() { return true; }
    }

    record ContextLengthExceeded(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    /** The upstream answered with an error status; {@code status} is the upstream's. */
    record UpstreamFailed(String deployment, int status, String message, Optional<Duration> retryAfter) implements GatewayError {
        public boolean retryable() { return status == 408 || status == 409 || status == 429 || status >= 500; }
    }

    /** The upstream could not be reached or broke the connection. */
    record UpstreamUnavailable(String deployment, String message) implements GatewayError {
        public boolean retryable() { return true; }
    }

    /**
     * An embedded deployment's model is missing, corrupt or not downloaded (yet): the gateway runs, this deployment does
     * not. Retryable so fallbacks are tried; it never counts against the circuit breaker.
     */
    record ModelUnavailable(String deployment, String reason) implements GatewayError {
        public String message() { return "deployment '" + deployment + "' is unavailable: " + reason; }
        public boolean retryable() { return true; }
    }

    record UpstreamTimeout(String deployment, String message) implements GatewayError {
        public boolean retryable() { return true; }
    }

    /**
     * The gateway's own connection pool to the deployment's provider is full (no free connection within the pool wait,
     * or the wait queue is full). Says nothing about the upstream's health: never counts against the deployment.
     */
    record GatewayCapacity(String deployment, String message, Duration retryAfter) implements GatewayError {
        public boolean retryable() { return true; }
    }

    record CircuitOpen(String deployment) implements GatewayError {
        public String message() { return "deployment '" + deployment + "' is failing and temporarily taken out of rotation"; }
        public boolean retryable() { return true; }
    }

    /** Every deployment of the route failed; each attempt's error is kept. */
    record AllDeploymentsFailed(List<Attempt> attempts) implements GatewayError {
        public String message() {
            StringBuilder sb = new StringBuilder("all deployments failed:");
            for (Attempt a : attempts) sb.append(' ').append(a.deployment()).append(" (").append(a.error().message()).append(");");
            return sb.substring(0, sb.length() - 1);
        }
        public boolean retryable() { return false; }

        /** The last error decides the status the client sees. */
        public GatewayError last() { return attempts.get(attempts.size() - 1).error(); }
    }

    /** A dependency of the gateway itself (its database) is unavailable for this request. */
    record ServiceUnavailable(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    /** The usage journal cannot take a record (full, I/O error): no answer is served that could not be metered. */
    record MeteringUnavailable(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    record Internal(String message) implements GatewayError {
        public boolean retryable() { return false; }
    }

    /** One try of one deployment. */
    record Attempt(String deployment, GatewayError error) {}

    /** Carries a GatewayError through exception-based APIs (futures, fault-tolerance guards). */
    final class Failure extends RuntimeException {
        private final GatewayError error;

        public Failure(GatewayError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        public GatewayError error() { return error; }
    }
}
