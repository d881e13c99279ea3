package dev.llmgateway.gateway.admin;

import dev.llmgateway.gateway.errors.GatewayError;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Every /admin endpoint requires {@code Authorization: Bearer <admin key>}. */
public class AdminAuthFilter {
    // A Provider: filters are built at static init, before the runtime (and its configuration) may start.
    @Inject jakarta.inject.Provider<dev.llmgateway.gateway.runtime.AdminCredential> adminCredential;

    @ServerRequestFilter
    public Response check(ContainerRequestContext ctx) {
        if (!ctx.getUriInfo().getPath().startsWith("/admin")) return null;
        String h = ctx.getHeaderString("Authorization");
        String key = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
        if (adminCredential.get().isAdminKey(key)) return null;
        return AdminErrors.response(new GatewayError.Unauthorized("A valid admin key is required (Authorization: Bearer <admin key>)."));
    }
}
