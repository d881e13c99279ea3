package dev.llmgateway.gateway.metering;

import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.gateway.providers.UpstreamHttp;
import dev.llmgateway.metering.UsageEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
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
                          java.util.Optional<dev.llmgateway.engine.LocalEngine> engine, java.util.function.LongSupplier deadLetteredElsewhere) {
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
                    }).tag("deployment", d).description("0 closed, 1 half-open, 2 open")
                    // The supplier lambda is referenced by nothing else: held weakly, it was collected and read NaN.
                    .strongReference(true).register(registry);
        }
        Gauge.builder("gateway_usage_journal_unstored_records", metering, m -> m.journal().unstoredRecords())
                .description("usage records durable in the journal but not yet in PostgreSQL").register(registry);
        Gauge.builder("gateway_usage_journal_bytes", metering, m -> m.journal().totalBytes()).register(registry);
        Gauge.builder("gateway_usage_journal_max_bytes", metering, m -> m.journal().maxTotalBytes()).register(registry);
        Gauge.builder("gateway_usage_writer_failures", metering, m -> m.writer().failures())
                .description("failed attempts to write usage batches to PostgreSQL").register(registry);
        Gauge.builder("gateway_usage_journal_accepting", metering, m -> m.journalFull() ? 0 : 1)
                .description("1 while the usage journal takes records; 0 while requests are refused (full or write failure)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gateway_usage_journal_write_failures_total", metering, m -> m.journal().writeFailures())
                .description("usage journal write or fsync failures").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gateway_metering_unavailable_total", metering, Metering::refusedRequests)
                .description("requests refused (or answers withheld) with 503 metering_unavailable").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gateway_unmetered_answers_total", metering, Metering::unmeteredAnswers)
                .description("answers served without a usage record (gateway.on-journal-failure=serve-unmetered)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gateway_dead_letters_total", metering,
                        m -> m.writer().deadLettered() + deadLetteredElsewhere.getAsLong())
                .description("records PostgreSQL refused and that were set aside as dead letters (usage and ledger)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gateway_dead_letter_file_records_total", metering,
                        m -> m.writer().deadLetters().fileRecords())
                .description("dead letters written to the dead-letter file because PostgreSQL refused even the dead-letter row").register(registry);
    }

    /**
     * Connection-pool gauges of the named HTTP providers, read from whatever {@link Backends} is current (a reload swaps
     * them): calls holding a connection, calls waiting for one, the limits, and capacity rejections by reason. Safe to
     * call again after a reload: meters already registered are kept.
     */
    public void registerPools(java.util.function.Supplier<Backends> backends, Iterable<String> providers) {
        for (String p : providers) {
            java.util.function.Function<java.util.function.ToDoubleFunction<UpstreamHttp>, java.util.function.Supplier<Number>> read =
                    f -> () -> {
                        UpstreamHttp h = backends.get().pools().get(p);
                        return h == null ? Double.NaN : f.applyAsDouble(h);
                    };
            Gauge.builder("gateway_upstream_pool_in_use", read.apply(UpstreamHttp::inUse)).tag("provider", p)
                    .description("calls holding a pooled connection (HTTP/1.1) or stream (HTTP/2)").register(registry);
            Gauge.builder("gateway_upstream_pool_waiting", read.apply(UpstreamHttp::waiting)).tag("provider", p)
                    .description("calls waiting for a pooled connection").register(registry);
            Gauge.builder("gateway_upstream_pool_max_connections", read.apply(h -> h.limits().maxConnections())).tag("provider", p)
                    .register(registry);
            Gauge.builder("gateway_upstream_pool_max_waiting", read.apply(h -> h.limits().maxWaiting())).tag("provider", p)
                    .register(registry);
            // Function counters hold their object weakly: this (kept by the runtime) rather than a lone lambda.
            FunctionCounter.builder("gateway_upstream_pool_rejected", this, m -> rejected(backends.get(), p, true))
                    .tag("provider", p).tag("reason", "queue_full").description("calls answered 503 gateway_capacity").register(registry);
            FunctionCounter.builder("gateway_upstream_pool_rejected", this, m -> rejected(backends.get(), p, false))
                    .tag("provider", p).tag("reason", "wait_timeout").description("calls answered 503 gateway_capacity").register(registry);
        }
    }

    private static double rejected(Backends backends, String provider, boolean queueFull) {
        UpstreamHttp h = backends.pools().get(provider);
        if (h == null) return 0;
        return queueFull ? h.rejectedQueueFull() : h.rejectedWaitTimeout();
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
