package dev.llmgateway.routing;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** A named entry point (the model name clients ask for) with its policy and safety nets. */
public record Route(
        String name,
        Policy policy,
        List<String> fallbacks,
        Optional<ShadowSpec> shadow,
        Optional<BudgetDowngrade> budgetDowngrade,
        Optional<String> baselineDeployment) {

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(policy, "policy");
        fallbacks = List.copyOf(fallbacks);
        Objects.requireNonNull(shadow, "shadow");
        Objects.requireNonNull(budgetDowngrade, "budgetDowngrade");
        Objects.requireNonNull(baselineDeployment, "baselineDeployment");
    }

    /** A route with only a policy: no fallbacks, shadow, downgrade or baseline. */
    public static Route of(String name, Policy policy) {
        return new Route(name, policy, List.of(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** What a route uses a deployment for. */
    public enum Use {
        /** Named by the policy (fixed, a weight, a candidate, strong/weak, from/to). */
        POLICY,
        /** The budget downgrade's target. */
        BUDGET_DOWNGRADE,
        /** A route fallback. */
        FALLBACK,
        /** Mirrored, never answers. */
        SHADOW,
        /** Cost baseline for savings reports, never answers (unless also named elsewhere). */
        BASELINE;

        /** True for the uses whose deployment may answer a request. */
        public boolean serves() {
            return this == POLICY || this == BUDGET_DOWNGRADE || this == FALLBACK;
        }
    }

    /**
     * One place a route names a deployment.
     *
     * @param path the gateway.yaml path below {@code routes.<name>}, e.g. {@code policy.weights.gpt-4o}, {@code fallbacks[1]}
     */
    public record Reference(String path, String deployment, Use use) {
    }

    /**
     * Every deployment name the route holds, with its path: the policy's (weights by name), the fallbacks, the
     * shadow, the budget downgrade's and the baseline, in that order. The one derivation of "which deployments a route
     * uses", for validation, the router and the gateway.
     */
    public List<Reference> references() {
        List<Reference> out = new ArrayList<>();
        switch (policy) {
            case Policy.Fixed f -> out.add(new Reference("policy.deployment", f.deployment(), Use.POLICY));
            case Policy.Weighted w -> {
                for (Map.Entry<String, Integer> e : new TreeMap<>(w.weights()).entrySet()) {
                    out.add(new Reference("policy.weights." + e.getKey(), e.getKey(), Use.POLICY));
                }
            }
            case Policy.CostQuality c -> {
                for (int i = 0; i < c.candidates().size(); i++) {
                    out.add(new Reference("policy.candidates[" + i + "]", c.candidates().get(i), Use.POLICY));
                }
            }
            case Policy.Complexity c -> {
                out.add(new Reference("policy.strong", c.strong(), Use.POLICY));
                out.add(new Reference("policy.weak", c.weak(), Use.POLICY));
            }
            case Policy.Migration m -> {
                out.add(new Reference("policy.from", m.from(), Use.POLICY));
                out.add(new Reference("policy.to", m.to(), Use.POLICY));
            }
        }
        for (int i = 0; i < fallbacks.size(); i++) {
            out.add(new Reference("fallbacks[" + i + "]", fallbacks.get(i), Use.FALLBACK));
        }
        shadow.ifPresent(s -> out.add(new Reference("shadow.deployment", s.deployment(), Use.SHADOW)));
        budgetDowngrade.ifPresent(b -> out.add(new Reference("budget_downgrade.deployment", b.deployment(),
                Use.BUDGET_DOWNGRADE)));
        baselineDeployment.ifPresent(b -> out.add(new Reference("baseline", b, Use.BASELINE)));
        return out;
    }

    /** Names of the deployments that may answer a request on this route (policy, budget downgrade, fallbacks), each once. */
    public Set<String> servingDeployments() {
        Set<String> out = new LinkedHashSet<>();
        for (Reference r : references()) {
            if (r.use().serves()) {
                out.add(r.deployment());
            }
        }
        return out;
    }

    public Route withFallbacks(List<String> newFallbacks) {
        return new Route(name, policy, newFallbacks, shadow, budgetDowngrade, baselineDeployment);
    }

    public Route withShadow(ShadowSpec spec) {
        return new Route(name, policy, fallbacks, Optional.of(spec), budgetDowngrade, baselineDeployment);
    }

    public Route withBudgetDowngrade(BudgetDowngrade downgrade) {
        return new Route(name, policy, fallbacks, shadow, Optional.of(downgrade), baselineDeployment);
    }

    public Route withBaseline(String deployment) {
        return new Route(name, policy, fallbacks, shadow, budgetDowngrade, Optional.of(deployment));
    }
}
