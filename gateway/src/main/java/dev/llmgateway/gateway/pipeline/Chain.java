package dev.llmgateway.gateway.pipeline;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** The rest of the pipeline after one stage. Immutable; advances by index; a stage may proceed at most once. */
public final class Chain {
    private final List<Stage> stages;
    private final int index;
    private final AtomicBoolean proceeded = new AtomicBoolean();

    Chain(List<Stage> stages, int index) {
        this.stages = stages;
        this.index = index;
    }

    public Future<Outcome> proceed(Exchange x) {
        if (index >= stages.size()) {
            return Future.failedFuture(new IllegalStateException(stages.get(index - 1).name() + " proceeded past the last stage"));
        }
        if (!proceeded.compareAndSet(false, true)) {
            return Future.failedFuture(new IllegalStateException(
                    (index == 0 ? "the pipeline" : stages.get(index - 1).name()) + " proceeded more than once"));
        }
        Stage stage = stages.get(index);
        try {
            return stage.handle(x, new Chain(stages, index + 1));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }
}
