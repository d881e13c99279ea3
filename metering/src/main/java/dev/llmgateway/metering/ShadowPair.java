package dev.llmgateway.metering;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One request answered by its primary deployment and, in the background, by a shadow deployment. Keyed by the
 * primary's request id. When the shadow failed, {@code shadowOutput} and {@code shadowLatencyMs} may be null and
 * {@code shadowError} says why.
 */
public record ShadowPair(String requestId, String route, String primaryDeployment, String shadowDeployment,
                         String primaryOutput, String shadowOutput, int primaryLatencyMs, Integer shadowLatencyMs,
                         long primaryPromptTokens, long primaryCompletionTokens, long shadowPromptTokens,
                         long shadowCompletionTokens, Status shadowStatus, String shadowError, Instant at) {

    /** How the shadow call ended. */
    public enum Status { OK, ERROR, TIMEOUT }

    public ShadowPair {
        if (requestId == null || requestId.isEmpty() || requestId.length() > UsageEvent.REQUEST_ID_MAX_CHARS) {
            throw new IllegalArgumentException("request id must have 1.." + UsageEvent.REQUEST_ID_MAX_CHARS + " characters");
        }
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(primaryDeployment, "primaryDeployment");
        Objects.requireNonNull(shadowDeployment, "shadowDeployment");
        Objects.requireNonNull(primaryOutput, "primaryOutput");
        Objects.requireNonNull(shadowStatus, "shadowStatus");
        if (shadowStatus == Status.OK && shadowOutput == null) throw new IllegalArgumentException("a shadow that answered has an output");
        if (primaryLatencyMs < 0 || (shadowLatencyMs != null && shadowLatencyMs < 0)) {
            throw new IllegalArgumentException("latencies must be >= 0");
        }
        if (primaryPromptTokens < 0 || primaryCompletionTokens < 0 || shadowPromptTokens < 0 || shadowCompletionTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0");
        }
        at = Objects.requireNonNull(at, "at").truncatedTo(ChronoUnit.MICROS);
    }
}
