package dev.llmgateway.metering;

import java.math.BigDecimal;
import java.math.RoundingMode;
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
    private static final BigDecimal MICROS_PER_USD = BigDecimal.valueOf(1_000_000);

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

    /** Parses a decimal USD amount such as {@code "100.00"} into micro-USD; more than 6 decimals is an error. */
    public static long parseUsdMicros(String usd) {
        BigDecimal amount;
        try {
            amount = new BigDecimal(usd.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit_usd: '" + usd + "' is not a decimal amount");
        }
        if (amount.signum() < 0) throw new IllegalArgumentException("limit_usd must not be negative");
        try {
            return amount.multiply(MICROS_PER_USD).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("limit_usd: '" + usd + "' has more than 6 decimals or is too large");
        }
    }

    /** Formats micro-USD as a decimal USD string with at least two decimals, e.g. {@code 100.00}. */
    public static String formatUsd(long micros) {
        BigDecimal usd = BigDecimal.valueOf(micros).movePointLeft(6).stripTrailingZeros();
        return usd.scale() < 2 ? usd.setScale(2, RoundingMode.UNNECESSARY).toPlainString() : usd.toPlainString();
    }

    public boolean hard() { return enforcement == BudgetEnforcement.HARD; }
}
