package dev.llmgateway.routing;

import dev.llmgateway.routing.internal.Fmt;
import dev.llmgateway.routing.internal.StableHash;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides which deployment answers a request, and why. Built once from a validated {@link Catalog};
 * {@link #decide} is a pure function of its arguments, with one exception: complexity routes with a target
 * strong share feed each score to their {@link ComplexityCalibrator}, whose window moves the threshold.
 *
 * <p>Order of a decision: unknown route -> {@link Decision.NoRoute}; budget downgrade when the team's used
 * budget fraction reaches the route's threshold; otherwise the route's policy. If the chosen deployment
 * cannot serve the request (context window, capabilities) or its circuit is open, the first that can, with a
 * closed circuit, among the policy's alternate (the other side of a migration or complexity split) and the
 * route fallbacks becomes primary and the reason says so. Fallbacks in the decision are the alternate and
 * route fallbacks that can serve the request, without the primary, those with an open circuit last. When
 * every candidate's circuit is open the first that can serve is still chosen (a half-open breaker may let it
 * through); when none can serve, the result is {@link Decision.NoRoute}.
 */
public final class Router {

    private static final long PICOS_PER_MICRO = TokenPrices.PICOS_PER_MICRO;
    private static final int PERCENT_BUCKETS = 10_000;

    private final Map<String, Deployment> deployments;
    private final Map<String, CompiledRoute> routes;

    private Router(Catalog catalog, int calibrationWindow, int calibrationMinSamples) {
        Map<String, Deployment> byName = new HashMap<>();
        for (Deployment d : catalog.deployments()) {
            byName.put(d.name(), d);
        }
        this.deployments = Map.copyOf(byName);
        Map<String, CompiledRoute> compiled = new HashMap<>();
        for (Route r : catalog.routes()) {
            compiled.put(r.name(), compile(r, calibrationWindow, calibrationMinSamples));
        }
        this.routes = Map.copyOf(compiled);
    }

    /** A router with complexity calibration over the last 10,000 scores, active after 500. */
    public static Router of(Catalog catalog) {
        return new Router(catalog, 10_000, 500);
    }

    /** A router with the given complexity calibration window and warm-up. */
    public static Router of(Catalog catalog, int calibrationWindow, int calibrationMinSamples) {
        return new Router(catalog, calibrationWindow, calibrationMinSamples);
    }

    /** Routes one request, with no observed output token counts. */
    public Decision decide(String route, RequestFeatures f, HealthView health, MigrationStates migrations) {
        return decide(route, f, health, migrations, OutputTokenEstimates.none());
    }

    /** Routes one request; {@code outputTokens} estimates cost_quality's output cost when max_tokens is absent. */
    public Decision decide(String route, RequestFeatures f, HealthView health, MigrationStates migrations,
                           OutputTokenEstimates outputTokens) {
        CompiledRoute r = routes.get(route);
        if (r == null) {
            return new Decision.NoRoute.UnknownRoute(route);
        }
        Choice choice = downgrade(r, f);
        if (choice == null) {
            choice = switch (r.route.policy()) {
                case Policy.Fixed p -> new Choice(r.fixed, "fixed", Optional.empty(), "fixed -> " + r.fixed.name(), null,
                        "fixed");
                case Policy.Weighted p -> weighted(r, f);
                case Policy.CostQuality p -> costQuality(r, p, f, health, outputTokens);
                case Policy.Complexity p -> complexity(r, p, f);
                case Policy.Migration p -> migration(r, p, f, migrations);
            };
        }
        return finish(r, choice, f, health);
    }

    /** The named deployment. */
    public Optional<Deployment> deployment(String name) {
        return Optional.ofNullable(deployments.get(name));
    }

    /** The named route as configured. */
    public Optional<Route> route(String name) {
        CompiledRoute r = routes.get(name);
        return r == null ? Optional.empty() : Optional.of(r.route);
    }

    /** Names of all routes. */
    public Set<String> routeNames() {
        return routes.keySet();
    }

    /** The closed baseline deployment of a route, against which savings are reported. */
    public Optional<Deployment> baseline(String route) {
        return route(route).flatMap(Route::baselineDeployment).map(deployments::get);
    }

