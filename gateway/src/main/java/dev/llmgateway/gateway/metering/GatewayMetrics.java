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
 * Prometheus metrics of the gateway's own domain (Quarkus adds JVM metrics; its per-response HTTP server timers are off): requests, latency and
 * time to first token per route and deployment, tokens, money, circuit states and usage-journal lag.
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;

    public GatewayMetrics(MeterRegistry registry, java.util.function.Supplier<CircuitBreakers> breakers, Metering metering, Iterable<String> deployments,
                          java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> engine, java.util.function.LongSupplier deadLetteredElsewhere) {
        this.registry = registry;
        engine.ifPresent(e -> {
            for (String model : e.states().keySet()) {
                Gauge.builder("gateway_engine_busy_slots", e, x -> x.stats(model).map(s -> s.busySlots()).orElse(0)).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_slots", e, x -> x.stats(model).map(s -> s.slots()).orElse(0)).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_queue_depth", e, x -> x.stats(model).map(s -> s.queued()).orElse(0)).tag("deployment", model).register(registry);
                Gauge.builder("gateway_engine_loaded", e, x -> x.stats(model).map(s -> s.loaded() ? 1 : 0).orElse(0)).tag("deployment", model).register(registry);
                // 1 while the model is missing, corrupt or not downloaded (its deployment answers 503 model_unavailable).
                Gauge.builder("gateway_engine_model_unavailable", e, x -> x.unavailableReason(model).isPresent() ? 1 : 0).tag("deployment", model).register(registry);
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
        Gauge.builder("gateway_usage_journal_unsynced_records", metering, m -> m.journal().unsyncedRecords())
                .description("usage records written to the journal but not yet fsynced (process durability; 0 in machine durability)").register(registry);
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

    /** The meters one request touches, by the labels they share; built once per label combination. */
    private record MeterKey(String route, String deployment, int status, String team) {}

    private final class RequestMeters {
        final Counter requests, prompt, completion, teamCharge, providerCost;
        final Timer duration;
        private final MeterKey key;
        private volatile Timer ttft; // only for routes that stream: an empty histogram per non-streaming route is noise

        RequestMeters(MeterKey k) {
            key = k;
            requests = Counter.builder("gateway_requests_total").tag("route", k.route()).tag("deployment", k.deployment())
                    .tag("status", Integer.toString(k.status())).register(registry);
            duration = Timer.builder("gateway_request_duration").tag("route", k.route()).tag("deployment", k.deployment())
                    .publishPercentileHistogram().register(registry);
            prompt = Counter.builder("gateway_tokens_total").tag("deployment", k.deployment()).tag("kind", "prompt").register(registry);
            completion = Counter.builder("gateway_tokens_total").tag("deployment", k.deployment()).tag("kind", "completion").register(registry);
            // Exported as micro-USD (a double: Prometheus counters are approximate; the exact figures are in PostgreSQL).
            teamCharge = Counter.builder("gateway_team_charge_micros_usd_total").tag("team", k.team()).tag("deployment", k.deployment())
                    .register(registry);
            providerCost = Counter.builder("gateway_provider_cost_micros_usd_total").tag("deployment", k.deployment()).register(registry);
        }

        Timer ttft() {
            Timer t = ttft;
            if (t == null) {
                t = Timer.builder("gateway_time_to_first_token").tag("route", key.route()).tag("deployment", key.deployment())
                        .publishPercentileHistogram().register(registry);
                ttft = t;
            }
            return t;
        }
    }

    private final java.util.concurrent.ConcurrentHashMap<MeterKey, RequestMeters> requestMeters = new java.util.concurrent.ConcurrentHashMap<>();

    /** Records one finished, metered request (a map look-up, not a registry look-up per meter). */
    public void record(UsageEvent e) {
        RequestMeters m = requestMeters.computeIfAbsent(new MeterKey(e.route(), e.deployment(), e.httpStatus(), e.teamId()), RequestMeters::new);
        m.requests.increment();
        m.duration.record(e.latencyMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (e.ttftMs() != null) m.ttft().record(e.ttftMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        m.prompt.increment(e.promptTokens());
        m.completion.increment(e.completionTokens());
        m.teamCharge.increment(e.teamChargeMicros().micros().doubleValue());
        m.providerCost.increment(e.providerCostMicros().micros().doubleValue());
    }
}
