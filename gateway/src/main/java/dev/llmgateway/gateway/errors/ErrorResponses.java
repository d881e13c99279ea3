package dev.llmgateway.gateway.errors;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.errors.GatewayError.AllDeploymentsFailed;
import dev.llmgateway.gateway.errors.GatewayError.BadRequest;
import dev.llmgateway.gateway.errors.GatewayError.BudgetExceeded;
import dev.llmgateway.gateway.errors.GatewayError.CircuitOpen;
import dev.llmgateway.gateway.errors.GatewayError.ContextLengthExceeded;
import dev.llmgateway.gateway.errors.GatewayError.Forbidden;
import dev.llmgateway.gateway.errors.GatewayError.Internal;
import dev.llmgateway.gateway.errors.GatewayError.ModelNotFound;
import dev.llmgateway.gateway.errors.GatewayError.NotFound;
import dev.llmgateway.gateway.errors.GatewayError.Overloaded;
import dev.llmgateway.gateway.errors.GatewayError.PayloadTooLarge;
import dev.llmgateway.gateway.errors.GatewayError.RateLimited;
import dev.llmgateway.gateway.errors.GatewayError.Unauthorized;
import dev.llmgateway.gateway.errors.GatewayError.UpstreamFailed;
import dev.llmgateway.gateway.errors.GatewayError.UpstreamTimeout;
import dev.llmgateway.gateway.errors.GatewayError.UpstreamUnavailable;
import java.time.Duration;
import java.util.Optional;

/** The one mapping from {@link GatewayError} to HTTP status and OpenAI-style error body. */
public final class ErrorResponses {
    private ErrorResponses() {}

    /** Status, OpenAI error type, machine-readable code, optional offending parameter, optional Retry-After. */
    public record Shape(int status, String type, String code, Optional<String> param, Optional<Duration> retryAfter) {}

    public static Shape shape(GatewayError e) {
        return switch (e) {
            case BadRequest b -> new Shape(400, "invalid_request_error", b.code(), b.param(), Optional.empty());
            case PayloadTooLarge p -> new Shape(413, "invalid_request_error", "request_too_large", Optional.empty(), Optional.empty());
            case Unauthorized u -> new Shape(401, "authentication_error", u.code(), Optional.empty(), Optional.empty());
            case Forbidden f -> new Shape(403, "permission_error", "model_not_allowed", Optional.of("model"), Optional.empty());
            case ModelNotFound m -> new Shape(404, "invalid_request_error", "model_not_found", Optional.of("model"), Optional.empty());
            case NotFound n -> new Shape(404, "invalid_request_error", "not_found", Optional.empty(), Optional.empty());
            case RateLimited r -> new Shape(429, "rate_limit_error", "rate_limit_exceeded", Optional.empty(), Optional.of(r.retryAfter()));
            case BudgetExceeded b -> new Shape(429, "insufficient_quota", "budget_exceeded", Optional.empty(), Optional.of(b.retryAfter()));
            case Overloaded o -> new Shape(429, "rate_limit_error", "overloaded", Optional.empty(), Optional.of(o.retryAfter()));
            case ContextLengthExceeded c -> new Shape(400, "invalid_request_error", "context_length_exceeded", Optional.of("messages"), Optional.empty());
            case UpstreamFailed u -> upstream(u);
            case UpstreamUnavailable u -> new Shape(502, "api_error", "upstream_unavailable", Optional.empty(), Optional.empty());
            case GatewayError.ModelUnavailable m -> new Shape(503, "api_error", "model_unavailable", Optional.empty(), Optional.of(Duration.ofSeconds(30)));
            case UpstreamTimeout t -> new Shape(504, "api_error", "upstream_timeout", Optional.empty(), Optional.empty());
            case GatewayError.GatewayCapacity g -> new Shape(503, "api_error", "gateway_capacity", Optional.empty(), Optional.of(g.retryAfter()));
            case CircuitOpen c -> new Shape(503, "api_error", "deployment_unavailable", Optional.empty(), Optional.of(Duration.ofSeconds(5)));
            case AllDeploymentsFailed a -> {
                Shape last = shape(a.last());
                yield new Shape(last.status(), last.type(), "all_deployments_failed", last.param(), last.retryAfter());
            }
            case GatewayError.ServiceUnavailable s -> new Shape(503, "api_error", "service_unavailable", Optional.empty(), Optional.of(Duration.ofSeconds(5)));
            case GatewayError.MeteringUnavailable m -> new Shape(503, "api_error", "metering_unavailable", Optional.empty(), Optional.of(Duration.ofSeconds(5)));
            case Internal i -> new Shape(500, "api_error", "internal_error", Optional.empty(), Optional.empty());
        };
    }

    private static Shape upstream(UpstreamFailed u) {
        int s = u.status();
        if (s == 429) return new Shape(429, "rate_limit_error", "upstream_rate_limited", Optional.empty(), u.retryAfter());
        if (s == 400 || s == 404 || s == 409 || s == 413 || s == 422) {
            return new Shape(400, "invalid_request_error", "upstream_rejected_request", Optional.empty(), Optional.empty());
        }
        if (s == 401 || s == 403) {
            // The gateway's own provider credential was refused: that is our failure, not the client's.
            return new Shape(502, "api_error", "upstream_auth_failed", Optional.empty(), Optional.empty());
        }
        if (s == 408 || s == 504) return new Shape(504, "api_error", "upstream_timeout", Optional.empty(), Optional.empty());
        if (s == 503) return new Shape(503, "api_error", "upstream_unavailable", Optional.empty(), u.retryAfter());
        return new Shape(502, "api_error", "upstream_error", Optional.empty(), Optional.empty());
    }

    /** {@code {"error":{"message","type","code","param"}}}. */
    public static ObjectNode body(GatewayError e) {
        Shape s = shape(e);
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.message());
        err.put("type", s.type());
        err.put("code", s.code());
        if (s.param().isPresent()) err.put("param", s.param().get());
        else err.putNull("param");
        return root;
    }
}
