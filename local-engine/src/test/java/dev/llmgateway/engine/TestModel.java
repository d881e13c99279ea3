package dev.llmgateway.engine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.fail;

/** Locates the shared test GGUF (random-weight tiny Llama-2); fails loudly, never skips, when it is missing. */
final class TestModel {

    static final String KNOWN_PROMPT = "Once upon a time";
    /** Greedy 16 tokens from the raw prompt, per /work/shared/models/README.md. */
    static final String KNOWN_GREEDY_16 =
            "ernalrightarrow попуdevelopment Gar(), successo status heutigenโ zesificate successo status heutigenโ";

    private TestModel() {}

    static Path path() {
        String override = System.getenv("GATEWAY_TEST_MODEL");
        Path path;
        if (override != null && !override.isBlank()) {
            path = Path.of(override);
        } else {
            String root = System.getProperty("gateway.project.root");
            if (root == null) {
                fail("system property gateway.project.root is not set (run the tests through Maven) and "
                        + "GATEWAY_TEST_MODEL is not set; cannot find llama-2-tiny-random.gguf");
            }
            path = Path.of(root, "..", "shared", "models", "llama-2-tiny-random.gguf").normalize();
        }
        if (!Files.isRegularFile(path)) {
            fail("test model not found at " + path + "; put llama-2-tiny-random.gguf there or set GATEWAY_TEST_MODEL");
        }
        return path;
    }

    static ModelConfig config(String name) {
        return ModelConfig.of(name, path()).withContextSize(512).withThreads(2);
    }
}
