package dev.llmgateway.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tiny random-weight test GGUF committed under {@code testdata/models/} (provenance in its README), or the file
 * named by {@code GATEWAY_TEST_MODEL}. Fails loudly, never skips, when it is missing.
 */
public final class TestModel {
    /** The fixture's file name inside {@code testdata/models/}. */
    public static final String FILE = "llama-2-tiny-random.gguf";

    private TestModel() {}

    /** The model's absolute path; throws {@link IllegalStateException} naming where it looked when it is missing. */
    public static Path path() {
        String env = System.getenv("GATEWAY_TEST_MODEL");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env).toAbsolutePath().normalize();
            if (!Files.isRegularFile(p)) throw new IllegalStateException("GATEWAY_TEST_MODEL names " + p + ", which is not a file");
            return p;
        }
        Path start = Path.of(System.getProperty("gateway.project.root", ".")).toAbsolutePath().normalize();
        // With `-f e2e/pom.xml` the project root is the module itself: walk up to the folder holding testdata/.
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testdata").resolve("models").resolve(FILE);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalStateException("The test model " + FILE + " is missing: looked for testdata/models/" + FILE
                + " in " + start + " and its parents (it is committed in the repository; or set GATEWAY_TEST_MODEL)");
    }
}
