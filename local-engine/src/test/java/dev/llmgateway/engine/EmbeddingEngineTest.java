package dev.llmgateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tiny test model (random weights) loaded for embeddings: vectors are meaningless but shaped and counted exactly. */
@Timeout(60)
class EmbeddingEngineTest {
    static LocalEngine engine;

    @BeforeAll
    static void start() {
        engine = LocalEngine.start(List.of(
                TestModel.config("embed").withContextSize(64).asEmbedding(Optional.empty()),
                TestModel.config("embed-cls").withContextSize(64).asEmbedding(Optional.of(ModelConfig.Pooling.CLS)),
                TestModel.config("generate").withContextSize(64)));
    }

    @AfterAll
    static void stop() {
        if (engine != null) engine.close();
    }

    @Test
    void vectorHasTheModelsEmbeddingSizeAndIsNormalisedAndDeterministic() {
        Embedding a = engine.embed("embed", "Once upon a time");
        Embedding b = engine.embed("embed", "Once upon a time");
        Embedding other = engine.embed("embed", "The cat sat on the mat");
        assertThat(engine.embeddingLength("embed")).isPositive();
        assertThat(a.dimensions()).isEqualTo(engine.embeddingLength("embed"));
        assertThat(a.vector()).containsExactly(b.vector());
        assertThat(other.vector()).isNotEqualTo(a.vector());
        double norm = 0;
        for (float f : a.vector()) norm += (double) f * f;
        assertThat(Math.sqrt(norm)).as("llama.cpp L2-normalises pooled embeddings").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void promptTokensAreTheTokenizersCountPlusBos() {
        Embedding e = engine.embed("embed", "Once upon a time");
        assertThat(engine.countTokens("embed", "Once upon a time")).isEqualTo(4);
        assertThat(e.promptTokens()).as("4 tokens + BOS, as for a generation prompt").isEqualTo(5);
    }

    @Test
    void poolingChangesTheVector() {
        assertThat(engine.embed("embed-cls", "Once upon a time").vector())
                .isNotEqualTo(engine.embed("embed", "Once upon a time").vector());
    }

    @Test
    void textLongerThanTheContextIsRefused() {
        assertThatThrownBy(() -> engine.embed("embed", "word ".repeat(200)))
                .isInstanceOf(EngineException.ContextLengthExceeded.class);
    }

    @Test
    void modesDoNotMix() {
        assertThatThrownBy(() -> engine.embed("generate", "hello")).isInstanceOf(EngineException.Unsupported.class);
        assertThatThrownBy(() -> engine.generate("embed", GenerationRequest.greedy(List.of(EngineMessage.user("hi")), 4)))
                .isInstanceOf(EngineException.Unsupported.class);
        assertThatThrownBy(() -> engine.complete("embed", "hi", GenerationRequest.greedy(List.of(), 4), null, null))
                .isInstanceOf(EngineException.Unsupported.class);
        assertThat(engine.isEmbeddingModel("embed")).isTrue();
        assertThat(engine.isEmbeddingModel("generate")).isFalse();
    }

    @Test
    void emptyTextIsRefused() {
        assertThatThrownBy(() -> engine.embed("embed", "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void poolingWithoutEmbeddingIsAConfigError() {
        assertThatThrownBy(() -> new ModelConfig("x", TestModel.path(), 64, 1, 1, 0, 0, java.time.Duration.ZERO, false,
                Optional.empty(), false, Optional.of(ModelConfig.Pooling.CLS))).isInstanceOf(IllegalArgumentException.class);
    }
}
