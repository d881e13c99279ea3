package dev.llmgateway.metering;

/** Receives budget alerts (the gateway forwards them to a webhook); called on the guard's flush thread. */
@FunctionalInterface
public interface BudgetAlertListener {
    void onAlert(BudgetAlert alert);

    BudgetAlertListener NONE = alert -> {};
}
