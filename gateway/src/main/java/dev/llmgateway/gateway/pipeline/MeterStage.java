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
 * Failed and cancelled requests are recorded too, with what they consumed.
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
        return metering.record(e);
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        if (metering.journalFull()) {
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.Overloaded(
                    "usage metering is backed up (the database is unreachable); try again shortly", java.time.Duration.ofSeconds(30))));
        }
        boolean[] recorded = {false};
        x.beforeFinish(() -> {
            recorded[0] = true;
            UsageEvent e = metering.event(x, 200, null);
            // Exact, sub-micro-dollar digits included: the request is not rounded on its own (see docs/billing.md).
            x.responseHeaders().put("x-gateway-cost", dev.llmgateway.metering.Money.formatUsd(e.teamChargeMicros()));
            return record(x, e).recover(err -> {
                // The answer exists and was paid for upstream; withholding it would not bring the record back.
                LOG.errorf("usage of %s could not be journaled: %s", x.requestId(), err.getMessage());
                return Future.succeededFuture();
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
