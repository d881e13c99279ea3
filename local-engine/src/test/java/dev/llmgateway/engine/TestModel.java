package dev.llmgateway.engine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.fail;

/**
 * Locates the test GGUF (random-weight tiny Llama-2): {@code GATEWAY_TEST_MODEL} when set, else the fixture committed under
 * {@code testdata/models/}; fails loudly, never skips, when it is missing.
 */
final class TestModel {

    static final String KNOWN_PROMPT = "Once upon a time";
    /** Greedy 16 tokens from the raw prompt, per testdata/models/README.md. */
    static final String KNOWN_GREEDY_16 =
            "ernalrightarrow попуdevelopment Gar(), successo status heutigenโ zesificate successo status heutigenโ";

    private TestModel() {}

    static Path path() {
        String override = System.getenv("GATEWAY_TEST_MODEL");
        Path path;
        if (override != null && !override.isBlank()) {
            path = Path.of(override);
        } else {
            path = fixture();
        }
        if (!Files.isRegularFile(path)) {
            fail("test model not found at " + path + "; it is committed as testdata/models/llama-2-tiny-random.gguf, or set GATEWAY_TEST_MODEL");
        }
        return path;
    }

    /** {@code testdata/models/llama-2-tiny-random.gguf} in the project root or the nearest parent that has it. */
    static Path fixture() {
        Path start = Path.of(System.getProperty("gateway.project.root", ".")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testdata").resolve("models").resolve("llama-2-tiny-random.gguf");
            if (Files.isRegularFile(p)) return p;
        }
        return start.resolve("testdata").resolve("models").resolve("llama-2-tiny-random.gguf");
    }

    static ModelConfig config(String name) {
        return ModelConfig.of(name, path()).withContextSize(512).withThreads(2);
    }
}
