package dev.llmgateway.metering;

import java.time.Instant;

/** A stored budget: its id, what was set, and when it was last changed. */
public record Budget(long id, BudgetDefinition definition, Instant updatedAt) {
    public String teamId() { return definition.teamId(); }
}
