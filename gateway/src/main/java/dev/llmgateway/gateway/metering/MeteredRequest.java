package dev.llmgateway.gateway.metering;

import dev.llmgateway.gateway.config.GatewayConfig.Deployment;
import dev.llmgateway.gateway.providers.Usage;
import java.time.Instant;

/**
 * What metering needs to know of one request, as a value: who asked, which route and deployment, what it consumed and
 * how long it took. The pipeline builds it (MeterStage.metered); metering never sees the pipeline's exchange.
 *
 * @param endUser the client's {@code user} field, or null
 * @param stage the migration stage that routed it, or null
 * @param ttftMs time to the first byte, or -1 when none was written
 * @param attempts the dispatch trail (the x-gateway-attempts header), or null
 * @param fromCache answered from the response cache (no provider reached: provider cost 0)
 * @param cacheChargesTeam a cache hit is charged to the team at the deployment's price (route option cache.team_charge)
 */
public record MeteredRequest(String requestId, Instant receivedAt, String teamId, String keyId, String endUser,
                             String route, String policy, String stage, Deployment deployment, Usage usage,
                             long elapsedMs, long ttftMs, boolean streamed, String attempts,
                             boolean fromCache, boolean cacheChargesTeam) {}