    /** The calibrator of a complexity route with a target strong share. */
    public Optional<ComplexityCalibrator> calibrator(String route) {
        CompiledRoute r = routes.get(route);
        return r == null ? Optional.empty() : Optional.ofNullable(r.calibrator);
    }

    // ---- policies ------------------------------------------------------------------------------------------

    /** The policy's pick; {@code code} is the short reason token (the header), {@code reason} the long one. */
    private record Choice(Deployment pick, String policy, Optional<String> stage, String reason,
                          Deployment alternate, String code) {
    }

    private static Choice downgrade(CompiledRoute r, RequestFeatures f) {
        if (r.downgrade == null || f.budgetUsedFraction().isEmpty()) {
            return null;
        }
        double used = f.budgetUsedFraction().getAsDouble();
        double at = r.route.budgetDowngrade().orElseThrow().usedFractionAtLeast();
        if (!(used >= at)) {
            return null;
        }
        return new Choice(r.downgrade, "budget_downgrade", Optional.empty(), "budget_downgrade: "
                + Fmt.percent(used) + " of budget used >= " + Fmt.percent(at) + " -> " + r.downgrade.name(), null,
                r.downgradeCode);
    }

    private static Choice weighted(CompiledRoute r, RequestFeatures f) {
        long bucket = StableHash.bucket(StableHash.hash(r.route.name(), f.stickyKey()), r.weightTotal);
        int i = 0;
        while (bucket >= r.weightCumulative[i]) {
            i++;
        }
        Deployment d = r.weighted[i];
        long weight = r.weightCumulative[i] - (i == 0 ? 0 : r.weightCumulative[i - 1]);
        return new Choice(d, "weighted", Optional.empty(), "weighted: bucket " + bucket + "/" + r.weightTotal
                + " -> " + d.name() + " (weight " + weight + "/" + r.weightTotal + ")", null, "weighted:split");
    }

    /**
     * Output tokens to price for a candidate: its observed mean, else the route's {@code expectedOutputTokens}, capped
     * by the request's max_tokens; without either estimate, max_tokens (0 when the client sent none: output unknown).
     */
    static int outputTokensFor(Deployment d, Policy.CostQuality p, RequestFeatures f, OutputTokenEstimates observed) {
        OptionalLong mean = observed.meanOutputTokens(d.name());
        long expected = mean.isPresent() ? mean.getAsLong() : p.expectedOutputTokens();
        if (f.maxOutputTokens() > 0) {
            return expected > 0 ? (int) Math.min(expected, f.maxOutputTokens()) : f.maxOutputTokens();
        }
        return (int) Math.max(0, Math.min(expected, Integer.MAX_VALUE));
    }

    private static Choice costQuality(CompiledRoute r, Policy.CostQuality p, RequestFeatures f, HealthView health,
                                      OutputTokenEstimates observed) {
        long maxCostPico = p.maxCostMicrosPerRequest().isPresent()
                ? saturatedPicos(p.maxCostMicrosPerRequest().getAsLong()) : Long.MAX_VALUE;
        Deployment best = null;
        long bestCost = 0;
        double bestQuality = 0;
        int eligible = 0;
        for (Deployment d : r.candidates) {
            if (!d.canServe(f) || health.health(d.name()).circuitOpen()) {
                continue;
            }
            double q = d.quality(f.taskCategory());
            if (q < p.qualityFloor()) {
                continue;
            }
            long cost = d.prices().costPicoUsd(f.promptTokens(), 0, outputTokensFor(d, p, f, observed));
            if (cost > maxCostPico) {
                continue;
            }
            eligible++;
            if (best == null || cost < bestCost
                    || (cost == bestCost && (q > bestQuality || (q == bestQuality && d.name().compareTo(best.name()) < 0)))) {
                best = d;
                bestCost = cost;
                bestQuality = q;
            }
        }
        if (best == null) {
            return new Choice(null, "cost_quality", Optional.empty(), "cost_quality: none of "
                    + r.candidates.length + " candidates can serve with quality >= " + Fmt.two(p.qualityFloor())
                    + " for '" + f.taskCategory() + "'" + (p.maxCostMicrosPerRequest().isPresent()
                    ? " within " + p.maxCostMicrosPerRequest().getAsLong() + " micro-USD" : ""), null,
                    "cost_quality:none_eligible");
        }
        return new Choice(best, "cost_quality", Optional.empty(), "cost_quality: " + best.name()
                + " cheapest of " + eligible + "/" + r.candidates.length + " eligible (expected "
                + Fmt.two((double) bestCost / PICOS_PER_MICRO) + " micro-USD, quality " + Fmt.two(bestQuality)
                + " >= " + Fmt.two(p.qualityFloor()) + " for '" + f.taskCategory() + "')", null,
                "cost_quality:cheapest_meeting_quality");
    }

