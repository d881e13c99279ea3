package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Optional;

/** A budget crossed one of its alert thresholds in a period; reported once per budget, period and threshold. */
public record BudgetAlert(long budgetId, String teamId, Optional<String> keyId, int thresholdPct, BudgetUnit unit,
                          long usedAmount, long limitAmount, Instant periodStart, Optional<Instant> periodEnd,
                          Instant firedAt, String replicaId) {}
