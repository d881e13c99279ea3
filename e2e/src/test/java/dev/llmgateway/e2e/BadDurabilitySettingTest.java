package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged gateway refuses to start with a metering durability it does not know, and names the valid ones. */
class BadDurabilitySettingTest {
    @Test
    void anUnknownDurabilityStopsStartUpWithAClearMessage(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, """
                providers: {p: {type: openai-compatible, base_url: "http://127.0.0.1:9/v1"}}
                deployments: {d: {provider: p, model: m, class: closed}}
                routes: {r: {deployment: d}}
                """);
        Path log = dir.resolve("gateway.log");
        ProcessBuilder pb = new ProcessBuilder(List.of(GatewayProcess.javaBinary(), "-Xmx256m", "-jar", GatewayProcess.jar().toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.startsWith("QUARKUS_"));
        pb.environment().put("GATEWAY_CONFIG", config.toString());
        pb.environment().put("GATEWAY_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("GATEWAY_ADMIN_KEY", "admin-key-0123456789abcdef0123456789abcdef");
        pb.environment().put("GATEWAY_METERING_DURABILITY", "sometimes");
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        Process p = pb.start();
        try {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the gateway exits instead of serving").isTrue();
            assertThat(p.exitValue()).isNotZero();
            assertThat(Files.readString(log))
                    .contains("GATEWAY_METERING_DURABILITY: durability must be machine or process, not 'sometimes'");
        } finally {
            p.destroyForcibly();
        }
    }
}
