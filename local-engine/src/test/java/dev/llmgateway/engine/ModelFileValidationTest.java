package dev.llmgateway.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-up checks of model files: no llama.cpp call happens for a file that is not a GGUF. */
class ModelFileValidationTest {

    @Test
    void missingFileIsModelUnavailableNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("absent.gguf");
        assertThatThrownBy(() -> LocalEngine.start(List.of(ModelConfig.of("m", missing))))
                .isInstanceOfSatisfying(EngineException.ModelUnavailable.class, e -> {
                    assertThat(e.getMessage()).contains(missing.toString()).contains("not found");
                    assertThat(e.path()).isEqualTo(missing);
                    assertThat(e.model()).isEqualTo("m");
                });
    }

    @Test
    void fileWithoutGgufMagicIsModelUnavailableNamingThePath(@TempDir Path dir) throws IOException {
        Path bogus = Files.writeString(dir.resolve("bogus.gguf"), "this is not a model");
        assertThatThrownBy(() -> LocalEngine.start(List.of(ModelConfig.of("m", bogus))))
                .isInstanceOf(EngineException.ModelUnavailable.class)
                .hasMessageContaining(bogus.toString())
                .hasMessageContaining("magic");
    }

    @Test
    void truncatedGgufIsModelUnavailableNamingThePath(@TempDir Path dir) throws IOException {
        byte[] real = Files.readAllBytes(TestModel.path());
        Path truncated = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(real, 1000));
        assertThatThrownBy(() -> LocalEngine.start(List.of(ModelConfig.of("m", truncated))))
                .isInstanceOf(EngineException.ModelUnavailable.class)
                .hasMessageContaining(truncated.toString());
    }

    @Test
    void oneBadFileFailsTheWholeStart(@TempDir Path dir) {
        Path missing = dir.resolve("absent.gguf");
        assertThatThrownBy(() -> LocalEngine.start(List.of(TestModel.config("good"), ModelConfig.of("bad", missing))))
                .isInstanceOf(EngineException.ModelUnavailable.class)
                .hasMessageContaining("'bad'");
    }

    @Test
    void duplicateModelNamesAreRejected() {
        assertThatThrownBy(() -> LocalEngine.start(List.of(TestModel.config("a"), TestModel.config("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
    }
}
