package dev.llmgateway.gateway.admin;

import dev.llmgateway.metering.WebhookDeliveryStore;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /admin/webhooks/deliveries}: the latest webhook deliveries and whether they arrived. */
@Path("/admin/webhooks")
@Produces(MediaType.APPLICATION_JSON)
public class WebhooksResource {
    @Inject dev.llmgateway.gateway.db.Database database;

    @GET
    @Path("/deliveries")
    public Map<String, Object> deliveries(@QueryParam("limit") @DefaultValue("50") int limit) {
        if (limit < 1 || limit > 1000) throw AdminErrors.bad("'limit' must be between 1 and 1000", "limit");
        List<Map<String, Object>> data = new ArrayList<>();
        for (WebhookDeliveryStore.Delivery d : new WebhookDeliveryStore(database.dataSource()).recent(limit)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("event", d.eventType());
            m.put("status", d.status().wire());
            m.put("attempts", d.attempts());
            m.put("last_status", d.lastStatus().isPresent() ? d.lastStatus().getAsInt() : null);
            m.put("last_error", d.lastError().orElse(null));
            m.put("created_at", d.createdAt().toString());
            m.put("updated_at", d.updatedAt().toString());
            m.put("delivered_at", d.deliveredAt().map(Object::toString).orElse(null));
            m.put("payload", io.vertx.core.json.Json.decodeValue(d.payload()));
            data.add(m);
        }
        return Map.of("object", "list", "data", data);
    }
}
