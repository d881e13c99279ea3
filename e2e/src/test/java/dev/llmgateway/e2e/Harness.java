package dev.llmgateway.e2e;

import dev.llmgateway.testsupport.FakeUpstream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * One test's working area: {@code e2e/target/e2e-runs/<test>-<time>/} with the gateway.yaml, the gateways' data
 * directories and logs ({@code *.log}), and a fake OpenAI upstream on loopback.
 */
final class Harness implements AutoCloseable {
    final Path dir;
    final FakeUpstream upstream;
    final Path config;

    Harness(String test, String extraDeploymentYaml) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        dir = Path.of("target", "e2e-runs", test + "-" + stamp).toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        upstream = FakeUpstream.start();
        config = dir.resolve("gateway.yaml");
        try {
            Files.writeString(config, gatewayYaml(upstream.port(), extraDeploymentYaml));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One closed deployment at the fake upstream behind route {@code chat}. Prices: 1 and 4 USD per 1M tokens (1 and 4
     * micro-USD per token); no markup. Retries off and the breaker wide, so each client request is one upstream call.
     */
    static String gatewayYaml(int upstreamPort, String extra) {
        return """
                providers:
                  fake:
                    type: openai-compatible
                    base_url: http://127.0.0.1:%d/v1
                    api_key: sk-e2e-upstream
                deployments:
                  fake-model:
                    provider: fake
                    model: model-a
                    class: closed
                    prices: {input: "1.00", output: "4.00"}
                    markup_bp: 0
                    retry: {max_attempts: 1}
                    circuit_breaker: {request_volume: 10000}
                %s
                routes:
                  chat: {deployment: fake-model}
                """.formatted(upstreamPort, extra == null ? "" : extra);
    }

    GatewayProcess.Settings settings(String name, int port, String dbUrl) {
        return new GatewayProcess.Settings(config, dir.resolve(name + "-data"), port, dbUrl, dir.resolve(name + ".log"));
    }

    Path path(String name) { return dir.resolve(name); }

    @Override
    public void close() { upstream.close(); }
}
