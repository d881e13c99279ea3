package dev.llmgateway.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.gateway.config.ConfigException;
import dev.llmgateway.gateway.config.ConfigLoader;
import dev.llmgateway.gateway.config.GatewayConfig.EngineModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code engine.huggingface} in gateway.yaml: a GGUF in a Hugging Face repository pinned by its sha256. */
class HuggingFaceModelConfigTest {
    private static final String SHA = "81F226C62D28ED4A1A9B9FA080FCD9F0CC40E0F9D5680036583FF98FBCD035CB";
    private static final String YAML = """
            providers: {local: {type: embedded}}
            deployments:
              qwen:
                provider: local
                class: open
                engine:
                  huggingface: {repo: Qwen/Qwen2.5-0.5B-Instruct-GGUF, file: qwen2.5-0.5b-instruct-q4_k_m.gguf, sha256: "%s"}
                  context_size: 4096
            routes: {qwen: {deployment: qwen}}
            """;

    private static EngineModel engine(String yaml) {
        return ConfigLoader.parse("gateway.yaml", yaml, Map.<String, String>of()::get, Path.of("/etc/gateway"))
                .deployments().get("qwen").engine().orElseThrow();
    }

    private static void rejects(String yaml, String message) {
        assertThatThrownBy(() -> engine(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void huggingFaceModelIsParsedWithRevisionMainAndLowerCaseHash() {
        EngineModel e = engine(YAML.formatted(SHA));
        assertThat(e.path()).isNull();
        assertThat(e.huggingface()).contains(new EngineModel.HuggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                "qwen2.5-0.5b-instruct-q4_k_m.gguf", "main", SHA.toLowerCase()));
        assertThat(e.contextSize()).isEqualTo(4096);

        EngineModel pinned = engine(YAML.formatted(SHA).replace("sha256:", "revision: 9217f5db79a29953eb74d5343926648285ec7e67, sha256:"));
        assertThat(pinned.huggingface().orElseThrow().revision()).isEqualTo("9217f5db79a29953eb74d5343926648285ec7e67");
    }

    @Test
    void pathAndHuggingFaceAreExclusiveAndOneIsRequired() {
        rejects(YAML.formatted(SHA).replace("context_size: 4096", "path: models/qwen.gguf"),
                "gateway.yaml: deployments.qwen.engine: give either path or huggingface, not both");
        rejects(YAML.formatted(SHA).replaceAll("huggingface: .*\\n", ""),
                "gateway.yaml: deployments.qwen.engine.path: is required (or huggingface: {repo, file, sha256})");
    }

    @Test
    void badHuggingFaceKeysNameTheirPath() {
        rejects(YAML.formatted("abc123"),
                "gateway.yaml: deployments.qwen.engine.huggingface.sha256: expected 64 hexadecimal characters (the file's SHA-256)");
        rejects(YAML.formatted(SHA.replace('F', 'g')),
                "gateway.yaml: deployments.qwen.engine.huggingface.sha256: expected 64 hexadecimal characters (the file's SHA-256)");
        rejects(YAML.formatted(SHA).replace(", sha256: \"" + SHA + "\"", ""),
                "gateway.yaml: deployments.qwen.engine.huggingface.sha256: is required");
        rejects(YAML.formatted(SHA).replace("repo: Qwen/Qwen2.5-0.5B-Instruct-GGUF", "repo: Qwen2.5-0.5B-Instruct-GGUF"),
                "gateway.yaml: deployments.qwen.engine.huggingface.repo: expected a repository id such as Qwen/Qwen2.5-0.5B-Instruct-GGUF");
        rejects(YAML.formatted(SHA).replace("file: qwen", "file: ../qwen"),
                "gateway.yaml: deployments.qwen.engine.huggingface.file: expected a file path inside the repository, such as qwen2.5-0.5b-instruct-q4_k_m.gguf");
        rejects(YAML.formatted(SHA).replace("repo:", "repository:"),
                "gateway.yaml: deployments.qwen.engine.huggingface.repository: unknown key (expected one of file, repo, revision, sha256)");
    }
}
