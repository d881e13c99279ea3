package dev.llmgateway.routing;

import dev.llmgateway.routing.MigrationTransition.Kind;
import dev.llmgateway.routing.internal.Fmt;
import dev.llmgateway.routing.internal.ConfidenceSequence;
import dev.llmgateway.routing.internal.ConfidenceSequence.Bound;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The migration state machine, as pure functions from (plan, state, evidence, time) to a verdict or a new
 * state. Nothing is stored here: the caller persists each returned {@link MigrationState}.
 *
 * <p>Automatic evaluation (only while {@link MigrationStatus#ACTIVE}) checks, in this order: regressions shown by
 * anytime-valid bounds (error rate, p50/p95 latency, feedback or shadow quality inferior beyond its margin) roll
 * back; otherwise promotion needs {@code minSamples} requests on both sides, quality evidence (feedback from
 * {@code minSamples} end users per side and/or shadow comparisons of {@code minSamples} end users) whose
 * anytime-valid lower bound clears the margin, point estimates within the error and latency allowances, and the
 * stage's minimum duration. A 100% stage completes on the open side's traffic (and shadows, if any). See
 * docs/routing.md for the statistics.
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
        double c = rule.confidence();
        double tStar = rule.tightestAtUnits();
        MigrationEvidence.SideStats open = evidence.open();
        MigrationEvidence.SideStats closed = evidence.closed();
        // At a 100% stage nobody is served by the closed deployment: only the open side and shadows can be measured.
        boolean allOpen = plan.stagesPercent().get(Math.min(state.stageIndex(), plan.lastStage())) >= 100;
        boolean bothSidesMeasured = !allOpen && open.requests() >= rule.minSamples()
                && closed.requests() >= rule.minSamples();
        boolean trafficMeasured = allOpen ? open.requests() >= rule.minSamples() : bothSidesMeasured;

        Bound errors = null;
        if (bothSidesMeasured) {
            errors = ConfidenceSequence.proportionDifference(open.errors(), open.requests(), closed.errors(),
                    closed.requests(), c, tStar);
            if (errors.lower() > rule.maxErrorRateIncrease()) {
                return new MigrationVerdict.Rollback("error rate " + Fmt.percent(open.errorRate()) + " open vs "
                        + Fmt.percent(closed.errorRate()) + " closed: increase at least +" + Fmt.pp(errors.lower())
                        + " at " + Fmt.percent(c) + " > allowed +" + Fmt.pp(rule.maxErrorRateIncrease()));
            }
            for (double q : LATENCY_QUANTILES) {
                String latency = latencyRegression(q, open, closed, rule);
                if (latency != null) {
                    return new MigrationVerdict.Rollback(latency);
                }
            }
        }
        Bound feedback = !allOpen && evidence.feedbackOpen().count() >= rule.minSamples()
                && evidence.feedbackClosed().count() >= rule.minSamples()
                ? ConfidenceSequence.meanDifference(evidence.feedbackOpen(), evidence.feedbackClosed(), c, tStar)
                : null;
        Bound shadow = evidence.shadow().byUser().count() >= rule.minSamples()
                ? ConfidenceSequence.meanAbove(evidence.shadow().byUser(), 0.5, c, tStar)
                : null;
        if (feedback != null && feedback.upper() < -rule.feedbackMargin()) {
            return new MigrationVerdict.Rollback("feedback inferior: "
                    + describe(feedback, rule.feedbackMargin(), c));
        }
        if (shadow != null && shadow.upper() < -rule.winRateMargin()) {
            return new MigrationVerdict.Rollback("shadow comparisons inferior: "
                    + describe(shadow, rule.winRateMargin(), c));
        }

        if (!trafficMeasured) {
            return new MigrationVerdict.Stay(allOpen
                    ? "waiting for traffic: open " + open.requests() + " of " + rule.minSamples() + " requests"
                    : "waiting for traffic: open " + open.requests() + ", closed " + closed.requests() + " of "
                            + rule.minSamples() + " requests each");
        }
        if (!allOpen && feedback == null && shadow == null) {
            return new MigrationVerdict.Stay("waiting for quality evidence: feedback from "
                    + evidence.feedbackOpen().count() + "/" + evidence.feedbackClosed().count() + " users, shadow "
                    + evidence.shadow().byUser().count() + " users, of " + rule.minSamples() + " each");
        }
        if (feedback != null && !(feedback.lower() > -rule.feedbackMargin())) {
            return new MigrationVerdict.Stay("feedback not yet non-inferior: "
                    + describe(feedback, rule.feedbackMargin(), c));
        }
        if (shadow != null && !(shadow.lower() > -rule.winRateMargin())) {
            return new MigrationVerdict.Stay("shadow comparisons not yet non-inferior: "
                    + describe(shadow, rule.winRateMargin(), c));
        }
        if (errors != null && errors.estimate() > rule.maxErrorRateIncrease()) {
            return new MigrationVerdict.Stay("error rate " + Fmt.percent(open.errorRate()) + " open vs "
                    + Fmt.percent(closed.errorRate()) + " closed: +" + Fmt.pp(errors.estimate()) + " above allowed +"
                    + Fmt.pp(rule.maxErrorRateIncrease()) + ", not yet conclusive");
        }
        if (!allOpen) {
            for (double q : LATENCY_QUANTILES) {
                double o = open.latencyMs(q);
                double k = closed.latencyMs(q);
                if (k > 0 && o > rule.maxLatencyRatio() * k) {
                    return new MigrationVerdict.Stay("latency " + name(q) + " " + Math.round(o) + " ms open vs "
                            + Math.round(k) + " ms closed above ratio " + Fmt.two(rule.maxLatencyRatio())
                            + ", not yet conclusive");
                }
            }
        }
        Instant due = state.since().plus(rule.minStageDuration());
        if (now.isBefore(due)) {
            return new MigrationVerdict.Stay("evidence sufficient; stage runs until " + due);
        }
        String why;
        if (allOpen) {
            why = "open served " + open.requests() + " requests at 100% (error rate " + Fmt.percent(open.errorRate())
                    + ")" + (shadow != null ? "; shadow " + describe(shadow, rule.winRateMargin(), c) : "");
        } else {
            why = "non-inferior at " + Fmt.percent(c) + ": "
                    + (feedback != null ? "feedback " + describe(feedback, rule.feedbackMargin(), c) : "")
                    + (feedback != null && shadow != null ? "; " : "")
                    + (shadow != null ? "shadow " + describe(shadow, rule.winRateMargin(), c) : "")
                    + "; errors +" + Fmt.pp(errors.estimate());
        }
        if (state.stageIndex() >= plan.lastStage()) {
            return new MigrationVerdict.Promote(plan.lastStage(), true, "complete: " + why);
        }
        return new MigrationVerdict.Promote(state.stageIndex() + 1, false, why);
    }

    private static final double[] LATENCY_QUANTILES = {0.5, 0.95};

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

    /**
     * A latency regression shown at confidence: the open side's quantile is above {@code maxLatencyRatio} times the
     * closed side's even at the open's lower and the closed's upper anytime-valid order-statistic bound.
     */
    private static String latencyRegression(double q, MigrationEvidence.SideStats open,
                                            MigrationEvidence.SideStats closed, PromotionRule rule) {
        if (open.latencyMsPercentiles().isEmpty() || closed.latencyMsPercentiles().isEmpty()
                || open.successes() < rule.minSamples() || closed.successes() < rule.minSamples()) {
            return null;
        }
        double openLower = open.latencyMs(q - ConfidenceSequence.quantileBand(open.successes(), q,
                rule.confidence(), rule.tightestAtUnits()));
        double closedUpper = closed.latencyMs(q + ConfidenceSequence.quantileBand(closed.successes(), q,
                rule.confidence(), rule.tightestAtUnits()));
        if (closedUpper > 0 && openLower > rule.maxLatencyRatio() * closedUpper) {
            return "latency " + name(q) + " " + Math.round(open.latencyMs(q)) + " ms open vs "
                    + Math.round(closed.latencyMs(q)) + " ms closed: at least " + Math.round(openLower)
                    + " vs at most " + Math.round(closedUpper) + " ms at " + Fmt.percent(rule.confidence())
                    + ", ratio " + Fmt.two(openLower / closedUpper) + " > " + Fmt.two(rule.maxLatencyRatio());
        }
        return null;
    }

    private static String name(double q) {
        return "p" + Math.round(q * 100);
    }

    private static String describe(Bound b, double margin, double confidence) {
        return "diff " + Fmt.three(b.estimate()) + ", " + Fmt.percent(confidence) + " anytime bounds ["
                + Fmt.three(b.lower()) + ", " + Fmt.three(b.upper()) + "], margin -" + Fmt.three(margin) + ", "
                + b.samples();
    }
}
