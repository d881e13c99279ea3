package dev.llmgateway.gateway.migration;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.metering.FeedbackStore;
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
    private final FeedbackStore feedback;
    private final ShadowStore shadow;
    private final UsageQueries usage;
    private final Clock clock;
    private volatile Map<String, MigrationState> snapshot = Map.of();

    public Migrations(GatewayConfig config, DataSource db, ShadowStore shadow, Clock clock) {
        this.config = config;
        this.store = new MigrationStore(db);
        this.feedback = new FeedbackStore(db);
        this.shadow = shadow;
        this.usage = new UsageQueries(db);
        this.clock = clock;
        refresh();
    }

    /** Uses a reloaded configuration (stored states of routes that stay migrations keep their stage). */
    public void reconfigure(GatewayConfig next) { this.config = next; }

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

    public void refresh() {
        Map<String, MigrationState> next = new LinkedHashMap<>();
        for (StoredMigrationState s : store.loadAll()) next.put(s.route(), toRouting(s));
        snapshot = Map.copyOf(next);
    }

    /** The current state of a migrating route (a fresh start when nothing is stored yet). */
    public MigrationState state(String route) {
        return store.load(route).map(Migrations::toRouting).orElseGet(() -> MigrationMachine.start(route, clock.instant()));
    }

    public List<StoredMigrationTransition> history(String route) { return store.history(route, 200); }

    /** Evidence for the current stage, gathered since the stage began. */
    public MigrationEvidence evidence(String route, MigrationState state) {
        Instant from = state.since();
        Instant to = clock.instant();
        var scores = feedback.aggregate(route, from, to, FeedbackStore.SideBy.DEPLOYMENT_CLASS);
        var open = scores.stream().filter(a -> a.side().equals("open")).findFirst();
        var closed = scores.stream().filter(a -> a.side().equals("closed")).findFirst();
        ShadowStore.Tally tally = shadow.tally(route, from, to);
        var traffic = shadow.sideTraffic(route, from, to, false);
        return new MigrationEvidence(state.stageIndex(), scoreStats(open), scoreStats(closed),
                new MigrationEvidence.ShadowTally(tally.wins(), tally.ties(), tally.losses()),
                side(traffic, dev.llmgateway.metering.DeploymentClass.OPEN), side(traffic, dev.llmgateway.metering.DeploymentClass.CLOSED));
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

    /** Applies the promotion rule to every active migration; returns the routes that changed. */
    public List<String> evaluateAll() {
        List<String> changed = new java.util.ArrayList<>();
        for (var e : plans().entrySet()) {
            String route = e.getKey();
            Optional<StoredMigrationState> stored = store.load(route);
            MigrationState state = stored.map(Migrations::toRouting).orElseGet(() -> MigrationMachine.start(route, clock.instant()));
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

    private static MigrationEvidence.ScoreStats scoreStats(Optional<FeedbackStore.ScoreAggregate> a) {
        if (a.isEmpty() || a.get().count() == 0) return MigrationEvidence.ScoreStats.NONE;
        // The statistics are approximate by nature; the exact sums stay in PostgreSQL.
        return new MigrationEvidence.ScoreStats(a.get().count(), a.get().sumBp() / 10_000.0, a.get().sumOfSquaresBp() / 100_000_000.0);
    }

    private static MigrationEvidence.SideStats side(List<ShadowStore.SideTraffic> traffic, dev.llmgateway.metering.DeploymentClass c) {
        return traffic.stream().filter(t -> t.deploymentClass() == c).findFirst()
                .map(t -> new MigrationEvidence.SideStats(t.requests(), t.errors(), t.latencyMsP50(), t.latencyMsP95()))
                .orElse(MigrationEvidence.SideStats.NONE);
    }
}
