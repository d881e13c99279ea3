package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.Fixed;
import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Picks the deployment (and fallbacks) for the requested model name, and checks that the key may use it. */
public final class RouteStage implements Stage {
    private final Supplier<GatewayConfig> config;

    public RouteStage(Supplier<GatewayConfig> config) { this.config = config; }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        GatewayConfig cfg = config.get();
        String model = x.model();
        GatewayConfig.Route route = cfg.routes().get(model);
        if (route == null) return Future.failedFuture(new GatewayError.Failure(new GatewayError.ModelNotFound(model)));
        if (x.key().allowedRoutes().isPresent() && !x.key().allowedRoutes().get().contains(model)) {
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.Forbidden(
                    "This API key may not use the model '" + model + "'.")));
        }
        RoutePlan plan = switch (route.policy()) {
            case Fixed f -> {
                Deployment primary = cfg.deployments().get(f.deployment());
                List<Deployment> fallbacks = route.fallbacks().stream().filter(d -> !d.equals(f.deployment()))
                        .map(cfg.deployments()::get).toList();
                yield new RoutePlan(route.name(), "fixed", Optional.empty(), "fixed: " + primary.name(), primary, fallbacks, Optional.empty());
            }
        };
        x.routed(plan);
        return next.proceed(x);
    }
}
