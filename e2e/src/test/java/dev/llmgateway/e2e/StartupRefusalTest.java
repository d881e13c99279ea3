package dev.llmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged gateway refuses to start on a bad setting, and says what a good one looks like. */
class StartupRefusalTest {
    private static final String GOOD_ADMIN_KEY = "admin-key-0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    /** Starts the packaged gateway with {@code env} on top of a minimal valid set-up; asserts it exits non-zero; its output. */
    private String refusedStartOutput(Map<String, String> env) throws Exception {
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
        pb.environment().put("GATEWAY_ADMIN_KEY", GOOD_ADMIN_KEY);
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the gateway exits instead of serving").isTrue();
            assertThat(p.exitValue()).isNotZero();
            return Files.readString(log);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aShortAdminKeyStopsStartUpWithAClearMessage() throws Exception {
        assertThat(refusedStartOutput(Map.of("GATEWAY_ADMIN_KEY", "admin-key-too-short-123")))
                .contains("GATEWAY_ADMIN_KEY is too short (23 characters; at least 32 are required)")
                .contains("openssl rand -hex 32")
                .doesNotContain("admin-key-too-short-123");
    }

    @Test
    void anUnknownMeteringDurabilityStopsStartUpNamingTheValidOnes() throws Exception {
        assertThat(refusedStartOutput(Map.of("GATEWAY_METERING_DURABILITY", "sometimes")))
                .contains("GATEWAY_METERING_DURABILITY: durability must be machine or process, not 'sometimes'");
    }
}
