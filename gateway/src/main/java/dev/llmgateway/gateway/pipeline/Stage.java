package dev.llmgateway.gateway.pipeline;

import io.vertx.core.Future;

/** One step of the request pipeline with one job; it either answers or calls {@code next.proceed(x)} at most once. */
public interface Stage {
    Future<Outcome> handle(Exchange x, Chain next);

    /** The stage's name in errors and logs. */
    default String name() { return getClass().getSimpleName(); }
}