    private static long saturatedPicos(long micros) {
        return micros > Long.MAX_VALUE / PICOS_PER_MICRO ? Long.MAX_VALUE : micros * PICOS_PER_MICRO;
    }

    private static Choice complexity(CompiledRoute r, Policy.Complexity p, RequestFeatures f) {
        double difficulty = f.prompt().difficulty();
        boolean strong;
        String threshold;
        if (r.calibrator != null) {
            double tieBreak = StableHash.unitFraction(StableHash.hash(r.route.name(), "tie", requestKey(f)));
            r.calibrator.record(difficulty);
            strong = r.calibrator.routesStrong(difficulty, tieBreak, p.threshold());
            OptionalDouble calibrated = r.calibrator.threshold();
            threshold = calibrated.isPresent()
                    ? Fmt.two(calibrated.getAsDouble()) + " (calibrated to " + Fmt.percent(r.calibrator.targetStrongShare())
                    + " strong)"
                    : Fmt.two(p.threshold()) + " (calibration warming up)";
        } else {
            strong = difficulty > p.threshold();
            threshold = Fmt.two(p.threshold());
        }
        Deployment pick = strong ? r.strong : r.weak;
        return new Choice(pick, "complexity", Optional.empty(), "complexity: difficulty " + Fmt.two(difficulty)
                + (strong ? " above " : " at or below ") + threshold + " -> " + pick.name(),
                strong ? r.weak : r.strong, strong ? "complexity:strong" : "complexity:weak");
    }

    private static Choice migration(CompiledRoute r, Policy.Migration p, RequestFeatures f, MigrationStates states) {
        MigrationState state = states.find(r.route.name()).orElse(null);
        MigrationStatus status = state == null ? MigrationStatus.ACTIVE : state.status();
        int stageIndex = state == null ? 0 : Math.min(state.stageIndex(), p.lastStage());
        int percent = state == null ? p.stagesPercent().getFirst() : state.openPercent(p);
        String stage = switch (status) {
            case ACTIVE -> r.stageLabels[stageIndex];
            case PAUSED -> r.stageLabels[stageIndex] + " paused";
            case PINNED -> r.stageLabels[stageIndex] + " pinned";
            case ROLLED_BACK -> "rolled back (0%)";
            case COMPLETED -> "completed (100%)";
        };
        long bucket = StableHash.bucket(StableHash.hash(r.route.name(), f.stickyKey()), PERCENT_BUCKETS);
        boolean toOpen = bucket < percent * (long) (PERCENT_BUCKETS / 100);
        Deployment pick = toOpen ? r.migrateTo : r.migrateFrom;
        return new Choice(pick, "migration", Optional.of(stage), "migration: bucket " + bucket
                + (toOpen ? " < " : " >= ") + percent * (PERCENT_BUCKETS / 100) + " -> " + pick.name() + " (stage "
                + stage + ")", toOpen ? r.migrateFrom : r.migrateTo, migrationCode(status, toOpen));
    }

    private static String migrationCode(MigrationStatus status, boolean toOpen) {
        if (status == MigrationStatus.COMPLETED) {
            return "migration:completed";
        }
        if (status == MigrationStatus.ROLLED_BACK) {
            return "migration:rolled_back";
        }
        return toOpen ? "migration:canary" : "migration:baseline";
    }

    private static String requestKey(RequestFeatures f) {
        return f.requestId().isEmpty() ? f.stickyKey() : f.requestId();
    }

