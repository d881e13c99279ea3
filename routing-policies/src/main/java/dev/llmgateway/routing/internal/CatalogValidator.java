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
            policy(r.policy());
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < r.fallbacks().size(); i++) {
                String f = r.fallbacks().get(i);
                known(path + ".fallbacks[" + i + "]", f);
                if (!seen.add(f)) {
                    out.add(path + ".fallbacks[" + i + "]: duplicate deployment '" + f + "'");
                }
            }
            r.shadow().ifPresent(s -> {
                known(path + ".shadow.deployment", s.deployment());
                unit(path + ".shadow.sample", s.sample());
            });
            r.budgetDowngrade().ifPresent(b -> {
                known(path + ".budget_downgrade.deployment", b.deployment());
                unit(path + ".budget_downgrade.at_used", b.usedFractionAtLeast());
            });
            r.baselineDeployment().ifPresent(b -> known(path + ".baseline", b));
        }

        private void policy(Policy policy) {
            String p = path + ".policy";
            switch (policy) {
                case Policy.Fixed f -> known(p + ".deployment", f.deployment());
                case Policy.Weighted w -> {
                    long total = 0;
                    for (Map.Entry<String, Integer> e : new TreeMap<>(w.weights()).entrySet()) {
                        known(p + ".weights." + e.getKey(), e.getKey());
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
                    for (int i = 0; i < c.candidates().size(); i++) {
                        known(p + ".candidates[" + i + "]", c.candidates().get(i));
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
                    known(p + ".strong", c.strong());
                    known(p + ".weak", c.weak());
                    unit(p + ".threshold", c.threshold());
                    c.targetStrongShare().ifPresent(s -> unit(p + ".target_strong_share", s));
                }
                case Policy.Migration m -> {
                    known(p + ".from", m.from());
                    known(p + ".to", m.to());
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
