package dev.llmgateway.routing;

import dev.llmgateway.routing.internal.CatalogValidator;
import java.util.List;

/**
 * Every deployment and route, validated on construction: an unknown or invalid reference throws
 * {@link IllegalArgumentException} naming its gateway.yaml path, e.g.
 * {@code routes.chat.fallbacks[1]: unknown deployment 'x'} (all problems, separated by "; ").
 */
public record Catalog(List<Deployment> deployments, List<Route> routes) {

    public Catalog {
        deployments = List.copyOf(deployments);
        routes = List.copyOf(routes);
        List<String> problems = CatalogValidator.problems(deployments, routes);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }
}
