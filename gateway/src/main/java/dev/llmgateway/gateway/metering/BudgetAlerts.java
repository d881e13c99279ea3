package dev.llmgateway.gateway.metering;

import dev.llmgateway.metering.BudgetAlert;
import dev.llmgateway.metering.BudgetAlertListener;
import dev.llmgateway.metering.Money;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Delivers budget threshold alerts (each fires once per budget, period and threshold across all replicas) to the
 * configured webhook as JSON, and always logs them.
 */
public final class BudgetAlerts implements BudgetAlertListener {
    private static final Logger LOG = Logger.getLogger(BudgetAlerts.class);

    private final Optional<dev.llmgateway.gateway.webhooks.WebhookSender> webhook;

    /** {@code webhook} empty: alerts are only logged. */
    public BudgetAlerts(Optional<dev.llmgateway.gateway.webhooks.WebhookSender> webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onAlert(BudgetAlert a) {
        deliver(a);
    }

    /**
     * Logs the alert and hands it to the webhook sender; completes once the delivery is recorded (the sender then
     * signs it and retries it with backoff, GET /admin/webhooks/deliveries shows the outcome), so the budget guard
     * marks the threshold sent only after that, and retries the hand-over on a later flush if it failed.
     */
    @Override
    public java.util.concurrent.CompletionStage<Void> deliver(BudgetAlert a) {
        boolean money = a.unit() == dev.llmgateway.metering.BudgetUnit.MICROS_USD;
        JsonObject body = new JsonObject()
                .put("type", "budget.threshold")
                .put("team", a.teamId())
                .put("key_id", a.keyId().orElse(null))
                .put("threshold_percent", a.thresholdPct())
                .put("unit", money ? "usd" : "tokens")
                .put("used", money ? Money.formatUsd(a.usedAmount()) : Long.toString(a.usedAmount()))
                .put("limit", money ? Money.formatUsd(a.limitAmount()) : Long.toString(a.limitAmount()))
                .put("period_start", a.periodStart().toString())
                .put("fired_at", a.firedAt().toString());
        LOG.warnf("Budget alert: team %s reached %d%% of its %s budget", a.teamId(), a.thresholdPct(), money ? "money" : "token");
        if (webhook.isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(null);
        return webhook.get().send("budget.threshold", body).<Void>mapEmpty()
                .onFailure(e -> LOG.warnf("budget alert webhook delivery not recorded: %s", e.getMessage()))
                .toCompletionStage();
    }
}
