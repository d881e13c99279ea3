package dev.llmgateway.gateway.ops;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.logging.Handler;
import java.util.logging.Logger;

/** {@code GATEWAY_LOG_FORMAT=json} switches console logging to one JSON object per line (for log shippers). */
@ApplicationScoped
public class LogFormat {
    @jakarta.inject.Inject dev.llmgateway.gateway.GatewaySettings settings;

    void onStart(@Observes @jakarta.annotation.Priority(1) StartupEvent ev) {
        if (!"json".equalsIgnoreCase(settings.logFormat())) return;
        for (Handler h : Logger.getLogger("").getHandlers()) h.setFormatter(new JsonLogFormatter());
    }
}
