package dev.llmgateway.gateway.engine;

import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.TestConfig;
import dev.llmgateway.testsupport.FakeUpstream;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * A gateway whose embedded deployments are in every state: the real tiny model, a file that does not exist, a file
 * that is not a GGUF, and a model pinned on Hugging Face that cannot be downloaded (its repository does not exist,
 * and this machine may well have no internet); plus a remote deployment on the fake upstream as a fallback.
 */
public class UnavailableModelsResource implements QuarkusTestResourceLifecycleManager {
    private FakeUpstream upstream;

    @Override
    public Map<String, String> start() {
        upstream = FakeUpstream.start();
        try {
            Path dir = Files.createDirectories(Path.of("target", "test-gateway-unavailable-" + UUID.randomUUID()));
            Path corrupt = dir.resolve("corrupt.gguf");
            Files.writeString(corrupt, "this is not a GGUF file, just text pretending to be one\n".repeat(20));
            String yaml = """
                    providers:
                      fake: {type: openai-compatible, base_url: "http://127.0.0.1:%1$d/v1", api_key: sk-upstream}
                      local: {type: embedded}
                    deployments:
                      remote: {provider: fake, model: model-a, class: closed, prices: {input: "1.00", output: "1.00"}}
                      tiny:
                        provider: local
                        class: open
                        engine: {path: "%2$s", context_size: 256, threads: 2}
                      missing:
                        provider: local
                        class: open
                        engine: {path: "%3$s"}
                      corrupt:
                        provider: local
                        class: open
                        engine: {path: "%4$s"}
                      pinned:
                        provider: local
                        class: open
                        engine:
                          huggingface:
                            repo: llm-gateway-tests/no-such-repository
                            file: none.gguf
                            revision: 0000000000000000000000000000000000000000
                            sha256: "%5$s"
                    routes:
                      tiny-route: {deployment: tiny}
                      missing-route: {deployment: missing}
                      corrupt-route: {deployment: corrupt}
                      pinned-route: {deployment: pinned}
                      missing-with-fallback: {deployment: missing, fallbacks: [remote]}
                      remote-route: {deployment: remote}
                    """.formatted(upstream.port(), TestConfig.testModel(), dir.resolve("no-such-model.gguf").toAbsolutePath(),
                    corrupt.toAbsolutePath(), "ab".repeat(32));
            Path config = dir.resolve("gateway.yaml");
            Files.writeString(config, yaml);
            return GatewayTestResource.withTestDatabase(Map.of(
                    "gateway.config", config.toString(),
                    "gateway.data-dir", dir.resolve("data").toString(),
                    "gateway.admin-key", GatewayTestResource.ADMIN_KEY,
                    "test.upstream.port", Integer.toString(upstream.port())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (upstream != null) upstream.close();
    }
}
