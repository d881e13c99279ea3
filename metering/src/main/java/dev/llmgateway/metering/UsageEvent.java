package dev.llmgateway.metering;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One request's usage, stored once per {@code requestId}. Money is exact micro-USD ({@link MicroUsd}, fractions
 * included, never rounded per request): {@code providerCostMicros} is what the provider charges us,
 * {@code teamChargeMicros} what the team is charged, {@code baselineCostMicros} what the same tokens would have cost on
 * the route's closed baseline deployment (null: no priced baseline, which is not the same as no saving).
 * {@code tokenSource} says how the token counts were obtained. Nullable: keyId, endUser, policy, stage,
 * provider, upstreamModel, baselineCostMicros, ttftMs, errorCode, licenseId, attempts. {@code attempts} is the dispatch
 * trail as the x-gateway-attempts header has it ({@code deployment:outcome,...}), null when no upstream was tried.
 * {@code time} is kept to the microsecond (PostgreSQL's precision) so the journal and the database hold the same value.
 * {@code cacheHit}: the answer came from the gateway's response cache (its provider cost is 0); {@code cacheSavedMicros}
 * is then what the provider would have charged for it (0 otherwise).
 */
public record UsageEvent(String requestId, Instant time, String teamId, String keyId, String endUser, String route,
                         String policy, String stage, String deployment, String provider, String upstreamModel,
                         DeploymentClass deploymentClass, long promptTokens, long completionTokens, long cachedTokens,
                         TokenSource tokenSource, MicroUsd providerCostMicros, MicroUsd teamChargeMicros,
                         MicroUsd baselineCostMicros, int latencyMs, Integer ttftMs, int httpStatus, String errorCode,
                         boolean streamed, boolean shadow, String licenseId, String attempts, boolean cacheHit,
                         MicroUsd cacheSavedMicros) {
    /** Longest accepted request id. */
    public static final int REQUEST_ID_MAX_CHARS = 200;

    public UsageEvent {
        if (requestId == null || requestId.isEmpty() || requestId.length() > REQUEST_ID_MAX_CHARS) {
            throw new IllegalArgumentException("request id must have 1.." + REQUEST_ID_MAX_CHARS + " characters");
        }
        time = Objects.requireNonNull(time, "time").truncatedTo(ChronoUnit.MICROS);
        Objects.requireNonNull(teamId, "teamId");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(deployment, "deployment");
        Objects.requireNonNull(deploymentClass, "deploymentClass");
        if (!new TokenCounts(promptTokens, completionTokens, cachedTokens).valid()) {
            throw new IllegalArgumentException(requestId + ": invalid token counts " + promptTokens + "/"
                    + completionTokens + "/" + cachedTokens);
        }
        Objects.requireNonNull(tokenSource, "tokenSource");
        Objects.requireNonNull(providerCostMicros, "providerCostMicros");
        Objects.requireNonNull(teamChargeMicros, "teamChargeMicros");
        if (cacheSavedMicros == null) cacheSavedMicros = MicroUsd.ZERO;
        if (!cacheHit && cacheSavedMicros.signum() != 0) throw new IllegalArgumentException(requestId + ": a cache saving without a cache hit");
        if (providerCostMicros.signum() < 0 || teamChargeMicros.signum() < 0 || cacheSavedMicros.signum() < 0
                || (baselineCostMicros != null && baselineCostMicros.signum() < 0)) {
            throw new IllegalArgumentException(requestId + ": negative money amount");
        }
    }

    /** Without a dispatch trail and not from the response cache (events recorded before either was kept, and callers that have neither). */
    public UsageEvent(String requestId, Instant time, String teamId, String keyId, String endUser, String route,
                      String policy, String stage, String deployment, String provider, String upstreamModel,
                      DeploymentClass deploymentClass, long promptTokens, long completionTokens, long cachedTokens,
                      TokenSource tokenSource, MicroUsd providerCostMicros, MicroUsd teamChargeMicros,
                      MicroUsd baselineCostMicros, int latencyMs, Integer ttftMs, int httpStatus, String errorCode,
                      boolean streamed, boolean shadow, String licenseId) {
        this(requestId, time, teamId, keyId, endUser, route, policy, stage, deployment, provider, upstreamModel, deploymentClass,
                promptTokens, completionTokens, cachedTokens, tokenSource, providerCostMicros, teamChargeMicros, baselineCostMicros,
                latencyMs, ttftMs, httpStatus, errorCode, streamed, shadow, licenseId, null, false, MicroUsd.ZERO);
    }

    public TokenCounts tokens() { return new TokenCounts(promptTokens, completionTokens, cachedTokens); }

    public static Builder builder(String requestId, Instant time) { return new Builder(requestId, time); }

    /** Builds an event field by field; unset text fields are null, numbers 0, flags false, class CLOSED. */
    public static final class Builder {
        private final String requestId;
        private final Instant time;
        private String teamId, keyId, endUser, route, policy, stage, deployment, provider, upstreamModel, errorCode, licenseId, attempts;
        private DeploymentClass deploymentClass = DeploymentClass.CLOSED;
        private long promptTokens, completionTokens, cachedTokens;
        private TokenSource tokenSource = TokenSource.PROVIDER;
        private MicroUsd providerCostMicros = MicroUsd.ZERO, teamChargeMicros = MicroUsd.ZERO, baselineCostMicros = MicroUsd.ZERO;
        private int latencyMs, httpStatus = 200;
        private Integer ttftMs;
        private boolean streamed, shadow, cacheHit;
        private MicroUsd cacheSavedMicros = MicroUsd.ZERO;

        private Builder(String requestId, Instant time) {
            this.requestId = requestId;
            this.time = time;
        }

        public Builder team(String teamId, String keyId) { this.teamId = teamId; this.keyId = keyId; return this; }
        public Builder endUser(String v) { endUser = v; return this; }
        public Builder route(String route, String policy, String stage) { this.route = route; this.policy = policy; this.stage = stage; return this; }
        public Builder deployment(String deployment, String provider, String upstreamModel, DeploymentClass deploymentClass) {
            this.deployment = deployment; this.provider = provider; this.upstreamModel = upstreamModel;
            this.deploymentClass = deploymentClass; return this;
        }
        public Builder tokens(long prompt, long completion, long cached) {
            promptTokens = prompt; completionTokens = completion; cachedTokens = cached; return this;
        }
        public Builder tokenSource(TokenSource v) { tokenSource = v; return this; }
        /** Whole micro-USD amounts. */
        public Builder money(long providerCostMicros, long teamChargeMicros, long baselineCostMicros) {
            return money(MicroUsd.ofMicros(providerCostMicros), MicroUsd.ofMicros(teamChargeMicros),
                    MicroUsd.ofMicros(baselineCostMicros));
        }
        /** Exact amounts; {@code baselineCostMicros} null when no baseline could be priced. */
        public Builder money(MicroUsd providerCostMicros, MicroUsd teamChargeMicros, MicroUsd baselineCostMicros) {
            this.providerCostMicros = providerCostMicros; this.teamChargeMicros = teamChargeMicros;
            this.baselineCostMicros = baselineCostMicros; return this;
        }
        public Builder timing(int latencyMs, Integer ttftMs) { this.latencyMs = latencyMs; this.ttftMs = ttftMs; return this; }
        public Builder outcome(int httpStatus, String errorCode) { this.httpStatus = httpStatus; this.errorCode = errorCode; return this; }
        public Builder streamed(boolean v) { streamed = v; return this; }
        public Builder shadow(boolean v) { shadow = v; return this; }
        public Builder licenseId(String v) { licenseId = v; return this; }
        public Builder attempts(String v) { attempts = v; return this; }
        /** Marks an answer served from the response cache; {@code savedMicros}: the provider cost it avoided. */
        public Builder cacheHit(MicroUsd savedMicros) { cacheHit = true; cacheSavedMicros = savedMicros; return this; }

        public UsageEvent build() {
            return new UsageEvent(requestId, time, teamId, keyId, endUser, route, policy, stage, deployment, provider,
                    upstreamModel, deploymentClass, promptTokens, completionTokens, cachedTokens, tokenSource, providerCostMicros,
                    teamChargeMicros, baselineCostMicros, latencyMs, ttftMs, httpStatus, errorCode, streamed, shadow, licenseId,
                    attempts, cacheHit, cacheSavedMicros);
        }
    }
}
