package dev.llmgateway.gateway.pipeline;

import io.vertx.core.Future;
import java.util.List;

/** An ordered list of stages; {@link #run} sends one exchange through them. */
public final class Pipeline {
    private final List<Stage> stages;

    public Pipeline(List<Stage> stages) {
        if (stages.isEmpty()) throw new IllegalArgumentException("a pipeline needs at least one stage");
        this.stages = List.copyOf(stages);
    }

    public Future<Outcome> run(Exchange x) { return new Chain(stages, 0).proceed(x); }

    public List<String> stageNames() { return stages.stream().map(Stage::name).toList(); }
}
