package dev.llmgateway.routing;

import dev.llmgateway.routing.MigrationEvidence.ScoreStats;
import dev.llmgateway.routing.MigrationEvidence.ShadowTally;
import dev.llmgateway.routing.MigrationEvidence.SideStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulated migrations for testing the decision rule (the gateway's SQL aggregation replaced by the same sums kept in
 * memory): end users arrive one after another, each sends a number of requests (most a few, some many), is sticky on
 * one side by the stage's percent, leaves thumbs-up/down feedback on some answers with a per-user bias, and sees the
 * same error rate and latency distribution on both sides. The rule is applied every {@code evaluateEveryRequests}.
 */
final class MigrationSimulator {

    /** The world a migration runs in. */
    record World(double closedQuality, double openQuality, double userEffectSd, double feedbackShare,
                 double errorRateClosed, double errorRateOpen, double latencyMedianMsClosed, double latencyMedianMsOpen,
                 int evaluateEveryRequests, long maxRequests) {
    }

    /** How a simulated migration ended. */
    enum Ending { COMPLETED, ROLLED_BACK, UNDECIDED }

    /**
     * @param rolledBackAtStage stage index at rollback, -1 otherwise
     * @param requests requests served until the end
     * @param openUsersWithFeedbackAtEnd open-side users with feedback in the last stage's evidence
     * @param rollbackReason the rule's reason, or empty
     */
    record Outcome(Ending ending, int stagesPromoted, int rolledBackAtStage, long requests, long openUsersWithFeedbackAtEnd,
                   String rollbackReason) {
    }

    private static final int LATENCY_BIN_MS = 25;
    private static final int LATENCY_BINS = 2000;

    private MigrationSimulator() {
    }

    static Outcome run(Policy.Migration plan, World w, long seed) {
        Random random = new Random(seed);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        MigrationState state = MigrationMachine.start("sim", t);
        Stage stage = new Stage();
        long requests = 0;
        long sinceEvaluation = 0;
        int promoted = 0;
        while (requests < w.maxRequests()) {
            boolean open = random.nextInt(100) < state.openPercent(plan);
            int n = requestsOfOneUser(random);
            double bias = random.nextGaussian() * w.userEffectSd();
            double quality = Math.max(0, Math.min(1, (open ? w.openQuality() : w.closedQuality()) + bias));
            int feedbackCount = 0;
            double feedbackSum = 0;
            for (int i = 0; i < n; i++) {
                requests++;
                sinceEvaluation++;
                boolean error = random.nextDouble() < (open ? w.errorRateOpen() : w.errorRateClosed());
                stage.request(open, error, error ? 0
                        : (open ? w.latencyMedianMsOpen() : w.latencyMedianMsClosed()) * Math.exp(0.5 * random.nextGaussian()));
                if (!error && random.nextDouble() < w.feedbackShare()) {
                    feedbackCount++;
                    feedbackSum += random.nextDouble() < quality ? 1 : 0;
                }
            }
            if (feedbackCount > 0) {
                stage.user(open, feedbackSum / feedbackCount, feedbackCount);
            }
            if (sinceEvaluation >= w.evaluateEveryRequests()) {
                sinceEvaluation = 0;
                t = t.plusSeconds(30);
                MigrationVerdict v = MigrationMachine.evaluate(plan, state, stage.evidence(state.stageIndex()), t);
                MigrationState next = MigrationMachine.apply(plan, state, v, t);
                switch (v) {
                    case MigrationVerdict.Stay s -> {
                    }
                    case MigrationVerdict.Promote p -> {
                        promoted++;
                        if (p.completes()) {
                            return new Outcome(Ending.COMPLETED, promoted, -1, requests, stage.openUsers(), "");
                        }
                        stage = new Stage();
                    }
                    case MigrationVerdict.Rollback r -> {
                        return new Outcome(Ending.ROLLED_BACK, promoted, state.stageIndex(), requests, stage.openUsers(),
                                r.reason());
                    }
                }
                state = next;
            }
        }
        return new Outcome(Ending.UNDECIDED, promoted, -1, requests, stage.openUsers(), "");
    }

    /** Most users send a few requests, one in fifty sends many: 1 + geometric (mean 2), or 20..80. */
    private static int requestsOfOneUser(Random random) {
        if (random.nextDouble() < 0.02) {
            return 20 + random.nextInt(61);
        }
        int n = 1;
        while (random.nextDouble() < 2.0 / 3) {
            n++;
        }
        return n;
    }

    /** One stage's evidence, kept as the sums the gateway's SQL computes. */
    private static final class Stage {
        final Side open = new Side();
        final Side closed = new Side();

        void request(boolean isOpen, boolean error, double latencyMs) {
            Side s = isOpen ? open : closed;
            s.requests++;
            if (error) {
                s.errors++;
            } else {
                s.latencyBins[(int) Math.min(LATENCY_BINS - 1, latencyMs / LATENCY_BIN_MS)]++;
            }
        }

        void user(boolean isOpen, double meanScore, int scores) {
            Side s = isOpen ? open : closed;
            s.users = new ScoreStats(s.users.count() + 1, s.users.sum() + meanScore,
                    s.users.sumOfSquares() + meanScore * meanScore, s.users.observations() + scores);
        }

        long openUsers() {
            return open.users.count();
        }

        MigrationEvidence evidence(int stageIndex) {
            return new MigrationEvidence(stageIndex, open.users, closed.users, ShadowTally.NONE, open.stats(), closed.stats());
        }
    }

    private static final class Side {
        long requests;
        long errors;
        final long[] latencyBins = new long[LATENCY_BINS];
        ScoreStats users = ScoreStats.NONE;

        SideStats stats() {
            long ok = requests - errors;
            if (ok == 0) {
                return new SideStats(requests, errors, List.of());
            }
            List<Long> pct = new ArrayList<>(101);
            long seen = 0;
            int bin = 0;
            for (int p = 0; p <= 100; p++) {
                long rank = Math.max(1, (long) Math.ceil(p / 100.0 * ok));
                while (seen + latencyBins[bin] < rank) {
                    seen += latencyBins[bin];
                    bin++;
                }
                pct.add((long) bin * LATENCY_BIN_MS + LATENCY_BIN_MS / 2);
            }
            return new SideStats(requests, errors, pct);
        }
    }

    static Policy.Migration plan(int minSamples) {
        return new Policy.Migration("closed", "open", List.of(5, 25, 50, 100),
                new PromotionRule(0.05, 0.05, 0.95, minSamples, 0.01, 1.5, Duration.ZERO, Duration.ofSeconds(30)));
    }
}
