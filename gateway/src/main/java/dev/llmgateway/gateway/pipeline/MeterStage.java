package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.metering.UsageEvent;
import io.vertx.core.Future;
import org.jboss.logging.Logger;

/**
 * One usage event per routed request. For an answer, the event is made durable (journal fsync) before the last byte
 * reaches the client: Respond calls {@link Exchange#finishing()} before ending the body or writing {@code [DONE]}.
 * Failed and cancelled requests are recorded too, with what they consumed. Fails closed: when the journal cannot take
 * this request's record, the request is refused (503 metering_unavailable) before any upstream call, and an answer whose
 * record could not be journaled is withheld, unless the operator chose {@code serve-unmetered}.
 */
public final class MeterStage implements Stage {
    private static final Logger LOG = Logger.getLogger(MeterStage.class);

    private final Metering metering;
    private final dev.llmgateway.gateway.metering.GatewayMetrics metrics;

    public MeterStage(Metering metering, dev.llmgateway.gateway.metering.GatewayMetrics metrics) {
        this.metering = metering;
        this.metrics = metrics;
    }

    private Future<Void> record(Exchange x, UsageEvent e) {
        x.charged(e.teamChargeMicros());
        metrics.record(e);
        try {
            return metering.record(e);
        } catch (RuntimeException failed) {
            return Future.failedFuture(failed);
        }
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        // Checked before any upstream call: an answer that cannot be metered is never produced (fail closed).
        boolean unmetered = !metering.canJournal(x);
        if (unmetered && metering.onJournalFailure() == Metering.OnJournalFailure.REFUSE) {
            metering.refused();
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.MeteringUnavailable(
                    "usage metering is unavailable (the usage journal cannot take records); no request is served "
                            + "until it can; try again shortly")));
        }
        boolean[] recorded = {false};
        x.beforeFinish(() -> {
            recorded[0] = true;
            UsageEvent e = metering.event(x, 200, null);
            // Exact, sub-micro-dollar digits included: the request is not rounded on its own (see docs/billing.md).
            x.responseHeaders().put("x-gateway-cost", dev.llmgateway.metering.Money.formatUsd(e.teamChargeMicros()));
            return record(x, e).recover(err -> {
                LOG.errorf("usage of %s could not be journaled: %s", x.requestId(), err.getMessage());
                if (metering.onJournalFailure() == Metering.OnJournalFailure.SERVE_UNMETERED) {
                    metering.servedUnmetered(x, String.valueOf(err.getMessage()));
                    return Future.succeededFuture();
                }
                // No answer without its usage record: the answer is withheld (a stream ends without [DONE]).
                metering.refused();
                return Future.failedFuture(new GatewayError.Failure(new GatewayError.MeteringUnavailable(
                        "usage metering failed for this answer, so it is withheld; try again shortly")));
            });
        });
        return next.proceed(x).andThen(ar -> {
            if (recorded[0]) return;
            GatewayError err = ar.failed()
                    ? (ar.cause() instanceof GatewayError.Failure f ? f.error() : new GatewayError.Internal("internal error"))
                    : ar.result() instanceof Outcome.Failed failed ? failed.error() : null;
            int status = err == null ? 200 : x.cancel().isCancelled() ? 499 : ErrorResponses.shape(err).status();
            String code = err == null ? null : x.cancel().isCancelled() ? "client_closed_request" : ErrorResponses.shape(err).code();
            try {
                record(x, metering.event(x, status, code))
                        .onFailure(e -> LOG.errorf("usage of %s could not be journaled: %s", x.requestId(), e.getMessage()));
            } catch (RuntimeException e) {
                LOG.errorf(e, "usage of %s could not be priced", x.requestId());
            }
        });
    }
}
