package dev.llmgateway.gateway.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmgateway.gateway.api.ChatRequest;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.errors.ErrorResponses;
import dev.llmgateway.gateway.errors.GatewayError;
import dev.llmgateway.gateway.metering.Metering;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CancelToken;
import dev.llmgateway.gateway.providers.ProviderCall;
import dev.llmgateway.gateway.providers.Usage;
import dev.llmgateway.metering.ShadowPair;
import dev.llmgateway.metering.ShadowStore;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import org.jboss.logging.Logger;

/**
 * Mirrors a sampled share of a route's answered requests to its shadow deployment, after the client has its answer:
 * never slower, never failing the real request. At most {@code maxInFlight} shadow requests run at once; beyond that
 * a mirror is skipped. Both outputs are stored for comparison, and the shadow's usage is metered (flagged shadow).
 */
public final class ShadowStage implements Stage {
    private static final Logger LOG = Logger.getLogger(ShadowStage.class);

    private final Backends backends;
    private final Metering metering;
    private final ShadowStore store;
    private final Executor blocking;
    private final Semaphore inFlight;
    private final ShadowJudge judge;

    public ShadowStage(Backends backends, Metering metering, ShadowStore store, Executor blocking, int maxInFlight, ShadowJudge judge) {
        this.judge = judge;
        this.backends = backends;
        this.metering = metering;
        this.store = store;
        this.blocking = blocking;
        this.inFlight = new Semaphore(maxInFlight);
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        if (x.kind() != Exchange.Kind.CHAT || x.plan().shadow().isEmpty()) return next.proceed(x);
        x.keepOutputText();
        return next.proceed(x).andThen(ar -> {
            if (ar.succeeded() && ar.result() instanceof Outcome.Answered && x.served() != null
                    && !x.served().name().equals(x.plan().shadow().get().name())) {
                mirror(x, x.plan().shadow().get());
            }
        });
    }

    private void mirror(Exchange x, Deployment shadow) {
        if (!inFlight.tryAcquire()) {
            LOG.debugf("shadow of %s skipped: %d shadow requests already in flight", x.requestId(), inFlight.availablePermits());
            return;
        }
        String shadowId = x.requestId() + "-shadow";
        ObjectNode body = x.chat().raw().deepCopy();
        body.put("stream", false);
        body.remove("stream_options");
        ProviderCall call = new ProviderCall(shadowId, shadow, body, ChatRequest.parse(body), new CancelToken());
        long start = System.nanoTime();
        Future<dev.llmgateway.gateway.providers.Completion> f;
        try {
            f = backends.forProvider(shadow.provider()).complete(call);
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            inFlight.release();
            int latencyMs = (int) ((System.nanoTime() - start) / 1_000_000);
            Usage usage = ar.succeeded() ? ar.result().usage() : Usage.NONE;
            GatewayError err = ar.failed() ? (ar.cause() instanceof GatewayError.Failure gf ? gf.error()
                    : new GatewayError.Internal(ar.cause().getClass().getSimpleName())) : null;
            String output = ar.succeeded() ? dev.llmgateway.gateway.api.OpenAiJson.choiceText(ar.result().body(), "message") : "";
            var judged = err == null
                    ? judge.judge(x, x.outputText(), output)
                    : Future.succeededFuture(java.util.Optional.<dev.llmgateway.metering.ShadowJudgement>empty());
            judged.onComplete(verdict -> blocking.execute(() -> {
                try {
                    metering.record(metering.shadowEvent(MeterStage.metered(x), shadowId, shadow, usage, latencyMs,
                            err == null ? 200 : ErrorResponses.shape(err).status(), err == null ? null : ErrorResponses.shape(err).code()));
                    store.record(new ShadowPair(x.requestId(), x.plan().route(), x.served().name(), shadow.name(), x.outputText(), output,
                            (int) x.elapsedMs(), latencyMs, x.usage().promptTokens(), x.usage().completionTokens(), usage.promptTokens(),
                            usage.completionTokens(), err == null ? ShadowPair.Status.OK
                                    : err instanceof GatewayError.UpstreamTimeout ? ShadowPair.Status.TIMEOUT : ShadowPair.Status.ERROR,
                            err == null ? null : err.message(), Instant.now()));
                    if (verdict.succeeded() && verdict.result().isPresent()) store.recordVerdict(x.requestId(), verdict.result().get());
                } catch (RuntimeException e) {
                    LOG.warnf("shadow pair of %s not stored: %s", x.requestId(), e.getMessage());
                }
            }));
        });
    }

}
