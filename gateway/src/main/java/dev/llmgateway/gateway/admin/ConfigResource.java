package dev.llmgateway.gateway.admin;

import dev.llmgateway.gateway.config.ConfigException;
import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.errors.GatewayError;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The running configuration (never secrets), validation of a candidate gateway.yaml, and reload without restart. */
@Path("/admin/config")
@Produces(MediaType.APPLICATION_JSON)
public class ConfigResource {
    @Inject dev.llmgateway.gateway.runtime.RuntimeSnapshots snapshots;

    @GET
    public Map<String, Object> current() { return summary(snapshots.current().config(), s -> s); }

    @POST
    @Path("/validate")
    @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public Response validate(String yaml) {
        try {
            String text = yaml == null ? "" : yaml;
            // Values substituted from the environment are shown as ${VAR}, also in the summary (e.g. a base_url).
            Map<String, Object> m = summary(snapshots.validate(text), s -> ConfigLoader.redact(s, text, System::getenv));
            m.put("valid", true);
            return Response.ok(m).build();
        } catch (ConfigException e) {
            return AdminErrors.response(new GatewayError.BadRequest(e.getMessage(), "invalid_config", Optional.empty()));
        }
    }

    @POST
    @Path("/reload")
    @Consumes(MediaType.WILDCARD)
    public Response reload() {
        try {
            var r = snapshots.reload();
            Map<String, Object> m = summary(snapshots.current().config(), s -> s);
            m.put("reloaded", true);
            return Response.ok(m).build();
        } catch (ConfigException e) {
            return AdminErrors.response(new GatewayError.BadRequest(e.getMessage() + " (the running configuration is unchanged)",
                    "invalid_config", Optional.empty()));
        }
    }

    private static Map<String, Object> summary(GatewayConfig c, java.util.function.UnaryOperator<String> redact) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", c.source());
        Map<String, Object> providers = new LinkedHashMap<>();
        c.providers().values().stream().sorted(java.util.Comparator.comparing(GatewayConfig.Provider::name)).forEach(p ->
                providers.put(p.name(), Map.of("type", p.type(),
                        "base_url", redact.apply(p.baseUrl().map(Object::toString).orElse("")), "api_key_set", p.apiKey().isPresent())));
        m.put("providers", providers);
        m.put("deployments", c.deployments().keySet().stream().sorted().toList());
        Map<String, Object> routes = new LinkedHashMap<>();
        c.routes().values().stream().sorted(java.util.Comparator.comparing(dev.llmgateway.routing.Route::name)).forEach(r ->
                routes.put(r.name(), Map.of("policy", r.policy().type(), "fallbacks", r.fallbacks())));
        m.put("routes", routes);
        return m;
    }
}
