package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.auth.Authenticator;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.metering.GatewayMetrics;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.gateway.migration.Migrations;
import dev.llmgateway.gateway.pipeline.AdmitStage;
import dev.llmgateway.gateway.pipeline.AuthenticateStage;
import dev.llmgateway.gateway.pipeline.CaptureStage;
import dev.llmgateway.gateway.pipeline.DispatchStage;
import dev.llmgateway.gateway.pipeline.MeterStage;
import dev.llmgateway.gateway.pipeline.ParseStage;
import dev.llmgateway.gateway.pipeline.Pipeline;
import dev.llmgateway.gateway.pipeline.RespondStage;
import dev.llmgateway.gateway.pipeline.RouteStage;
import dev.llmgateway.gateway.pipeline.ShadowJudge;
import dev.llmgateway.gateway.pipeline.ShadowStage;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.metering.BudgetGuard;
import dev.llmgateway.metering.DatasetStore;
import dev.llmgateway.metering.JudgeSpendStore;
import dev.llmgateway.metering.RateLimiter;
import dev.llmgateway.metering.ShadowStore;
import dev.llmgateway.routing.DeploymentHealth;
import dev.llmgateway.routing.HealthView;
import dev.llmgateway.routing.Router;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import dev.llmgateway.gateway.cache.ResponseCache;
import dev.llmgateway.gateway.pipeline.CacheStage;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.OptionalInt;

/**
 * Builds the request pipeline of one {@link RuntimeSnapshot}: the process-lifetime services (stores, metering, the
 * authenticator) are fields; the configuration-derived parts (config, router, backends, breakers) are the arguments,
 * so each stage holds exactly the generation it was built for and no stage can see a later reload.
 */
final class PipelineAssembly {
    private final Vertx vertx;
    private final Blocking blocking;
    private final Authenticator authenticator;
    private final BudgetGuard budgets;
    private final RateLimiter rateLimiter;
    private final Metering metering;
    private final GatewayMetrics metrics;
    private final ShadowStore shadows;
    private final JudgeSpendStore judgeSpend;
    private final DatasetStore datasets;
    private final Migrations migrations;
    private final RoutingCalibration calibration;
    private final ResponseCache responseCache;

    PipelineAssembly(Vertx vertx, Blocking blocking, Authenticator authenticator, BudgetGuard budgets, RateLimiter rateLimiter,
                     Metering metering, GatewayMetrics metrics, ShadowStore shadows, JudgeSpendStore judgeSpend,
                     DatasetStore datasets, Migrations migrations, RoutingCalibration calibration,
                     ResponseCache responseCache) {
        this.vertx = vertx;
        this.blocking = blocking;
        this.authenticator = authenticator;
        this.budgets = budgets;
        this.rateLimiter = rateLimiter;
        this.metering = metering;
        this.metrics = metrics;
        this.shadows = shadows;
        this.judgeSpend = judgeSpend;
        this.datasets = datasets;
        this.migrations = migrations;
        this.calibration = calibration;
        this.responseCache = responseCache;
    }

    /**
     * The request pipeline, in order; each stage is one class with one job. Money: Admit reserves the worst case and
     * settles to the usage record that comes back in the outcome; Meter writes that record (durable before Respond may
     * write the last byte) and returns it up; the {@link Pipeline} refuses an order that breaks this.
     */
    Pipeline build(GatewayConfig config, Router router, Backends backends, CircuitBreakers breakers) {
        HealthView health = deployment -> breakers.state(deployment) == CircuitBreakerState.OPEN
                ? DeploymentHealth.circuitOpened() : DeploymentHealth.HEALTHY;
        return new Pipeline(List.of(
                new AuthenticateStage(authenticator),
                new ParseStage(),
                new RouteStage(() -> config, () -> router, health, migrations::states, this::budgetUsedBasisPoints,
                        calibration::outputTokens),
                new AdmitStage(budgets, rateLimiter, metering, blocking::call, blocking),
                new ShadowStage(backends, metering, shadows, blocking, 16,
                        new ShadowJudge(backends, metering, config.judges(), config.deployments()::get, judgeSpend, blocking)),
                new CaptureStage(config.datasets(), datasets, blocking),
                new MeterStage(metering, metrics),
                new RespondStage(),
                new CacheStage(responseCache, () -> config),
                new DispatchStage(vertx, backends, breakers)));
    }

    /** The share of a team's budget used, in basis points, for budget-aware routing: the guard's cached view (never blocks). */
    private OptionalInt budgetUsedBasisPoints(String team) {
        return budgets.routingUsedBasisPoints(team);
    }
}
