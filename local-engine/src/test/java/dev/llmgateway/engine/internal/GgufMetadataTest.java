package dev.llmgateway.engine.internal;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** The GGUF header reader against the real test model. */
class GgufMetadataTest {

    static Path testModel() {
        String env = System.getenv("GATEWAY_TEST_MODEL");
        Path start = Path.of(System.getProperty("gateway.project.root", ".")).toAbsolutePath().normalize();
        Path path = env != null && !env.isBlank() ? Path.of(env) : null;
        for (Path dir = start; path == null && dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testdata/models/llama-2-tiny-random.gguf");
            if (Files.isRegularFile(p)) path = p;
        }
        if (path == null || !Files.isRegularFile(path)) {
            fail("test model not found (testdata/models/llama-2-tiny-random.gguf above " + start + ", or GATEWAY_TEST_MODEL)");
        }
        return path;
    }

    @Test
    void tinyLlamaHeaderHasLlamaTokenizerNoTemplateAndAddsBos() throws Exception {
        GgufMetadata meta = GgufMetadata.read(testModel());
        assertThat(GgufMetadata.hasMagic(testModel())).isTrue();
        assertThat(meta.version()).isIn(2, 3);
        assertThat(meta.architecture()).contains("llama");
        assertThat(meta.string("tokenizer.ggml.model")).contains("llama");
        assertThat(meta.chatTemplate()).isEmpty();
        assertThat(meta.addsBos()).isTrue();
        assertThat(meta.addsEos()).isFalse();
        assertThat(meta.arrayLength("tokenizer.ggml.tokens")).contains(32000L);
    }
}
