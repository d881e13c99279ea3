package dev.llmgateway.routing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
