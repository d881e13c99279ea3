package dev.llmgateway.routing.internal;

import dev.llmgateway.routing.Deployment;
import dev.llmgateway.routing.Policy;
import dev.llmgateway.routing.Route;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Checks a catalog and reports every problem with its gateway.yaml path (snake_case keys). */
public final class CatalogValidator {
    private CatalogValidator() {
    }

    public static List<String> problems(List<Deployment> deployments, List<Route> routes) {
        List<String> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < deployments.size(); i++) {
            Deployment d = deployments.get(i);
            if (d.name().isBlank()) {
                out.add("deployments[" + i + "].name: must not be blank");
                continue;
            }
            String path = "deployments." + d.name();
            if (!names.add(d.name())) {
                out.add(path + ": duplicate deployment name");
            }
            if (d.contextWindow() <= 0) {
                out.add(path + ".context_window: must be > 0");
            }
            for (Map.Entry<String, Double> q : new TreeMap<>(d.qualityByTask()).entrySet()) {
                if (!(q.getValue() >= 0 && q.getValue() <= 1)) {
                    out.add(path + ".quality." + q.getKey() + ": must be in [0,1]");
                }
            }
        }
        Set<String> routeNames = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            if (r.name().isBlank()) {
                out.add("routes[" + i + "].name: must not be blank");
                continue;
            }
            String path = "routes." + r.name();
            if (!routeNames.add(r.name())) {
                out.add(path + ": duplicate route name");
            }
            new RouteCheck(path, names, out).check(r);
        }
        return out;
    }

    private record RouteCheck(String path, Set<String> names, List<String> out) {

        void check(Route r) {
            // Every deployment name first, from the route's one list of references (paths included).
            Set<String> seenFallbacks = new HashSet<>();
            for (Route.Reference ref : r.references()) {
                known(path + "." + ref.path(), ref.deployment());
                if (ref.use() == Route.Use.FALLBACK && !seenFallbacks.add(ref.deployment())) {
                    out.add(path + "." + ref.path() + ": duplicate deployment '" + ref.deployment() + "'");
                }
            }
            policy(r.policy());
            r.shadow().ifPresent(s -> unit(path + ".shadow.sample", s.sample()));
            r.budgetDowngrade().ifPresent(b -> unit(path + ".budget_downgrade.at_used", b.usedFractionAtLeast()));
        }

        private void policy(Policy policy) {
            String p = path + ".policy";
            switch (policy) {
                case Policy.Fixed f -> {
                }
                case Policy.Weighted w -> {
                    long total = 0;
                    for (Map.Entry<String, Integer> e : new TreeMap<>(w.weights()).entrySet()) {
                        if (e.getValue() == null || e.getValue() < 0) {
                            out.add(p + ".weights." + e.getKey() + ": weight must be >= 0");
                        } else {
                            total += e.getValue();
                        }
                    }
                    if (total <= 0) {
                        out.add(p + ".weights: need at least one positive weight");
                    }
                }
                case Policy.CostQuality c -> {
                    if (c.candidates().isEmpty()) {
                        out.add(p + ".candidates: must not be empty");
                    }
                    unit(p + ".quality_floor", c.qualityFloor());
                    if (c.maxCostMicrosPerRequest().isPresent() && c.maxCostMicrosPerRequest().getAsLong() < 0) {
                        out.add(p + ".max_cost_micros_per_request: must be >= 0");
                    }
                    if (c.expectedOutputTokens() < 0) {
                        out.add(p + ".expected_output_tokens: must be >= 0");
                    }
                }
                case Policy.Complexity c -> {
                    unit(p + ".threshold", c.threshold());
                    c.targetStrongShare().ifPresent(s -> unit(p + ".target_strong_share", s));
                }
                case Policy.Migration m -> {
                    if (m.from().equals(m.to())) {
                        out.add(p + ".to: must differ from 'from'");
                    }
                    if (m.stagesPercent().isEmpty()) {
                        out.add(p + ".stages: must not be empty");
                    }
                    int previous = 0;
                    for (int i = 0; i < m.stagesPercent().size(); i++) {
                        Integer s = m.stagesPercent().get(i);
                        if (s == null || s <= previous || s > 100) {
                            out.add(p + ".stages[" + i + "]: must be in 1..100 and above the previous stage");
                        } else {
                            previous = s;
                        }
                    }
                }
            }
        }

        private void known(String at, String deployment) {
            if (!names.contains(deployment)) {
                out.add(at + ": unknown deployment '" + deployment + "'");
            }
        }

        private void unit(String at, double value) {
            if (!(value >= 0 && value <= 1)) {
                out.add(at + ": must be in [0,1]");
            }
        }
    }
}
