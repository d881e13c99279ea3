package dev.llmgateway.gateway.migration;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.metering.DeploymentClass;
import dev.llmgateway.metering.MigrationEvidenceQueries;
import dev.llmgateway.metering.MigrationStore;
import dev.llmgateway.metering.ShadowStore;
import dev.llmgateway.metering.StoredMigrationState;
import dev.llmgateway.metering.StoredMigrationTransition;
import dev.llmgateway.metering.UsageQueries;
import dev.llmgateway.routing.MigrationEvidence;
import dev.llmgateway.routing.MigrationMachine;
import dev.llmgateway.routing.MigrationState;
import dev.llmgateway.routing.MigrationStates;
import dev.llmgateway.routing.MigrationStatus;
import dev.llmgateway.routing.MigrationTransition;
import dev.llmgateway.routing.MigrationVerdict;
import dev.llmgateway.routing.Policy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Closed-to-open migrations: their state lives in PostgreSQL (so it survives restarts and is shared by replicas), the
 * routing library decides what a state means and when it changes. Requests read an in-memory snapshot; it is
 * refreshed after every change here and periodically to pick up other replicas' changes. All methods here block.
 */
public final class Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class);

    private volatile GatewayConfig config;
    private final MigrationStore store;
    private final MigrationEvidenceQueries evidenceQueries;
    private final Map<String, Instant> lastEvaluated = new java.util.concurrent.ConcurrentHashMap<>();
    private final UsageQueries usage;
    private final Clock clock;
    private volatile Map<String, MigrationState> snapshot = Map.of();

    public Migrations(GatewayConfig config, DataSource db, ShadowStore shadow, Clock clock) {
        this.config = config;
        this.store = new MigrationStore(db);
        this.evidenceQueries = new MigrationEvidenceQueries(db);
        this.usage = new UsageQueries(db);
        this.clock = clock;
        refresh();
    }

    /** Uses a reloaded configuration (stored states of routes that stay migrations keep their stage; new ones start now). */
    public void reconfigure(GatewayConfig next) {
        this.config = next;
        refresh();
    }

    /** A manual operation on a migration. */
    public enum Operation { PROMOTE, PAUSE, RESUME, ROLLBACK, PIN }

    /** Outcome of an operation: the new state, or why it was refused. */
    public sealed interface Result {
        record Changed(MigrationState state) implements Result {}

        record Refused(String message) implements Result {}

        record NotAMigration(String route) implements Result {}
    }

    /** The routes whose policy is a migration, with their plans. */
    public Map<String, Policy.Migration> plans() {
        Map<String, Policy.Migration> out = new LinkedHashMap<>();
        config.routes().values().stream().sorted(java.util.Comparator.comparing(dev.llmgateway.routing.Route::name))
                .forEach(r -> {
                    if (r.policy() instanceof Policy.Migration m) out.put(r.name(), m);
                });
        return out;
    }

    /** What routing sees: the latest snapshot. */
    public MigrationStates states() {
        Map<String, MigrationState> s = snapshot;
        return MigrationStates.of(s);
    }

    /**
     * Reloads the stored states, first storing the start of every configured migration that has none yet: the stage's
     * evidence window begins when the route is first seen, not at each read. The insert succeeds for exactly one
     * replica (a second one finds the row and keeps it), so the history shows one START.
     */
    public void refresh() {
        Map<String, MigrationState> next = new LinkedHashMap<>();
        for (StoredMigrationState s : store.loadAll()) next.put(s.route(), toRouting(s));
        boolean started = false;
        for (String route : plans().keySet()) {
            if (next.containsKey(route)) continue;
            started |= startStored(route);
        }
        if (started) {
            next.clear();
            for (StoredMigrationState s : store.loadAll()) next.put(s.route(), toRouting(s));
        }
        snapshot = Map.copyOf(next);
    }

    private boolean startStored(String route) {
        Policy.Migration plan = plans().get(route);
        MigrationState start = MigrationMachine.start(route, clock.instant());
        MigrationTransition t = start.history().get(0);
        String reason = "migration started at stage 1 (" + plan.stagesPercent().get(0) + "% open)";
        StoredMigrationState s = new StoredMigrationState(route, 0, StoredMigrationState.Status.ACTIVE, start.since(), 0);
        StoredMigrationTransition st = new StoredMigrationTransition(route, 0, 0, StoredMigrationTransition.Kind.START, reason,
                t.at(), StoredMigrationTransition.Actor.AUTO);
        boolean stored = store.save(s, st) == MigrationStore.SaveResult.OK;
        if (stored) LOG.infof("Migration of route %s: %s", route, reason);
        return stored;
    }

    /** The current state of a migrating route (its start is stored the first time it is seen). */
    public MigrationState state(String route) {
        Optional<StoredMigrationState> stored = store.load(route);
        if (stored.isEmpty() && plans().containsKey(route)) {
            startStored(route);
            stored = store.load(route);
        }
        return stored.map(Migrations::toRouting).orElseGet(() -> MigrationMachine.start(route, clock.instant()));
    }

    public List<StoredMigrationTransition> history(String route) { return store.history(route, 200); }

    /** Evidence for the current stage, gathered since the stage began; feedback and shadows clustered per end user. */
    public MigrationEvidence evidence(String route, MigrationState state) {
        return evidence(route, state.stageIndex(), state.since(), clock.instant());
    }

    /** Evidence of the route in {@code from <= time < to}, labelled as stage {@code stageIndex}. */
    public MigrationEvidence evidence(String route, int stageIndex, Instant from, Instant to) {
        Policy.Migration plan = plans().get(route);
        List<MigrationEvidenceQueries.UserScores> scores = evidenceQueries.feedbackByUser(route, from, to);
        MigrationEvidenceQueries.OrientedShadow sh = plan == null ? MigrationEvidenceQueries.OrientedShadow.NONE
                : evidenceQueries.shadowByUser(route, plan.from(), plan.to(), from, to);
        List<MigrationEvidenceQueries.Traffic> traffic = evidenceQueries.traffic(route, from, to);
        return new MigrationEvidence(stageIndex, userScores(scores, DeploymentClass.OPEN),
                userScores(scores, DeploymentClass.CLOSED),
                new MigrationEvidence.ShadowTally(sh.wins(), sh.ties(), sh.losses(), new MigrationEvidence.ScoreStats(sh.users(),
                        sh.sumOfUserMeans(), sh.sumOfSquaredUserMeans(), sh.wins() + sh.ties() + sh.losses())),
                side(traffic, DeploymentClass.OPEN), side(traffic, DeploymentClass.CLOSED));
    }

    /**
     * One period of a migration between two stored transitions: the stage and status it ran at, its evidence, and
     * the transition that ended it (empty for the current period).
     */
    public record Period(int stageIndex, MigrationStatus status, int openPercent, Instant from, Instant to,
                         MigrationEvidence evidence, Optional<StoredMigrationTransition> endedBy) {}

    /** What {@link #report} returns: the periods oldest first, the decision the rule would take now, open share per bucket. */
    public record Report(String route, Policy.Migration plan, MigrationState state, List<Period> periods,
                         List<StoredMigrationTransition> trail, MigrationVerdict nextDecision,
                         MigrationEvidenceQueries.BucketUnit shareUnit, List<MigrationEvidenceQueries.ShareBucket> openShare,
                         Optional<dev.llmgateway.metering.MicroUsd> savingsMicros) {}

    /** The route's migration report, or empty when it is not a migration. */
    public Optional<Report> report(String route) {
        Policy.Migration plan = plans().get(route);
        if (plan == null) return Optional.empty();
        MigrationState state = state(route);
        List<StoredMigrationTransition> trail = store.history(route, 1000);
        Instant now = clock.instant();
        List<Period> periods = new java.util.ArrayList<>();
        for (int i = 0; i < trail.size(); i++) {
            StoredMigrationTransition t = trail.get(i);
            Optional<StoredMigrationTransition> end = i + 1 < trail.size() ? Optional.of(trail.get(i + 1)) : Optional.empty();
            Instant to = end.map(StoredMigrationTransition::at).orElse(now);
            MigrationStatus status = statusAfter(t.kind());
            MigrationState during = new MigrationState(route, t.toStage(), status, t.at(), List.of());
            periods.add(new Period(t.toStage(), status, during.openPercent(plan), t.at(), to,
                    evidence(route, t.toStage(), t.at(), to), end));
        }
        Instant start = trail.isEmpty() ? state.since() : trail.get(0).at();
        Duration span = Duration.between(start, now);
        MigrationEvidenceQueries.BucketUnit unit = span.compareTo(Duration.ofHours(3)) <= 0 ? MigrationEvidenceQueries.BucketUnit.MINUTE
                : span.compareTo(Duration.ofDays(4)) <= 0 ? MigrationEvidenceQueries.BucketUnit.HOUR : MigrationEvidenceQueries.BucketUnit.DAY;
        MigrationVerdict next = MigrationMachine.evaluate(plan, state, evidence(route, state), now);
        return Optional.of(new Report(route, plan, state, periods, trail, next, unit,
                evidenceQueries.openShare(route, start, now.plusMillis(1), unit), savingsMicros(route)));
    }

    /** The status a migration has after a transition of this kind. */
    static MigrationStatus statusAfter(StoredMigrationTransition.Kind kind) {
        return switch (kind) {
            case START, PROMOTE, AUTO_PROMOTE, RESUME -> MigrationStatus.ACTIVE;
            case PAUSE -> MigrationStatus.PAUSED;
            case PIN -> MigrationStatus.PINNED;
            case ROLLBACK, AUTO_ROLLBACK -> MigrationStatus.ROLLED_BACK;
            case COMPLETE -> MigrationStatus.COMPLETED;
        };
    }

    /** Money the route saved against its closed baseline, all time, exactly; empty when no request has a priced baseline. */
    public java.util.Optional<dev.llmgateway.metering.MicroUsd> savingsMicros(String route) {
        java.util.Optional<dev.llmgateway.metering.MicroUsd> saved = java.util.Optional.empty();
        for (UsageQueries.Saving s : usage.savings(UsageQueries.Filter.all().route(route), UsageQueries.Period.MONTH)) {
            if (s.savingMicros().isEmpty()) continue;
            saved = java.util.Optional.of(saved.orElse(dev.llmgateway.metering.MicroUsd.ZERO).plus(s.savingMicros().get()));
        }
        return saved;
    }

    public Result act(String route, Operation op, String reason) { return act(route, op, reason, -1); }

    /** {@code stage} is used by {@link Operation#PIN} only (0-based index into the route's stages). */
    public Result act(String route, Operation op, String reason, int stage) {
        Policy.Migration plan = plans().get(route);
        if (plan == null) return new Result.NotAMigration(route);
        Instant now = clock.instant();
        Optional<StoredMigrationState> stored = store.load(route);
        if (stored.isEmpty()) {
            startStored(route);
            stored = store.load(route);
        }
        MigrationState current = stored.map(Migrations::toRouting).orElseGet(() -> MigrationMachine.start(route, now));
        long version = stored.map(StoredMigrationState::version).orElse(0L);
        MigrationState next;
        try {
            next = switch (op) {
                case PROMOTE -> MigrationMachine.promote(plan, current, reason, now);
                case PAUSE -> MigrationMachine.pause(current, reason, now);
                case RESUME -> MigrationMachine.resume(current, reason, now);
                case ROLLBACK -> MigrationMachine.rollback(current, reason, now);
                case PIN -> MigrationMachine.pin(plan, current, stage, reason, now);
            };
        } catch (IllegalStateException | IllegalArgumentException e) {
            return new Result.Refused(e.getMessage());
        }
        return save(next, version, StoredMigrationTransition.Actor.ADMIN);
    }

    /**
     * Applies the promotion rule to every active migration whose {@code evaluation_interval} has elapsed since this
     * replica last evaluated it (call it often; it does nothing for routes not yet due); returns the routes that changed.
     */
    public List<String> evaluateDue() {
        Instant now = clock.instant();
        Map<String, Policy.Migration> due = new LinkedHashMap<>();
        plans().forEach((route, plan) -> {
            Instant last = lastEvaluated.get(route);
            if (last == null || !now.isBefore(last.plus(plan.rule().evaluationInterval()))) {
                due.put(route, plan);
                lastEvaluated.put(route, now);
            }
        });
        return evaluate(due);
    }

    /** Applies the promotion rule to every active migration now; returns the routes that changed. */
    public List<String> evaluateAll() {
        return evaluate(plans());
    }

    private List<String> evaluate(Map<String, Policy.Migration> plans) {
        List<String> changed = new java.util.ArrayList<>();
        for (var e : plans.entrySet()) {
            String route = e.getKey();
            Optional<StoredMigrationState> stored = store.load(route);
            if (stored.isEmpty()) {
                startStored(route);
                stored = store.load(route);
                if (stored.isEmpty()) continue;
            }
            MigrationState state = toRouting(stored.get());
            if (state.status() != MigrationStatus.ACTIVE) continue;
            MigrationVerdict verdict = MigrationMachine.evaluate(e.getValue(), state, evidence(route, state), clock.instant());
            if (verdict instanceof MigrationVerdict.Stay) continue;
            MigrationState next = MigrationMachine.apply(e.getValue(), state, verdict, clock.instant());
            if (save(next, stored.map(StoredMigrationState::version).orElse(0L), StoredMigrationTransition.Actor.AUTO) instanceof Result.Changed) {
                LOG.infof("Migration of route %s: %s", route, verdict.reason());
                changed.add(route);
            }
        }
        return changed;
    }

    private Result save(MigrationState next, long version, StoredMigrationTransition.Actor actor) {
        MigrationTransition t = next.history().get(next.history().size() - 1);
        StoredMigrationState s = new StoredMigrationState(next.route(), next.stageIndex(),
                StoredMigrationState.Status.valueOf(next.status().name()), next.since(), version);
        StoredMigrationTransition st = new StoredMigrationTransition(next.route(), t.from(), t.to(),
                StoredMigrationTransition.Kind.valueOf(t.kind().name()), t.reason(), t.at(), actor);
        if (store.save(s, st) == MigrationStore.SaveResult.CONFLICT) {
            refresh();
            return new Result.Refused("the migration of '" + next.route() + "' was changed concurrently; reload and try again");
        }
        refresh();
        return new Result.Changed(next);
    }

    static MigrationState toRouting(StoredMigrationState s) {
        return new MigrationState(s.route(), s.stageIndex(), MigrationStatus.valueOf(s.status().name()), s.since(), List.of());
    }

    private static MigrationEvidence.ScoreStats userScores(List<MigrationEvidenceQueries.UserScores> all, DeploymentClass c) {
        // The statistics are approximate by nature (doubles); the exact scores stay in PostgreSQL.
        return all.stream().filter(u -> u.side() == c && u.users() > 0).findFirst()
                .map(u -> new MigrationEvidence.ScoreStats(u.users(), u.sumOfUserMeans(), u.sumOfSquaredUserMeans(), u.scores()))
                .orElse(MigrationEvidence.ScoreStats.NONE);
    }

    private static MigrationEvidence.SideStats side(List<MigrationEvidenceQueries.Traffic> traffic, DeploymentClass c) {
        return traffic.stream().filter(t -> t.side() == c).findFirst()
                .map(t -> new MigrationEvidence.SideStats(t.requests(), t.errors(), t.latencyMsPercentiles()))
                .orElse(MigrationEvidence.SideStats.NONE);
    }
}
