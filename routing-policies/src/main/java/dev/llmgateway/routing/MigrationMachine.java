package dev.llmgateway.routing;

import dev.llmgateway.routing.MigrationTransition.Kind;
import dev.llmgateway.routing.internal.Fmt;
import dev.llmgateway.routing.internal.NonInferiority;
import dev.llmgateway.routing.internal.NonInferiority.Interval;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The migration state machine, as pure functions from (plan, state, evidence, time) to a verdict or a new
 * state. Nothing is stored here: the caller persists each returned {@link MigrationState}.
 *
 * <p>Automatic evaluation (only while {@link MigrationStatus#ACTIVE}) checks, in this order:
 * regressions (error rate, p50/p95 latency, quality inferior at the rule's confidence) roll back;
 * otherwise promotion needs {@code minSamples} requests on both sides, quality evidence (feedback on both
 * sides and/or shadow comparisons, each with {@code minSamples}) that is non-inferior at the rule's
 * confidence, and the stage's minimum duration. See docs/routing.md for the statistics.
 */
public final class MigrationMachine {

    private MigrationMachine() {
    }

    /** The state of a migration that has just started: first stage, active. */
    public static MigrationState start(String route, Instant now) {
        return new MigrationState(route, 0, MigrationStatus.ACTIVE, now,
                List.of(new MigrationTransition(0, 0, Kind.START, "migration started", now)));
    }

    /** What the evidence says this migration should do next. */
    public static MigrationVerdict evaluate(Policy.Migration plan, MigrationState state, MigrationEvidence evidence,
                                            Instant now) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(evidence, "evidence");
        Objects.requireNonNull(now, "now");
        if (state.status() != MigrationStatus.ACTIVE) {
            return new MigrationVerdict.Stay(state.status().name().toLowerCase() + ": automatic evaluation is off");
        }
        if (evidence.stageIndex() != state.stageIndex()) {
            return new MigrationVerdict.Stay("evidence is for stage " + (evidence.stageIndex() + 1)
                    + ", current stage is " + (state.stageIndex() + 1));
        }
        PromotionRule rule = plan.rule();
        MigrationEvidence.SideStats open = evidence.open();
        MigrationEvidence.SideStats closed = evidence.closed();
        boolean trafficMeasured = open.requests() >= rule.minSamples() && closed.requests() >= rule.minSamples();

        if (trafficMeasured) {
            double increase = open.errorRate() - closed.errorRate();
            if (increase > rule.maxErrorRateIncrease()) {
                return new MigrationVerdict.Rollback("error rate " + Fmt.percent(open.errorRate()) + " open vs "
                        + Fmt.percent(closed.errorRate()) + " closed: +" + Fmt.pp(increase) + " > allowed +"
                        + Fmt.pp(rule.maxErrorRateIncrease()));
            }
            String latency = latencyRegression("p50", open.latencyMsP50(), closed.latencyMsP50(), rule);
            if (latency == null) {
                latency = latencyRegression("p95", open.latencyMsP95(), closed.latencyMsP95(), rule);
            }
            if (latency != null) {
                return new MigrationVerdict.Rollback(latency);
            }
        }
        double margin = rule.nonInferiorityMargin();
        Interval feedback = evidence.feedbackOpen().count() >= rule.minSamples()
                && evidence.feedbackClosed().count() >= rule.minSamples()
                ? NonInferiority.meanDifference(evidence.feedbackOpen(), evidence.feedbackClosed(), rule.confidence())
                : null;
        Interval shadow = evidence.shadow().total() >= rule.minSamples()
                ? NonInferiority.shadowAdvantage(evidence.shadow(), rule.confidence())
                : null;
        if (feedback != null && feedback.upper() < -margin) {
            return new MigrationVerdict.Rollback("feedback inferior: " + describe(feedback, rule));
        }
        if (shadow != null && shadow.upper() < -margin) {
            return new MigrationVerdict.Rollback("shadow comparisons inferior: " + describe(shadow, rule));
        }

        if (!trafficMeasured) {
            return new MigrationVerdict.Stay("waiting for traffic: open " + open.requests() + ", closed "
                    + closed.requests() + " of " + rule.minSamples() + " requests each");
        }
        if (feedback == null && shadow == null) {
            return new MigrationVerdict.Stay("waiting for quality evidence: feedback "
                    + evidence.feedbackOpen().count() + "/" + evidence.feedbackClosed().count() + ", shadow "
                    + evidence.shadow().total() + " of " + rule.minSamples() + " samples");
        }
        if (feedback != null && !(feedback.lower() > -margin)) {
            return new MigrationVerdict.Stay("feedback not yet non-inferior: " + describe(feedback, rule));
        }
        if (shadow != null && !(shadow.lower() > -margin)) {
            return new MigrationVerdict.Stay("shadow comparisons not yet non-inferior: " + describe(shadow, rule));
        }
        Instant due = state.since().plus(rule.minStageDuration());
        if (now.isBefore(due)) {
            return new MigrationVerdict.Stay("evidence sufficient; stage runs until " + due);
        }
        String why = "non-inferior at " + Fmt.percent(rule.confidence()) + ": "
                + (feedback != null ? "feedback " + describe(feedback, rule) : "shadow " + describe(shadow, rule))
                + "; errors +" + Fmt.pp(open.errorRate() - closed.errorRate());
        if (state.stageIndex() >= plan.lastStage()) {
            return new MigrationVerdict.Promote(plan.lastStage(), true, "complete: " + why);
        }
        return new MigrationVerdict.Promote(state.stageIndex() + 1, false, why);
    }

    /** Applies a verdict: Stay keeps the state, Promote moves on (or completes), Rollback rolls back. */
    public static MigrationState apply(Policy.Migration plan, MigrationState state, MigrationVerdict verdict,
                                       Instant now) {
        return switch (verdict) {
            case MigrationVerdict.Stay stay -> state;
            case MigrationVerdict.Promote p when p.completes() ->
                    move(state, plan.lastStage(), MigrationStatus.COMPLETED, Kind.COMPLETE, p.reason(), now);
            case MigrationVerdict.Promote p ->
                    move(state, p.toStage(), MigrationStatus.ACTIVE, Kind.AUTO_PROMOTE, p.reason(), now);
            case MigrationVerdict.Rollback r ->
                    move(state, state.stageIndex(), MigrationStatus.ROLLED_BACK, Kind.AUTO_ROLLBACK, r.reason(), now);
        };
    }

    /** {@link #evaluate} then {@link #apply}. */
    public static MigrationState advance(Policy.Migration plan, MigrationState state, MigrationEvidence evidence,
                                         Instant now) {
        return apply(plan, state, evaluate(plan, state, evidence, now), now);
    }

    /** Operator promotion to the next stage (or completion from the last); evidence is not consulted. */
    public static MigrationState promote(Policy.Migration plan, MigrationState state, String reason, Instant now) {
        return switch (state.status()) {
            case ACTIVE, PAUSED, PINNED -> state.stageIndex() >= plan.lastStage()
                    ? move(state, plan.lastStage(), MigrationStatus.COMPLETED, Kind.COMPLETE, reason, now)
                    : move(state, state.stageIndex() + 1, MigrationStatus.ACTIVE, Kind.PROMOTE, reason, now);
            case ROLLED_BACK -> throw refused("promote", state, "resume it first");
            case COMPLETED -> throw refused("promote", state, "it is already complete");
        };
    }

    /** Operator pause: traffic stays at the current stage, automatic evaluation stops. */
    public static MigrationState pause(MigrationState state, String reason, Instant now) {
        return switch (state.status()) {
            case ACTIVE -> move(state, state.stageIndex(), MigrationStatus.PAUSED, Kind.PAUSE, reason, now);
            case PAUSED, PINNED, ROLLED_BACK, COMPLETED -> throw refused("pause", state, "only an active one can");
        };
    }

    /** Operator resume: paused or pinned continue at their stage, rolled back restarts at the first stage. */
    public static MigrationState resume(MigrationState state, String reason, Instant now) {
        return switch (state.status()) {
            case PAUSED, PINNED -> move(state, state.stageIndex(), MigrationStatus.ACTIVE, Kind.RESUME, reason, now);
            case ROLLED_BACK -> move(state, 0, MigrationStatus.ACTIVE, Kind.RESUME, reason, now);
            case ACTIVE, COMPLETED -> throw refused("resume", state, "nothing to resume");
        };
    }

    /** Operator rollback: all traffic back on the closed deployment. */
    public static MigrationState rollback(MigrationState state, String reason, Instant now) {
        return switch (state.status()) {
            case ACTIVE, PAUSED, PINNED, COMPLETED ->
                    move(state, state.stageIndex(), MigrationStatus.ROLLED_BACK, Kind.ROLLBACK, reason, now);
            case ROLLED_BACK -> throw refused("roll back", state, "it is already rolled back");
        };
    }

    /** Operator pin: hold traffic at the given stage until resumed. */
    public static MigrationState pin(Policy.Migration plan, MigrationState state, int stageIndex, String reason,
                                     Instant now) {
        if (stageIndex < 0 || stageIndex > plan.lastStage()) {
            throw new IllegalArgumentException("stage index " + stageIndex + " outside 0.." + plan.lastStage());
        }
        return move(state, stageIndex, MigrationStatus.PINNED, Kind.PIN, reason, now);
    }

    private static MigrationState move(MigrationState state, int toStage, MigrationStatus status, Kind kind,
                                       String reason, Instant now) {
        List<MigrationTransition> history = new ArrayList<>(state.history().size() + 1);
        history.addAll(state.history());
        history.add(new MigrationTransition(state.stageIndex(), toStage, kind, reason, now));
        return new MigrationState(state.route(), toStage, status, now, history);
    }

    private static IllegalStateException refused(String op, MigrationState state, String why) {
        return new IllegalStateException("cannot " + op + " migration of route '" + state.route() + "' while "
                + state.status().name().toLowerCase() + ": " + why);
    }

    private static String latencyRegression(String which, long openMs, long closedMs, PromotionRule rule) {
        if (closedMs <= 0 || openMs <= 0) {
            return null;
        }
        double ratio = (double) openMs / closedMs;
        if (ratio > rule.maxLatencyRatio()) {
            return "latency " + which + " " + openMs + " ms open vs " + closedMs + " ms closed: ratio "
                    + Fmt.two(ratio) + " > " + Fmt.two(rule.maxLatencyRatio());
        }
        return null;
    }

    private static String describe(Interval i, PromotionRule rule) {
        return "diff " + Fmt.three(i.estimate()) + ", " + Fmt.percent(rule.confidence()) + " bounds ["
                + Fmt.three(i.lower()) + ", " + Fmt.three(i.upper()) + "], margin -"
                + Fmt.three(rule.nonInferiorityMargin()) + ", n=" + i.samples();
    }
}