    // ---- health, fallbacks, shadow -------------------------------------------------------------------------

    private static Decision finish(CompiledRoute r, Choice c, RequestFeatures f, HealthView health) {
        Deployment pick = c.pick();
        Deployment alternate = c.alternate();
        Deployment primary = null;
        String reason = c.reason();
        String code = c.code();
        if (pick != null && pick.canServe(f) && !health.health(pick.name()).circuitOpen()) {
            primary = pick;
        } else {
            code = pick == null ? "fallback:no_eligible_candidate" : "fallback:" + unavailableCode(pick, f, health);
            primary = firstUsable(alternate, r.fallbacks, f, health, true);
            if (primary == null) {
                primary = pick != null && pick.canServe(f) ? pick : firstUsable(alternate, r.fallbacks, f, health, false);
                if (primary != null) {
                    reason += "; all circuits open, trying " + primary.name();
                    code = primary == pick ? c.code() : "fallback:all_circuits_open";
                }
            } else if (pick != null) {
                reason += "; " + pick.name() + " " + unavailable(pick, f, health) + " -> " + primary.name();
            } else {
                reason += "; fallback -> " + primary.name();
            }
            if (primary == null) {
                long needed = f.promptTokens() + (long) f.maxOutputTokens();
                reason += "; no deployment of route '" + r.route.name() + "' can serve " + needed + " tokens"
                        + (f.required().isEmpty() ? "" : " with " + f.required());
                return needed > r.largestContextWindow
                        ? new Decision.NoRoute.ExceedsContext(r.route.name(), needed, r.largestContextWindow, reason)
                        : new Decision.NoRoute.NoneCanServe(r.route.name(), reason);
            }
        }
        List<Deployment> fallbacks = fallbacks(primary, pick, alternate, r.fallbacks, f, health);
        Optional<Deployment> shadow = Optional.empty();
        if (r.shadow != null && r.shadow != primary && r.shadow.canServe(f)
                && !health.health(r.shadow.name()).circuitOpen()
                && StableHash.unitFraction(StableHash.hash(r.route.name(), "shadow", requestKey(f))) < r.shadowSample) {
            shadow = Optional.of(r.shadow);
        }
        return new Decision.Routed(primary, fallbacks, shadow, c.policy(), c.stage(), reason, code);
    }

    private static Deployment firstUsable(Deployment alternate, Deployment[] fallbacks, RequestFeatures f,
                                          HealthView health, boolean closedCircuitOnly) {
        if (alternate != null && usable(alternate, f, health, closedCircuitOnly)) {
            return alternate;
        }
        for (Deployment d : fallbacks) {
            if (usable(d, f, health, closedCircuitOnly)) {
                return d;
            }
        }
        return null;
    }

    private static boolean usable(Deployment d, RequestFeatures f, HealthView health, boolean closedCircuitOnly) {
        return d.canServe(f) && (!closedCircuitOnly || !health.health(d.name()).circuitOpen());
    }

    private static String unavailable(Deployment d, RequestFeatures f, HealthView health) {
        long needed = f.promptTokens() + (long) f.maxOutputTokens();
        if (needed > d.contextWindow()) {
            return "context window " + d.contextWindow() + " < " + needed + " tokens";
        }
        if (!d.capabilities().containsAll(f.required())) {
            return "lacks a required capability";
        }
        return health.health(d.name()).circuitOpen() ? "circuit open" : "unavailable";
    }

    /** The token for why the policy's pick was passed over: {@code context_window}, {@code capability} or {@code circuit_open}. */
    private static String unavailableCode(Deployment d, RequestFeatures f, HealthView health) {
        if (f.promptTokens() + (long) f.maxOutputTokens() > d.contextWindow()) {
            return "context_window";
        }
        if (!d.capabilities().containsAll(f.required())) {
            return "capability";
        }
        return health.health(d.name()).circuitOpen() ? "circuit_open" : "unavailable";
    }

