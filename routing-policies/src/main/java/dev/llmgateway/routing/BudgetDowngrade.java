package dev.llmgateway.routing;

import java.util.Objects;

/** Route to a cheaper deployment once a team has used at least this fraction of its budget. */
public record BudgetDowngrade(double usedFractionAtLeast, String deployment) {
    public BudgetDowngrade {
        Objects.requireNonNull(deployment, "deployment");
    }
}
