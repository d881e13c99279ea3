package dev.llmgateway.routing;

import static dev.llmgateway.routing.Fixtures.routed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ComplexityTest {

    /** A generated traffic mix: many identical small talk prompts (ties), code, math, long documents, chats. */
    static List<String> generatedPrompt(Random rnd) {
        int kind = rnd.nextInt(100);
        List<String> messages = new ArrayList<>();
        if (kind < 40) {
            messages.add(List.of("hi", "thanks!", "What time zone is Lisbon in?", "Write a haiku about tea.")
                    .get(rnd.nextInt(4)));
        } else if (kind < 55) {
            messages.add("```python\ndef total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n```\n"
                    + "Why does this function return the wrong result for " + rnd.nextInt(100) + " items? "
                    + (rnd.nextBoolean() ? "Explain step by step and refactor it." : ""));
        } else if (kind < 70) {
            messages.add("Solve " + rnd.nextInt(20) + "x + " + rnd.nextInt(50) + " = " + rnd.nextInt(99)
                    + (rnd.nextBoolean() ? " and prove that the integral of x^2 from 0 to 1 equals 1/3." : "."));
        } else if (kind < 85) {
            StringBuilder doc = new StringBuilder("Summarize this report:\n");
            int paragraphs = 1 + rnd.nextInt(30);
            for (int i = 0; i < paragraphs; i++) {
                doc.append("Quarterly revenue grew while churn in the enterprise segment stayed flat. ");
            }
            messages.add(doc.toString());
        } else if (kind < 95) {
            int turns = 2 + rnd.nextInt(12);
            for (int i = 0; i < turns; i++) {
                messages.add(i % 2 == 0 ? "And what about option " + i + "?" : "Option " + i + " trades latency for cost.");
            }
        } else {
            messages.add(rnd.nextBoolean() ? "日本語でこの文章を要約してください。" : "Bitte erkläre mir die Gründe für die Verzögerung.");
        }
        return messages;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.3, 0.5})
    void calibrationReachesItsTargetStrongShareWithinTwoPoints(double target) {
        Router router = Router.of(Fixtures.catalog(Route.of("smart", Fixtures.complexity(0.5, OptionalDouble.of(target)))),
                5_000, 500);
        Random rnd = new Random(42);
        int strong = 0;
        int measured = 10_000;
        for (int i = 0; i < 20_000 + measured; i++) {
            RequestFeatures f = RequestFeatures.of("user-" + rnd.nextInt(1000), 200, 200)
                    .withPrompt(PromptFeatures.extract(generatedPrompt(rnd))).withRequestId("req-" + i);
            Decision.Routed r = routed(router.decide("smart", f, HealthView.allHealthy(), MigrationStates.none()));
            if (i >= 20_000 && r.primary().name().equals("gpt-4o")) {
                strong++;
            }
        }
        assertThat(strong / (double) measured).isCloseTo(target, within(0.02));
        assertThat(router.calibrator("smart").orElseThrow().threshold()).isPresent();
    }

    @Test
    void calibrationFollowsAShiftInTheTrafficMix() {
        ComplexityCalibrator c = new ComplexityCalibrator(0.25, 4_000, 200);
        Random rnd = new Random(7);
        for (int i = 0; i < 8_000; i++) {
            c.record(rnd.nextDouble() * 0.5); // easy traffic
        }
        double easyThreshold = c.threshold().orElseThrow();
        for (int i = 0; i < 8_000; i++) {
            c.record(0.5 + rnd.nextDouble() * 0.5); // then hard traffic
        }
        assertThat(c.threshold().orElseThrow()).isGreaterThan(easyThreshold + 0.3);
        int strong = 0;
        for (int i = 0; i < 10_000; i++) {
            if (c.routesStrong(0.5 + rnd.nextDouble() * 0.5, rnd.nextDouble(), 0.5)) {
                strong++;
            }
        }
        assertThat(strong / 10_000.0).isCloseTo(0.25, within(0.02));
        assertThat(c.samples()).isEqualTo(4_000);
    }

    @Test
    void calibratorIsSafeUnderConcurrentUse() throws Exception {
        ComplexityCalibrator c = new ComplexityCalibrator(0.3, 2_000, 100);
        AtomicInteger strong = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 20_000; i++) {
                        double d = rnd.nextDouble();
                        c.record(d);
                        if (i >= 10_000 && c.routesStrong(d, rnd.nextDouble(), 0.5)) {
                            strong.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertThat(c.samples()).isEqualTo(2_000);
        assertThat(strong.get() / 40_000.0).isCloseTo(0.3, within(0.02));
    }

    @Test
    void aFixedThresholdSendsHardPromptsToStrongAndSaysWhy() {
        Router router = Fixtures.router(Route.of("smart", Fixtures.complexity(0.3, OptionalDouble.empty())));
        RequestFeatures easy = RequestFeatures.of("u", 10, 100).withPrompt(PromptFeatures.extract(List.of("hi")));
        RequestFeatures hard = RequestFeatures.of("u", 500, 1000).withPrompt(PromptFeatures.extract(List.of(
                "```java\npublic static int f(int n) { return n < 2 ? n : f(n - 1) + f(n - 2); }\n```\n"
                        + "Prove this terminates, derive its complexity step by step and explain why the "
                        + "recursion is exponential: T(n) = T(n-1) + T(n-2) + 1.")));
        Decision.Routed e = routed(router.decide("smart", easy, HealthView.allHealthy(), MigrationStates.none()));
        Decision.Routed h = routed(router.decide("smart", hard, HealthView.allHealthy(), MigrationStates.none()));
        assertThat(e.primary().name()).isEqualTo("llama-8b");
        assertThat(e.reason()).matches("complexity: difficulty 0\\.\\d\\d at or below 0\\.30 -> llama-8b");
        assertThat(h.primary().name()).isEqualTo("gpt-4o");
        assertThat(h.reason()).matches("complexity: difficulty 0\\.\\d\\d above 0\\.30 -> gpt-4o");
        assertThat(h.fallbacks()).extracting(Deployment::name).containsExactly("llama-8b");
    }
}
