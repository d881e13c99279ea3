package dev.llmgateway.gateway.metering;

import dev.llmgateway.metering.BudgetAlert;
import dev.llmgateway.metering.BudgetAlertListener;
import dev.llmgateway.metering.Money;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Delivers budget threshold alerts (each fires once per budget, period and threshold across all replicas) to the
 * configured webhook as JSON, and always logs them.
 */
public final class BudgetAlerts implements BudgetAlertListener {
    private static final Logger LOG = Logger.getLogger(BudgetAlerts.class);

    private final Optional<String> webhook;
    private final HttpClient client;

    public BudgetAlerts(Vertx vertx, Optional<String> webhook) {
        this.webhook = webhook.filter(w -> !w.isBlank());
        this.client = vertx.createHttpClient();
    }

    @Override
    public void onAlert(BudgetAlert a) {
        deliver(a);
    }

    /**
     * Posts the alert to the webhook; completes when it answered 2xx (or at once without a webhook), fails otherwise,
     * so the budget guard retries it on a later flush and records the outcome.
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
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(webhook.get())
                        .putHeader("content-type", "application/json"))
                .compose(req -> req.send(body.toBuffer()))
                .<Void>compose(resp -> resp.statusCode() / 100 == 2 ? io.vertx.core.Future.succeededFuture()
                        : io.vertx.core.Future.failedFuture("webhook answered status " + resp.statusCode()))
                .onFailure(e -> LOG.warnf("budget alert webhook failed: %s", e.getMessage()))
                .toCompletionStage();
    }
}