    private static List<Deployment> fallbacks(Deployment primary, Deployment pick, Deployment alternate,
                                              Deployment[] routeFallbacks, RequestFeatures f, HealthView health) {
        if (routeFallbacks.length == 0 && alternate == null && (pick == null || pick == primary)) {
            return List.of();
        }
        List<Deployment> healthy = new ArrayList<>(routeFallbacks.length + 2);
        List<Deployment> open = null;
        Deployment[] order = new Deployment[routeFallbacks.length + 2];
        order[0] = pick;
        order[1] = alternate;
        System.arraycopy(routeFallbacks, 0, order, 2, routeFallbacks.length);
        for (Deployment d : order) {
            if (d == null || d == primary || healthy.contains(d) || (open != null && open.contains(d))
                    || !d.canServe(f)) {
                continue;
            }
            if (health.health(d.name()).circuitOpen()) {
                if (open == null) {
                    open = new ArrayList<>(2);
                }
                open.add(d);
            } else {
                healthy.add(d);
            }
        }
        if (open != null) {
            healthy.addAll(open);
        }
        return Collections.unmodifiableList(healthy);
    }

    // ---- compilation ---------------------------------------------------------------------------------------

    private static final class CompiledRoute {
        final Route route;
        Deployment[] fallbacks;
        Deployment shadow;
        double shadowSample;
        Deployment downgrade;
        String downgradeCode;
        int largestContextWindow;
        Deployment fixed;
        Deployment[] weighted;
        long[] weightCumulative;
        long weightTotal;
        Deployment[] candidates;
        Deployment strong;
        Deployment weak;
        ComplexityCalibrator calibrator;
        Deployment migrateFrom;
        Deployment migrateTo;
        String[] stageLabels;

        CompiledRoute(Route route) {
            this.route = route;
        }
    }

    private CompiledRoute compile(Route route, int calibrationWindow, int calibrationMinSamples) {
        CompiledRoute r = new CompiledRoute(route);
        r.fallbacks = route.fallbacks().stream().map(deployments::get).toArray(Deployment[]::new);
        route.shadow().ifPresent(s -> {
            r.shadow = deployments.get(s.deployment());
            r.shadowSample = s.sample();
        });
        route.budgetDowngrade().ifPresent(b -> {
            r.downgrade = deployments.get(b.deployment());
            r.downgradeCode = "budget_downgrade:over_" + Fmt.percent(b.usedFractionAtLeast()).replace("%", "pct");
        });
        r.largestContextWindow = route.servingDeployments().stream().map(deployments::get)
                .mapToInt(Deployment::contextWindow).max().orElse(0);
        switch (route.policy()) {
            case Policy.Fixed p -> r.fixed = deployments.get(p.deployment());
            case Policy.Weighted p -> {
                // Sorted by name so the bucket layout does not depend on map iteration order.
                List<Map.Entry<String, Integer>> positive = new TreeMap<>(p.weights()).entrySet().stream()
                        .filter(e -> e.getValue() > 0).toList();
                r.weighted = new Deployment[positive.size()];
                r.weightCumulative = new long[positive.size()];
                long total = 0;
                for (int i = 0; i < positive.size(); i++) {
                    r.weighted[i] = deployments.get(positive.get(i).getKey());
                    total += positive.get(i).getValue();
                    r.weightCumulative[i] = total;
                }
                r.weightTotal = total;
            }
            case Policy.CostQuality p -> r.candidates = p.candidates().stream().map(deployments::get)
                    .toArray(Deployment[]::new);
            case Policy.Complexity p -> {
                r.strong = deployments.get(p.strong());
                r.weak = deployments.get(p.weak());
                if (p.targetStrongShare().isPresent()) {
                    r.calibrator = new ComplexityCalibrator(p.targetStrongShare().getAsDouble(), calibrationWindow,
                            Math.min(calibrationMinSamples, calibrationWindow));
                }
            }
            case Policy.Migration p -> {
                r.migrateFrom = deployments.get(p.from());
                r.migrateTo = deployments.get(p.to());
                int n = p.stagesPercent().size();
                r.stageLabels = new String[n];
                for (int i = 0; i < n; i++) {
                    r.stageLabels[i] = (i + 1) + "/" + n + " (" + p.stagesPercent().get(i) + "%)";
                }
            }
        }
        return r;
    }
}
