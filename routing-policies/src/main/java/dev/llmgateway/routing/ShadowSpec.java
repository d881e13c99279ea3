package dev.llmgateway.routing;

import java.util.Objects;

/** Mirror a share ({@code sample} in [0,1]) of a route's requests to a candidate deployment. */
public record ShadowSpec(String deployment, double sample) {
    public ShadowSpec {
        Objects.requireNonNull(deployment, "deployment");
    }
}
