package dev.llmgateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptFeaturesTest {

    @Test
    void codeFencesIndentationAndKeywordsCountAsCode() {
        PromptFeatures p = PromptFeatures.extract(List.of(
                "```python\ndef area(r):\n    return 3.14 * r * r\n```\nWhat does this function do?"));
        assertThat(p.codeSignals()).isGreaterThanOrEqualTo(8);
        assertThat(PromptFeatures.extract(List.of("What a lovely day in the park.")).codeSignals()).isZero();
    }

    @Test
    void arithmeticMathSymbolsAndVocabularyCountAsMath() {
        PromptFeatures p = PromptFeatures.extract(List.of("Solve 3x + 4 = 19, then compute ∫ x² dx and the matrix rank."));
        assertThat(p.mathSignals()).isGreaterThanOrEqualTo(5);
        assertThat(PromptFeatures.extract(List.of("Call me at 5 pm.")).mathSignals()).isZero();
    }

    @Test
    void explicitReasoningAsksAreCounted() {
        assertThat(PromptFeatures.extract(List.of("Explain why, step by step, and justify the trade-offs."))
                .reasoningAsks()).isEqualTo(5);
        assertThat(PromptFeatures.extract(List.of("Tell me a joke.")).reasoningAsks()).isZero();
    }

    @Test
    void nonAsciiLetterShareApproximatesNonEnglish() {
        assertThat(PromptFeatures.extract(List.of("日本語で説明してください")).nonAsciiLetterShare()).isEqualTo(1.0);
        assertThat(PromptFeatures.extract(List.of("plain english")).nonAsciiLetterShare()).isZero();
    }

    @Test
    void conversationDepthAndLengthAreCounted() {
        PromptFeatures p = PromptFeatures.extract(List.of("You are helpful.", "hi", "hello", "tell me more"));
        assertThat(p.messages()).isEqualTo(4);
        assertThat(p.chars()).isEqualTo(16 + 2 + 5 + 12);
    }

    @Test
    void harderPromptsScoreHigher() {
        double chat = PromptFeatures.extract(List.of("hi there")).difficulty();
        double code = PromptFeatures.extract(List.of("```rust\nfn main() { println!(\"{}\", 1 + 2); }\n```\nWhy?")).difficulty();
        double proof = PromptFeatures.extract(List.of("Prove rigorously, step by step, that sqrt(2) is irrational; "
                + "derive a counterexample for the general claim and analyze the theorem's implications: "
                + "x^2 = 2y^2, 2 * 3 = 6.")).difficulty();
        assertThat(chat).isLessThan(code);
        assertThat(chat).isLessThan(proof);
        assertThat(proof).isGreaterThan(0.3);
    }

    @Test
    void pathologicalInputsStayLinear() {
        List<String> nasty = List.of("`".repeat(1_000_000), "1+".repeat(500_000), " ".repeat(1_000_000),
                "a".repeat(1_000_000), "{;}\n    ".repeat(100_000), "é".repeat(1_000_000));
        long start = System.nanoTime();
        PromptFeatures p = PromptFeatures.extract(nasty);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).isLessThan(2_000);
        assertThat(p.difficulty()).isBetween(0.0, 1.0);
    }

    @Test
    void difficultyIsAlwaysInTheUnitIntervalAndCharsAreCounted() {
        // Mixed alphabets: any code point, and the characters the code/math/reasoning detectors look for.
        qt().withExamples(300).forAll(lists().of(strings().allPossible().ofLengthBetween(0, 60)
                        .mix(strings().betweenCodePoints(' ', '~').ofLengthBetween(0, 200))).ofSizeBetween(0, 6))
                .checkAssert(PromptFeaturesTest::featuresAreBounded);
    }

    private static void featuresAreBounded(List<String> messages) {
        PromptFeatures p = PromptFeatures.extract(messages);
        assertThat(p.difficulty()).isBetween(0.0, 1.0);
        assertThat(p.chars()).isEqualTo(messages.stream().mapToInt(String::length).sum());
        assertThat(p.messages()).isEqualTo(messages.size());
        assertThat(p.nonAsciiLetterShare()).isBetween(0.0, 1.0);
    }
}
