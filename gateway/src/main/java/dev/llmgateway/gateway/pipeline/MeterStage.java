package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.metering.MeteredRequest;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.metering.UsageEvent;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * One usage event per routed request, returned up the chain in the {@link Outcome} (Admit settles its reservation to
 * the exact charge in it). For an answer, the event is made durable (journal fsync, or in process durability the journal
 * write, fsynced within 5 ms; see GATEWAY_METERING_DURABILITY) before the last byte reaches the
 * client: Respond, directly below, returns the answer {@link Outcome.Held held}, and this stage releases it only once
 * the journal has the record. Failed and cancelled requests are recorded too, with what they consumed. Fails closed:
 * when the journal cannot take this request's record, the request is refused (503 metering_unavailable) before any
 * upstream call, and an answer whose record could not be journaled is withheld, unless the operator chose
 * {@code serve-unmetered}.
 */
public final class MeterStage implements Stage {
    private static final Logger LOG = Logger.getLogger(MeterStage.class);

    private final Metering metering;
    private final dev.llmgateway.gateway.metering.GatewayMetrics metrics;

    public MeterStage(Metering metering, dev.llmgateway.gateway.metering.GatewayMetrics metrics) {
        this.metering = metering;
        this.metrics = metrics;
    }

    /** What metering needs of this exchange, as a value: the deployment that served it, else the planned one. */
    public static MeteredRequest metered(Exchange x) {
        Deployment d = x.served() != null ? x.served() : x.plan().primary();
        return new MeteredRequest(x.requestId(), x.receivedAt(), x.team().id(), x.key().id(),
                x.chat() == null || x.chat().user().isEmpty() ? null : x.chat().user(),
                x.plan().route(), x.plan().policy(), x.plan().stage().orElse(null), d, x.usage(), x.elapsedMs(), x.ttftMs(),
                x.streamed(), attempts(x), x.fromCache(), x.cacheChargesTeam());
    }

    /** The dispatch trail as the x-gateway-attempts header has it, kept for the request log (bounded). */
    private static String attempts(Exchange x) {
        String a = x.responseHeaders().get("x-gateway-attempts");
        return a == null || a.length() <= 1000 ? a : a.substring(0, 997) + "...";
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        // Checked before any upstream call: an answer that cannot be metered is never produced (fail closed).
        boolean unmetered = !metering.canJournal(metered(x));
        if (unmetered && metering.onJournalFailure() == Metering.OnJournalFailure.REFUSE) {
            metering.refused();
            return Future.failedFuture(new GatewayError.Failure(new GatewayError.MeteringUnavailable(
                    "usage metering is unavailable (the usage journal cannot take records); no request is served "
                            + "until it can; try again shortly")));
        }
        return next.proceed(x).transform(ar -> ar.succeeded() && ar.result() instanceof Outcome.Held held
                ? releaseWhenRecorded(x, held.answer())
                : recordAfterwards(x, ar));
    }

    /** An answer held by Respond: journal its record (fsync, or write in process durability), then release it; withhold it when that fails. */
    private Future<Outcome> releaseWhenRecorded(Exchange x, HeldAnswer answer) {
        UsageEvent e;
        try {
            e = metering.event(metered(x), 200, null);
        } catch (RuntimeException failed) {
            LOG.errorf(failed, "usage of %s could not be priced", x.requestId());
            return answer.withhold(new GatewayError.Internal("internal error; reference " + x.requestId()));
        }
        // Exact, sub-micro-dollar digits included: the request is not rounded on its own (see docs/billing.md).
        x.responseHeaders().put("x-gateway-cost", dev.llmgateway.metering.Money.formatUsd(e.teamChargeMicros()));
        return journal(e).transform(journaled -> {
            if (journaled.succeeded()) return carrying(answer.release(), x, e);
            LOG.errorf("usage of %s could not be journaled: %s", x.requestId(), journaled.cause().getMessage());
            if (metering.onJournalFailure() == Metering.OnJournalFailure.SERVE_UNMETERED) {
                metering.servedUnmetered(metered(x), String.valueOf(journaled.cause().getMessage()));
                return carrying(answer.release(), x, e);
            }
            // No answer without its usage record: the answer is withheld (a stream ends without [DONE]).
            metering.refused();
            return carrying(answer.withhold(new GatewayError.MeteringUnavailable(
                    "usage metering failed for this answer, so it is withheld; try again shortly")), x, e);
        });
    }

    /** A request that failed, or was answered without being held: its record is written without holding anything. */
    private Future<Outcome> recordAfterwards(Exchange x, AsyncResult<Outcome> ar) {
        if (ar.failed() && !(ar.cause() instanceof GatewayError.Failure)) {
            LOG.errorf(ar.cause(), "request %s failed unexpectedly", x.requestId());
        }
        GatewayError err = ar.failed()
                ? (ar.cause() instanceof GatewayError.Failure f ? f.error() : new GatewayError.Internal("internal error; reference " + x.requestId()))
                : ar.result() instanceof Outcome.Failed failed ? failed.error() : null;
        if (err == null && !(ar.result() instanceof Outcome.Answered)) return Future.succeededFuture(ar.result());
        int status = err == null ? 200 : x.cancel().isCancelled() ? 499 : ErrorResponses.shape(err).status();
        String code = err == null ? null : x.cancel().isCancelled() ? "client_closed_request" : ErrorResponses.shape(err).code();
        Optional<UsageEvent> usage;
        try {
            UsageEvent e = metering.event(metered(x), status, code);
            journal(e).onFailure(f -> LOG.errorf("usage of %s could not be journaled: %s", x.requestId(), f.getMessage()));
            usage = Optional.of(e);
        } catch (RuntimeException e) {
            LOG.errorf(e, "usage of %s could not be priced", x.requestId());
            usage = Optional.empty();
        }
        return Future.succeededFuture(err == null
                ? new Outcome.Answered(((Outcome.Answered) ar.result()).status(), usage)
                : new Outcome.Failed(err, usage));
    }

    private Future<Void> journal(UsageEvent e) {
        metrics.record(e);
        try {
            return metering.record(e);
        } catch (RuntimeException failed) {
            return Future.failedFuture(failed);
        }
    }

    /** Respond's final outcome with the usage record attached: the charge travels back up to Admit. */
    private static Future<Outcome> carrying(Future<Outcome> released, Exchange x, UsageEvent e) {
        return released.transform(ar -> {
            if (ar.failed()) {
                LOG.errorf(ar.cause(), "request %s failed unexpectedly", x.requestId());
                return Future.succeededFuture(new Outcome.Failed(new GatewayError.Internal("internal error; reference " + x.requestId()), Optional.of(e)));
            }
            return Future.succeededFuture(switch (ar.result()) {
                case Outcome.Answered a -> new Outcome.Answered(a.status(), Optional.of(e));
                case Outcome.Failed f -> new Outcome.Failed(f.error(), Optional.of(e));
                case Outcome other -> other;
            });
        });
    }
}
