package dev.llmgateway.gateway.metering;

import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.metering.UsageEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Prometheus metrics of the gateway's own domain (Quarkus adds HTTP server and JVM metrics): requests, latency and
 * time to first token per route and deployment, tokens, money, circuit states and usage-journal lag.
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;

    public GatewayMetrics(MeterRegistry registry, java.util.function.Supplier<CircuitBreakers> breakers, Metering metering, Iterable<String> deployments,
                          java.util.Optional<dev.llmgateway.engine.LocalEngine> engine) {
        this.registry = registry;
        engine.ifPresent(e -> {
            for (String model : e.models()) {
                Gauge.builder("gateway_engine_busy_slots", e, x -> x.stats(model).busySlots()).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_slots", e, x -> x.stats(model).slots()).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_queue_depth", e, x -> x.stats(model).queued()).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_loaded", e, x -> x.stats(model).loaded() ? 1 : 0).tag("deployment", model).register(registry);
            }
        });
        for (String d : deployments) {
            Gauge.builder("gateway_circuit_state", breakers, b -> switch (b.get().state(d)) {
                        case CLOSED -> 0;
                        case HALF_OPEN -> 1;
                        case OPEN -> 2;
                    }).tag("deployment", d).description("0 closed, 1 half-open, 2 open").register(registry);
        }
        Gauge.builder("gateway_usage_journal_unstored_records", metering, m -> m.journal().unstoredRecords())
                .description("usage records durable in the journal but not yet in PostgreSQL").register(registry);
        Gauge.builder("gateway_usage_journal_bytes", metering, m -> m.journal().totalBytes()).register(registry);
        Gauge.builder("gateway_usage_journal_max_bytes", metering, m -> m.journal().maxTotalBytes()).register(registry);
        Gauge.builder("gateway_usage_writer_failures", metering, m -> m.writer().failures())
                .description("failed attempts to write usage batches to PostgreSQL").register(registry);
    }

    /** Records one finished, metered request. */
    public void record(UsageEvent e) {
        String status = Integer.toString(e.httpStatus());
        Counter.builder("gateway_requests_total").tag("route", e.route()).tag("deployment", e.deployment())
                .tag("status", status).register(registry).increment();
        Timer.builder("gateway_request_duration").tag("route", e.route()).tag("deployment", e.deployment())
                .publishPercentileHistogram().register(registry).record(Duration.ofMillis(e.latencyMs()));
        if (e.ttftMs() != null) {
            Timer.builder("gateway_time_to_first_token").tag("route", e.route()).tag("deployment", e.deployment())
                    .publishPercentileHistogram().register(registry).record(Duration.ofMillis(e.ttftMs()));
        }
        Counter.builder("gateway_tokens_total").tag("deployment", e.deployment()).tag("kind", "prompt")
                .register(registry).increment(e.promptTokens());
        Counter.builder("gateway_tokens_total").tag("deployment", e.deployment()).tag("kind", "completion")
                .register(registry).increment(e.completionTokens());
        // Exported as micro-USD (a double: Prometheus counters are approximate; the exact figures are in PostgreSQL).
        Counter.builder("gateway_team_charge_micros_usd_total").tag("team", e.teamId()).tag("deployment", e.deployment())
                .register(registry).increment(e.teamChargeMicros().micros().doubleValue());
        Counter.builder("gateway_provider_cost_micros_usd_total").tag("deployment", e.deployment())
                .register(registry).increment(e.providerCostMicros().micros().doubleValue());
    }
}
