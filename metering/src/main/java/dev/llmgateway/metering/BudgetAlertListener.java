package dev.llmgateway.metering;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Receives budget alerts (the gateway forwards them to a webhook); called on the guard's flush thread, after the alert
 * is recorded in {@code budget_alerts}. An alert whose delivery fails (an exception, or a failed stage from
 * {@link #deliver}) is retried on later flushes until delivered or, after {@link BudgetGuard#ALERT_ATTEMPTS_MAX}
 * attempts, given up with a record.
 */
@FunctionalInterface
public interface BudgetAlertListener {
    void onAlert(BudgetAlert alert);

    /** Delivers an alert; completes normally once delivered. The default calls {@link #onAlert} synchronously. */
    default CompletionStage<Void> deliver(BudgetAlert alert) {
        onAlert(alert);
        return CompletableFuture.completedFuture(null);
    }

    BudgetAlertListener NONE = alert -> {};
}
