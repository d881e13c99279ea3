package dev.llmgateway.gateway.testing;

import dev.llmgateway.testsupport.FakeUpstream;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Starts a {@link FakeUpstream} on loopback and writes a gateway.yaml pointing at it; the gateway under test then runs
 * on its embedded defaults (a real embedded PostgreSQL in a fresh data directory).
 */
public class GatewayTestResource implements QuarkusTestResourceLifecycleManager {
    public static final String ADMIN_KEY = "test-admin-key-0123456789abcdef0123456789";
    /** Every secret the test gateway is configured with (LeakCheck fails any gateway answer that contains one). */
    public static final java.util.List<String> SECRETS = java.util.List.of(ADMIN_KEY, "sk-upstream-secret-do-not-leak",
            "ant-upstream-secret-do-not-leak", "sk-env-secret-from-the-environment-0123456789");
    private FakeUpstream upstream;

    @Override
    public Map<String, String> start() {
        upstream = FakeUpstream.start();
        String yaml = TestConfig.gatewayYaml(upstream.port());
        try {
            Path dir = Files.createDirectories(Path.of("target", "test-gateway-" + UUID.randomUUID()));
            Path config = dir.resolve("gateway.yaml");
            Files.writeString(config, yaml);
            return withTestDatabase(Map.of(
                    "gateway.config", config.toString(),
                    "gateway.data-dir", dir.resolve("data").toString(),
                    "gateway.admin-key", ADMIN_KEY,
                    "gateway.max-body-bytes", "65536",
                    "test.upstream.port", Integer.toString(upstream.port())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * By default the gateway under test runs its own embedded PostgreSQL (the product's default). With
     * {@code -Dgateway.test.db=testcontainers} it uses a fresh database in the test PostgreSQL container instead.
     */
    public static Map<String, String> withTestDatabase(Map<String, String> settings) {
        if (dev.llmgateway.testsupport.TestPostgres.mode() != dev.llmgateway.testsupport.TestPostgres.Mode.TESTCONTAINERS) return settings;
        Map<String, String> out = new java.util.HashMap<>(settings);
        var server = dev.llmgateway.testsupport.TestPostgres.server();
        out.put("gateway.db-url", server.jdbcUrl(dev.llmgateway.testsupport.TestPostgres.freshDatabase("gw")));
        out.put("gateway.db-user", server.user());
        out.put("gateway.db-password", server.password());
        return out;
    }

    @Override
    public void stop() {
        if (upstream != null) upstream.close();
    }
}
