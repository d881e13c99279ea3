package dev.llmgateway.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig;
import dev.llmgateway.gateway.errors.GatewayError;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A configuration reload keeps the circuit state of deployments that still exist with the same breaker settings.
 * (A Quarkus test only because SmallRye Fault Tolerance's guards need the container.)
 */
@io.quarkus.test.junit.QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(dev.llmgateway.gateway.testing.GatewayTestResource.class)
class CircuitBreakersTest {
    private static GatewayConfig config(String flakyBreaker, boolean withOther) {
        return ConfigLoader.parse("test", """
                providers:
                  up: {type: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key: k}
                deployments:
                  flaky: {provider: up, model: m, class: closed, prices: {input: "1", output: "1"}, circuit_breaker: %s}
                %s
                routes:
                  chat: {deployment: flaky}
                """.formatted(flakyBreaker, withOther
                ? "  other: {provider: up, model: m, class: closed, prices: {input: \"1\", output: \"1\"}}" : ""), k -> null, Path.of("."));
    }

    private static final String BREAKER = "{request_volume: 2, failure_ratio: 0.5, delay: 60s}";

    private static void fail(CircuitBreakers b, AtomicInteger calls) throws Exception {
        b.call("flaky", () -> {
            calls.incrementAndGet();
            return Future.<Object>failedFuture(new RuntimeException("upstream broke"));
        }).toCompletionStage().toCompletableFuture().handle((v, e) -> null).get(5, TimeUnit.SECONDS);
    }

    @Test
    void anOpenCircuitStaysOpenAcrossAReloadThatKeepsTheDeployment() throws Exception {
        CircuitBreakers before = new CircuitBreakers(config(BREAKER, true).deployments().values());
        AtomicInteger calls = new AtomicInteger();
        fail(before, calls);
        fail(before, calls);
        assertThat(before.state("flaky")).isEqualTo(CircuitBreakerState.OPEN);

        CircuitBreakers after = new CircuitBreakers(config(BREAKER, false).deployments().values(), before);

        assertThat(after.state("flaky")).isEqualTo(CircuitBreakerState.OPEN);
        Throwable refused = after.call("flaky", () -> {
            calls.incrementAndGet();
            return Future.succeededFuture("answer");
        }).toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(5, TimeUnit.SECONDS);
        assertThat(refused).isInstanceOfSatisfying(GatewayError.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(GatewayError.CircuitOpen.class));
        assertThat(calls.get()).as("the open circuit failed fast, the upstream was not called").isEqualTo(2);
        assertThat(after.states()).containsOnlyKeys("flaky");
    }

    @Test
    void changedBreakerSettingsStartAFreshClosedBreaker() throws Exception {
        CircuitBreakers before = new CircuitBreakers(config(BREAKER, false).deployments().values());
        AtomicInteger calls = new AtomicInteger();
        fail(before, calls);
        fail(before, calls);
        assertThat(before.state("flaky")).isEqualTo(CircuitBreakerState.OPEN);

        CircuitBreakers after = new CircuitBreakers(config("{request_volume: 3, failure_ratio: 0.5, delay: 60s}", false)
                .deployments().values(), before);

        assertThat(after.state("flaky")).isEqualTo(CircuitBreakerState.CLOSED);
    }
}
