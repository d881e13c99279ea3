package dev.llmgateway.gateway.admin;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.metering.UsageQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Deployments with their health: circuit state, and recent requests, error rate and latency from the usage records. */
@Path("/admin/deployments")
@Produces(MediaType.APPLICATION_JSON)
public class DeploymentsResource {
    @Inject dev.llmgateway.gateway.db.Database database;
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;
    @Inject java.util.Optional<dev.llmgateway.gateway.providers.embedded.EmbeddedModels> engine;

    @GET
    public Map<String, Object> list(@QueryParam("window_minutes") Integer windowMinutes) {
        int minutes = windowMinutes == null ? 15 : windowMinutes;
        if (minutes < 1 || minutes > 7 * 24 * 60) throw AdminErrors.bad("'window_minutes' must be between 1 and 10080", "window_minutes");
        Map<String, UsageQueries.DeploymentTraffic> traffic = new LinkedHashMap<>();
        for (var t : new UsageQueries(database.dataSource()).deploymentTraffic(Instant.now().minus(Duration.ofMinutes(minutes)))) {
            traffic.put(t.deployment(), t);
        }
        List<Map<String, Object>> data = new ArrayList<>();
        var snapshot = snapshots.current();
        for (GatewayConfig.Deployment d : snapshot.config().deployments().values().stream()
                .sorted(java.util.Comparator.comparing(GatewayConfig.Deployment::name)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", d.name());
            m.put("provider", d.provider());
            m.put("provider_type", snapshot.config().providers().get(d.provider()).type());
            m.put("model", d.model());
            m.put("class", d.deploymentClass().name().toLowerCase(Locale.ROOT));
            m.put("prices_usd_per_1m", Map.of("input", d.prices().inputPerMillionUsd().toPlainString(),
                    "output", d.prices().outputPerMillionUsd().toPlainString(), "cached_input", d.prices().cachedInputPerMillionUsd().toPlainString()));
            m.put("context_window", d.contextWindow());
            m.put("license", d.license().orElse(null));
            m.put("circuit", snapshot.breakers().state(d.name()).name().toLowerCase(Locale.ROOT));
            var t = traffic.get(d.name());
            Map<String, Object> recent = new LinkedHashMap<>();
            recent.put("window_minutes", minutes);
            recent.put("requests", t == null ? 0 : t.requests());
            recent.put("errors", t == null ? 0 : t.errors());
            recent.put("error_rate", t == null || t.requests() == 0 ? "0"
                    : BigDecimal.valueOf(t.errors()).divide(BigDecimal.valueOf(t.requests()), 4, RoundingMode.HALF_UP).toPlainString());
            recent.put("latency_ms_p50", t == null ? null : t.latencyMsP50());
            recent.put("latency_ms_p95", t == null ? null : t.latencyMsP95());
            m.put("recent", recent);
            m.put("available", true);
            engine.filter(e -> e.states().containsKey(d.name())).ifPresent(e -> {
                var reason = e.unavailableReason(d.name());
                m.put("available", reason.isEmpty());
                Map<String, Object> engine = new LinkedHashMap<>();
                engine.put("state", switch (e.state(d.name())) {
                    case dev.llmgateway.gateway.providers.embedded.EmbeddedModels.State.Ready r -> "ready";
                    case dev.llmgateway.gateway.providers.embedded.EmbeddedModels.State.Preparing p -> "preparing";
                    case dev.llmgateway.gateway.providers.embedded.EmbeddedModels.State.Unavailable u -> "unavailable";
                });
                reason.ifPresent(r -> engine.put("reason", r));
                e.stats(d.name()).ifPresent(s -> {
                    engine.put("loaded", s.loaded());
                    engine.put("slots", s.slots());
                    engine.put("busy_slots", s.busySlots());
                    engine.put("queued", s.queued());
                });
                m.put("engine", engine);
            });
            data.add(m);
        }
        return Map.of("object", "list", "data", data);
    }
}
