package dev.llmgateway.gateway.runtime;

import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.pipeline.Pipeline;
import dev.llmgateway.gateway.providers.Backends;
import dev.llmgateway.gateway.providers.CircuitBreakers;
import dev.llmgateway.routing.Router;

/**
 * Everything that derives from gateway.yaml, built whole and never changed: the configuration, the router, the
 * provider backends (connection pools), the circuit breakers and the request pipeline whose stages were built from
 * exactly these. A reload builds a new snapshot and swaps it in one step ({@link RuntimeSnapshots}); a request takes
 * the current snapshot once, when it starts, and runs on its pipeline, so it never mixes two generations.
 *
 * @param generation 1 for the configuration read at start, +1 per reload
 */
public record RuntimeSnapshot(long generation, GatewayConfig config, Router router, Backends backends, CircuitBreakers breakers,
                              Pipeline pipeline) {}
