package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.routing.Capability;
import dev.llmgateway.routing.Decision;
import dev.llmgateway.routing.HealthView;
import dev.llmgateway.routing.MigrationStates;
import dev.llmgateway.routing.PromptFeatures;
import dev.llmgateway.routing.RequestFeatures;
import dev.llmgateway.routing.Router;
import io.vertx.core.Future;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Asks the routing library which deployment answers (and which fall back, and which shadows), from cheap request
 * features, live deployment health, migration state and the team's used budget share (a cached view, never a
 * database read here); checks that the key may use the route and says why in {@code x-gateway-route-reason}.
 */
public final class RouteStage implements Stage {
    /** Header a client may set to name the task category used by cost-quality routing. */
    public static final String TASK_HEADER = "x-gateway-task";
    /** Response header with the decision's short reason token, e.g. {@code budget_downgrade:over_80pct}. */
    public static final String REASON_HEADER = "x-gateway-route-reason";

    private final Supplier<GatewayConfig> config;
    private final Supplier<Router> router;
    private final HealthView health;
    private final Supplier<MigrationStates> migrations;
    private final java.util.function.Function<String, java.util.OptionalInt> budgetUsedBasisPoints;
    private final Supplier<dev.llmgateway.routing.OutputTokenEstimates> outputTokens;

    /** {@code budgetUsedBasisPoints}: the team-wide budget's used share from a cached view; it must not block. */
    public RouteStage(Supplier<GatewayConfig> config, Supplier<Router> router, HealthView health, Supplier<MigrationStates> migrations,
                      java.util.function.Function<String, java.util.OptionalInt> budgetUsedBasisPoints) {
        this(config, router, health, migrations, budgetUsedBasisPoints, dev.llmgateway.routing.OutputTokenEstimates::none);
    }

    /** {@code outputTokens}: observed mean output tokens per deployment (a snapshot refreshed in the background). */
    public RouteStage(Supplier<GatewayConfig> config, Supplier<Router> router, HealthView health, Supplier<MigrationStates> migrations,
                      java.util.function.Function<String, java.util.OptionalInt> budgetUsedBasisPoints,
                      Supplier<dev.llmgateway.routing.OutputTokenEstimates> outputTokens) {
        this.outputTokens = outputTokens;
        this.config = config;
        this.router = router;
        this.health = health;
        this.migrations = migrations;
        this.budgetUsedBasisPoints = budgetUsedBasisPoints;
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        GatewayConfig cfg = config.get();
        var route = cfg.routes().get(x.model());
        if (route != null && route.budgetDowngrade().isPresent() && x.budgetUsedFraction().isEmpty()) {
            // Only routes with a budget downgrade need the team's used share; the view answers from memory.
            var bp = budgetUsedBasisPoints.apply(x.team().id());
            x.budgetUsed(bp.isPresent() ? OptionalDouble.of(bp.getAsInt() / 10_000.0) : OptionalDouble.of(0));
        }
        return route(x, next);
    }

    private Future<Outcome> route(Exchange x, Chain next) {
        GatewayConfig cfg = config.get();
        String model = x.model();
        if (!cfg.routes().containsKey(model)) return fail(new GatewayError.ModelNotFound(model));
        if (x.key().allowedRoutes().isPresent() && !x.key().allowedRoutes().get().contains(model)) {
            return fail(new GatewayError.Forbidden("This API key may not use the model '" + model + "'."));
        }
        RequestFeatures features = features(x);
        Decision decision = router.get().decide(model, features, health, migrations.get(), outputTokens.get());
        return switch (decision) {
            case Decision.NoRoute.UnknownRoute u -> fail(new GatewayError.ModelNotFound(model));
            case Decision.NoRoute.ExceedsContext e -> fail(new GatewayError.ContextLengthExceeded("This request needs about "
                    + e.neededTokens() + " tokens (prompt + max_tokens) but the largest context window of '" + model + "' is "
                    + e.largestContextWindow() + " tokens."));
            case Decision.NoRoute.NoneCanServe n -> fail(new GatewayError.BadRequest("No deployment of '" + model
                    + "' can serve this request: " + n.reason(), "no_deployment_available", java.util.Optional.of("model")));
            case Decision.Routed r -> {
                x.routed(new RoutePlan(model, r.policy(), r.stage(), r.reason(), deployment(cfg, r.primary()),
                        r.fallbacks().stream().map(d -> deployment(cfg, d)).toList(), r.shadow().map(d -> deployment(cfg, d))));
                x.responseHeaders().put(REASON_HEADER, r.reasonCode());
                yield next.proceed(x);
            }
        };
    }

    private static GatewayConfig.Deployment deployment(GatewayConfig cfg, dev.llmgateway.routing.Deployment d) {
        return cfg.deployments().get(d.name());
    }

    static RequestFeatures features(Exchange x) {
        String sticky = x.chat() != null && !x.chat().user().isEmpty() ? "user:" + x.chat().user() : "key:" + x.key().id();
        List<String> texts;
        int maxOutput = 0;
        Set<Capability> required = EnumSet.noneOf(Capability.class);
        if (x.chat() != null) {
            ChatRequest chat = x.chat();
            texts = chat.messageTexts();
            maxOutput = chat.maxTokens().orElse(0);
            if (chat.usesTools()) required.add(Capability.TOOLS);
            if (chat.wantsJson()) required.add(Capability.JSON_MODE);
            if (hasImages(chat)) required.add(Capability.VISION);
        } else {
            JsonNode input = x.json().path("input");
            texts = input.isArray() ? java.util.stream.StreamSupport.stream(input.spliterator(), false).map(JsonNode::asText).toList()
                    : List.of(input.asText());
        }
        int chars = 0;
        for (String t : texts) chars += t.length();
        return new RequestFeatures(sticky, dev.llmgateway.gateway.providers.Usage.estimateTokens(chars), maxOutput, required,
                x.hints().getOrDefault(TASK_HEADER, "general"), PromptFeatures.extract(texts), x.budgetUsedFraction(),
                x.requestId());
    }

    private static boolean hasImages(ChatRequest chat) {
        for (JsonNode m : chat.messages()) {
            for (JsonNode part : m.path("content")) {
                if ("image_url".equals(part.path("type").asText())) return true;
            }
        }
        return false;
    }

    private static Future<Outcome> fail(GatewayError e) { return Future.failedFuture(new GatewayError.Failure(e)); }
}
