package dev.llmgateway.metering;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an operator sets for a team (or one of its keys): a money limit in micro-USD and/or a token limit per
 * period, how it is enforced and at which percentages of the limit to alert.
 */
public record BudgetDefinition(String teamId, Optional<String> keyId, OptionalLong limitMicrosUsd,
                               OptionalLong limitTokens, BudgetPeriod period, BudgetEnforcement enforcement,
                               List<Integer> alertThresholdsPct) {

    public BudgetDefinition {
        Objects.requireNonNull(teamId, "teamId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(limitMicrosUsd, "limitMicrosUsd");
        Objects.requireNonNull(limitTokens, "limitTokens");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(enforcement, "enforcement");
        if (limitMicrosUsd.isEmpty() && limitTokens.isEmpty())
            throw new IllegalArgumentException("a budget needs limit_usd, limit_tokens or both");
        if (limitMicrosUsd.isPresent() && limitMicrosUsd.getAsLong() < 0)
            throw new IllegalArgumentException("limit_usd must not be negative");
        if (limitTokens.isPresent() && limitTokens.getAsLong() < 0)
            throw new IllegalArgumentException("limit_tokens must not be negative");
        alertThresholdsPct = alertThresholdsPct.stream().distinct().sorted().toList();
        for (int pct : alertThresholdsPct)
            if (pct < 1 || pct > 1000)
                throw new IllegalArgumentException("alert_thresholds: " + pct + " is not a percentage between 1 and 1000");
    }

    /** A team-wide budget. */
    public static BudgetDefinition forTeam(String teamId, OptionalLong limitMicrosUsd, OptionalLong limitTokens,
                                           BudgetPeriod period, BudgetEnforcement enforcement, List<Integer> alertThresholdsPct) {
        return new BudgetDefinition(teamId, Optional.empty(), limitMicrosUsd, limitTokens, period, enforcement, alertThresholdsPct);
    }

    public boolean hard() { return enforcement == BudgetEnforcement.HARD; }
}
