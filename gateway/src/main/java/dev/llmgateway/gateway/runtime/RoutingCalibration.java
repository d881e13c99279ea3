package dev.llmgateway.gateway.runtime;

import dev.llmgateway.metering.RoutingCalibrationStore;
import dev.llmgateway.routing.ComplexityCalibrator;
import dev.llmgateway.routing.OutputTokenEstimates;
import dev.llmgateway.routing.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * What routing learns from traffic, shared by all replicas through PostgreSQL: complexity calibration windows (published
 * and merged every 10 s) and observed output tokens per deployment (re-read every minute), so every replica routes with
 * the same numbers.
 */
public final class RoutingCalibration {
    private static final Logger LOG = Logger.getLogger(RoutingCalibration.class);
    /** Other replicas' windows count while they were published within this time (a stopped replica fades out). */
    private static final Duration CALIBRATION_FRESH = Duration.ofMinutes(5);

    private final RoutingCalibrationStore store;
    private final String replica;
    private final Supplier<Router> router;
    private final Map<ComplexityCalibrator, Boolean> seeded = Collections.synchronizedMap(new WeakHashMap<>());
    private volatile OutputTokenEstimates outputTokens = OutputTokenEstimates.none();

    RoutingCalibration(RoutingCalibrationStore store, String replica, Supplier<Router> router) {
        this.store = store;
        this.replica = replica;
        this.router = router;
    }

    /**
     * Publishes each complexity route's calibration window of {@code current} and places its cut on all fresh replicas'
     * windows. Fresh calibrators are first refilled: from {@code previous}'s window (a reload, in this process), else
     * from this replica's stored row, so calibration survives reloads and restarts.
     */
    synchronized void share(Router current, Router previous) {
        Instant now = Instant.now();
        for (String route : current.routeNames()) {
            var calibrator = current.calibrator(route);
            if (calibrator.isEmpty()) continue;
            try {
                if (!seeded.containsKey(calibrator.get())) {
                    var before = previous == null ? Optional.<ComplexityCalibrator>empty() : previous.calibrator(route);
                    Optional<int[]> counts = before.isPresent() ? Optional.of(before.get().counts()) : store.own(route, replica);
                    counts.ifPresent(calibrator.get()::seed);
                    seeded.put(calibrator.get(), Boolean.TRUE);
                }
                store.publish(route, replica, calibrator.get().counts(), now);
                calibrator.get().useOthers(store.others(route, replica, now.minus(CALIBRATION_FRESH))
                        .orElseGet(() -> new int[ComplexityCalibrator.BINS]));
            } catch (RuntimeException e) {
                LOG.warnf("sharing the complexity calibration of route %s failed: %s", route, e.getMessage());
            }
        }
    }

    /** Shares complexity calibration of the current router with the other replicas now (it also runs every 10 s). */
    public void shareNow() { share(router.get(), null); }

    /** Re-reads the mean output tokens per deployment over the last day (at least 20 answers each) now (also every minute). */
    public void refreshOutputTokens() {
        outputTokens = OutputTokenEstimates.of(store.meanOutputTokens(Instant.now().minus(Duration.ofDays(1)), 20));
    }

    /** Observed output tokens currently used by cost_quality routing. */
    public OutputTokenEstimates outputTokens() { return outputTokens; }
}
