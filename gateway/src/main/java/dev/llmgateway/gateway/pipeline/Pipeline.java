package dev.llmgateway.gateway.pipeline;

import dev.llmgateway.gateway.errors.GatewayError;
import io.vertx.core.Future;
import java.util.List;

/**
 * An ordered list of stages; {@link #run} sends one exchange through them. The pipeline checks its own rules: the
 * money stages keep their order (Admit above Meter: Admit settles from the outcome Meter returns; Meter directly above
 * Respond: Meter releases the answer Respond holds; Dispatch last: it never proceeds), a stage proceeds at most once
 * (see {@link Chain}), and no reply or held answer may reach the top unwritten or unreleased.
 */
public final class Pipeline {
    /** Stages that, when present, must appear in this relative order. */
    static final List<Class<? extends Stage>> MONEY_ORDER =
            List.of(AdmitStage.class, MeterStage.class, RespondStage.class, DispatchStage.class);

    private final List<Stage> stages;

    public Pipeline(List<Stage> stages) {
        if (stages.isEmpty()) throw new IllegalArgumentException("a pipeline needs at least one stage");
        this.stages = List.copyOf(stages);
        checkOrder(this.stages);
    }

    private static void checkOrder(List<Stage> stages) {
        int last = -1;
        Class<? extends Stage> lastKind = null;
        for (Class<? extends Stage> kind : MONEY_ORDER) {
            int at = indexOf(stages, kind);
            if (at < 0) continue;
            if (at < last) {
                throw new IllegalArgumentException(kind.getSimpleName() + " must come after " + lastKind.getSimpleName()
                        + " in the pipeline " + names(stages));
            }
            last = at;
            lastKind = kind;
        }
        int meter = indexOf(stages, MeterStage.class), respond = indexOf(stages, RespondStage.class);
        if (meter >= 0 && respond >= 0 && respond != meter + 1) {
            throw new IllegalArgumentException("RespondStage must come directly after MeterStage (Meter releases the answer "
                    + "Respond holds) in the pipeline " + names(stages));
        }
        int dispatch = indexOf(stages, DispatchStage.class);
        if (dispatch >= 0 && dispatch != stages.size() - 1) {
            throw new IllegalArgumentException("DispatchStage must be the last stage in the pipeline " + names(stages));
        }
    }

    private static int indexOf(List<Stage> stages, Class<? extends Stage> kind) {
        for (int i = 0; i < stages.size(); i++) if (kind.isInstance(stages.get(i))) return i;
        return -1;
    }

    private static String names(List<Stage> stages) { return String.join(" -> ", stages.stream().map(Stage::name).toList()); }

    public Future<Outcome> run(Exchange x) {
        return new Chain(stages, 0).proceed(x).compose(outcome -> switch (outcome) {
            case Outcome.Replied r -> Future.failedFuture(new IllegalStateException(
                    "a reply reached the top of the pipeline unwritten (no RespondStage below " + stages.get(0).name() + ")"));
            // An answer nobody metered is never completed: it is withheld, and the bug is reported.
            case Outcome.Held h -> h.answer().withhold(new GatewayError.Internal("internal error; reference " + x.requestId()))
                    .transform(ignored -> Future.failedFuture(new IllegalStateException(
                            "a held answer reached the top of the pipeline unreleased (no MeterStage above RespondStage)")));
            case Outcome.Answered a -> Future.succeededFuture(outcome);
            case Outcome.Failed f -> Future.succeededFuture(outcome);
        });
    }

    public List<String> stageNames() { return stages.stream().map(Stage::name).toList(); }
}
