package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.cache.CacheKey;
import dev.llmgateway.gateway.cache.CachedAnswer;
import dev.llmgateway.gateway.cache.RecordingStream;
import dev.llmgateway.gateway.cache.ReplayStream;
import dev.llmgateway.gateway.cache.ResponseCache;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.config.GatewayConfig.RouteCache;
import dev.llmgateway.gateway.providers.Completion;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/**
 * Exact-match response cache, opt-in per route ({@code cache:} in gateway.yaml; docs/cache.md). Sits just before
 * Dispatch: a hit is returned up the chain as the {@link Outcome.Replied reply} Dispatch would have returned, so it is
 * admitted, metered (provider cost 0, flagged) and written by Respond like any answer, but never reaches a provider. Every answer of a cached route carries {@code x-gateway-cache: hit} or {@code miss}. A miss lets
 * Dispatch run and keeps the complete, successful answer (a whole body, or a stream's chunks once it ended normally).
 * Only deterministic requests (temperature 0 or a seed; embeddings always) are looked up and kept, unless the route says
 * {@code deterministic_only: false}.
 */
public final class CacheStage implements Stage {
    public static final String HEADER = "x-gateway-cache";

    private final ResponseCache cache;
    private final Supplier<GatewayConfig> config;

    public CacheStage(ResponseCache cache, Supplier<GatewayConfig> config) {
        this.cache = cache;
        this.config = config;
    }

    @Override
    public Future<Outcome> handle(Exchange x, Chain next) {
        GatewayConfig cfg = config.get();
        RouteCache rc = x.plan() == null ? null : cfg.caches().get(x.plan().route());
        if (rc == null) return next.proceed(x);
        x.responseHeaders().put(HEADER, "miss");
        boolean eligible = x.kind() == Exchange.Kind.EMBEDDINGS || !rc.deterministicOnly() || CacheKey.deterministic(x.json());
        if (!eligible) return next.proceed(x);
        CacheKey key = CacheKey.of(x.team().id(), x.plan().route(), x.kind().name(), x.json());
        boolean shared = rc.store() == GatewayConfig.CacheStore.POSTGRES;
        boolean wantsStream = x.kind() != Exchange.Kind.EMBEDDINGS && x.chat().stream();
        return cache.get(key, shared).compose(hit -> {
            if (hit.isPresent() && hit.get().streamed() == wantsStream) {
                Deployment d = cfg.deployments().get(hit.get().deployment());
                // An answer of a deployment no longer configured cannot be priced: it is served fresh instead.
                if (d != null) {
                    x.servedBy(d);
                    x.answeredFromCache(rc.chargeTeam());
                    CachedAnswer a = hit.get();
                    Reply reply = wantsStream ? new Reply.Streaming(new ReplayStream(a))
                            : new Reply.Whole(new Completion(a.parts().get(0).copy(), a.usage(), a.finishReason()));
                    return Future.succeededFuture((Outcome) new Outcome.Replied(reply));
                }
            }
            return next.proceed(x).map(o -> o instanceof Outcome.Replied r ? new Outcome.Replied(keep(x, key, rc, shared, r.reply())) : o);
        });
    }

    /** Keeps the answer Dispatch produced (a stream: once it ends normally); returns the reply to write. */
    private Reply keep(Exchange x, CacheKey key, RouteCache rc, boolean shared, Reply reply) {
        Deployment served = x.served();
        if (served == null) return reply;
        return switch (reply) {
            case Reply.Whole w -> {
                cache.put(key, new CachedAnswer(served.name(), w.completion().usage(), w.completion().finishReason(), false,
                        List.of(w.completion().body().copy())), rc.ttl(), shared);
                yield w;
            }
            case Reply.Streaming s -> new Reply.Streaming(new RecordingStream(s.stream(), cache.limits().maxEntryBytes(),
                    (chunks, end) -> cache.put(key, new CachedAnswer(served.name(), end.usage(), end.finishReason(), true, chunks),
                            rc.ttl(), shared)));
        };
    }
}
