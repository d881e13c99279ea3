package dev.llmgateway.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final String VALID = """
            providers:
              oai: {type: openai, api_key: "${OPENAI_API_KEY}"}
              vllm: {type: openai-compatible, base_url: "http://127.0.0.1:8000/v1"}
            deployments:
              gpt: {provider: oai, model: gpt-4o, class: closed, prices: {input: "2.50", output: "10.00"}}
              llama: {provider: vllm, model: meta-llama/Llama-3.1-8B-Instruct, class: open, timeouts: {first_byte: 2s}}
            routes:
              chat: {deployment: gpt, fallbacks: [llama]}
            """;

    private static GatewayConfig parse(String yaml, Map<String, String> env) {
        return ConfigLoader.parse("gateway.yaml", yaml, env::get, Path.of("/etc/gateway"));
    }

    private static void rejects(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml, Map.of("OPENAI_API_KEY", "sk-1"))).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void validConfigIsParsedWithDefaultsAndSecretsFromTheEnvironment() {
        GatewayConfig c = parse(VALID, Map.of("OPENAI_API_KEY", "sk-1"));
        assertThat(c.providers().get("oai").apiKey()).contains("sk-1");
        assertThat(c.providers().get("oai").baseUrl().orElseThrow()).hasToString("https://api.openai.com/v1");
        assertThat(c.deployments().get("gpt").prices().inputPerMillionUsd()).isEqualByComparingTo(new BigDecimal("2.50"));
        assertThat(c.deployments().get("llama").resilience().firstByteTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.routes().get("chat").fallbacks()).containsExactly("llama");
        assertThat(c.providers().get("oai").toString()).doesNotContain("sk-1");
    }

    @Test
    void connectionPoolsAreSizedForThousandsOfCallsInFlightByDefaultAndConfigurable() {
        GatewayConfig c = parse(VALID, Map.of("OPENAI_API_KEY", "sk-1"));
        assertThat(c.providers().get("oai").maxConnections()).isEqualTo(4096);
        assertThat(c.providers().get("oai").maxWaiting()).isEqualTo(10_000);
        assertThat(c.providers().get("oai").http2()).isFalse();
        assertThat(c.deployments().get("gpt").resilience().poolWait()).isEqualTo(Duration.ofSeconds(10));

        GatewayConfig tuned = parse(VALID.replace("oai: {type: openai, ", "oai: {type: openai, max_connections: 20000, max_waiting: 0, http2: true, ")
                .replace("timeouts: {first_byte: 2s}", "timeouts: {first_byte: 2s, pool_wait: 250ms}"), Map.of("OPENAI_API_KEY", "sk-1"));
        assertThat(tuned.providers().get("oai").maxConnections()).isEqualTo(20_000);
        assertThat(tuned.providers().get("oai").maxWaiting()).isZero();
        assertThat(tuned.providers().get("oai").http2()).isTrue();
        assertThat(tuned.deployments().get("llama").resilience().poolWait()).isEqualTo(Duration.ofMillis(250));

        rejects(VALID.replace("base_url: \"http://127.0.0.1:8000/v1\"}", "base_url: \"http://127.0.0.1:8000/v1\", http2: true}"),
                "gateway.yaml: providers.vllm.http2: needs an https base_url (HTTP/2 is negotiated by ALPN during the TLS handshake)");
        rejects(VALID.replace("oai: {type: openai, ", "oai: {type: openai, max_connections: 0, "),
                "gateway.yaml: providers.oai.max_connections: must be between 1 and 100000");
    }

    @Test
    void aRouteCacheIsOptInWithSafeDefaultsAndItsKeysAreChecked() {
        Map<String, String> env = Map.of("OPENAI_API_KEY", "sk-1");
        assertThat(parse(VALID, env).caches()).isEmpty();
        String cached = VALID.replace("chat: {deployment: gpt, fallbacks: [llama]}", "chat: {deployment: gpt, cache: {ttl: 10m}}");
        assertThat(parse(cached, env).caches().get("chat")).isEqualTo(
                new GatewayConfig.RouteCache(Duration.ofMinutes(10), false, true, GatewayConfig.CacheStore.MEMORY));
        String full = VALID.replace("chat: {deployment: gpt, fallbacks: [llama]}",
                "chat: {deployment: gpt, cache: {ttl: 30s, team_charge: full, deterministic_only: false, store: postgres}}");
        assertThat(parse(full, env).caches().get("chat")).isEqualTo(
                new GatewayConfig.RouteCache(Duration.ofSeconds(30), true, false, GatewayConfig.CacheStore.POSTGRES));

        rejects(VALID.replace("fallbacks: [llama]}", "cache: {}}"), "gateway.yaml: routes.chat.cache: needs a ttl, such as 10m");
        rejects(VALID.replace("fallbacks: [llama]}", "cache: {ttl: 10m, tll: 5m}}"),
                "gateway.yaml: routes.chat.cache.tll: unknown key (expected one of deterministic_only, store, team_charge, ttl)");
        rejects(VALID.replace("fallbacks: [llama]}", "cache: {ttl: 10m, team_charge: half}}"),
                "gateway.yaml: routes.chat.cache.team_charge: must be none or full");
        rejects(VALID.replace("fallbacks: [llama]}", "cache: {ttl: 10m, store: redis}}"),
                "gateway.yaml: routes.chat.cache.store: must be memory or postgres");
        rejects(VALID.replace("fallbacks: [llama]}", "cache: {ttl: 500ms}}"), "gateway.yaml: routes.chat.cache.ttl: must be between 1s and 30 days");
    }

    @Test
    void missingEnvironmentVariableNamesThePath() {
        assertThatThrownBy(() -> parse(VALID, Map.of())).hasMessage("gateway.yaml: providers.oai.api_key: environment variable OPENAI_API_KEY is not set");
    }

    @Test
    void defaultValueInSubstitutionIsUsedWhenUnset() {
        GatewayConfig c = parse(VALID.replace("${OPENAI_API_KEY}", "${OPENAI_API_KEY:-none}"), Map.of());
        assertThat(c.providers().get("oai").apiKey()).contains("none");
    }

    @Test
    void unknownReferencesAndKeysNameFileAndPath() {
        rejects(VALID.replace("fallbacks: [llama]", "fallbacks: [llama, ghost]"),
                "gateway.yaml: routes.chat.fallbacks[1]: unknown deployment 'ghost'");
        rejects(VALID.replace("provider: vllm", "provider: nowhere"), "gateway.yaml: deployments.llama.provider: unknown provider 'nowhere'");
        rejects(VALID.replace("class: open", "class: opne"), "gateway.yaml: deployments.llama.class: unknown value 'opne' (expected one of closed, open)");
        rejects(VALID.replace("prices: {input", "pricez: {input"), "gateway.yaml: deployments.gpt.pricez: unknown key (expected one of capabilities, circuit_breaker, class, context_window, engine, license, list_prices, markup_bp, max_image_tokens, model, prices, provider, quality, retry, timeouts)");
        rejects(VALID.replace("\"2.50\"", "\"-1\""), "gateway.yaml: deployments.gpt.prices.input: must not be negative");
        rejects(VALID.replace("first_byte: 2s", "first_byte: soon"), "gateway.yaml: deployments.llama.timeouts.first_byte: expected a duration such as 250ms, 30s, 5m or PT30S");
        rejects(VALID.replace("type: openai-compatible, base_url: \"http://127.0.0.1:8000/v1\"", "type: openai-compatible"),
                "gateway.yaml: providers.vllm.base_url: is required for type openai-compatible");
        rejects(VALID.replace("routes:\n  chat: {deployment: gpt, fallbacks: [llama]}\n", "routes: {}\n"),
                "gateway.yaml: routes: at least one route is required (the model names clients send)");
    }

    @Test
    void invalidYamlIsReportedWithTheFileName() {
        assertThatThrownBy(() -> parse("providers: [", Map.of())).hasMessageStartingWith("gateway.yaml: not valid YAML");
    }

    @Test
    void embeddedDeploymentsNeedAnEngineBlockAndResolveRelativePaths() {
        String yaml = """
                providers: {local: {type: embedded}}
                deployments:
                  tiny: {provider: local, class: open, engine: {path: models/tiny.gguf, parallel_slots: 2}}
                routes: {tiny: {deployment: tiny}}
                """;
        GatewayConfig c = parse(yaml, Map.of());
        assertThat(c.deployments().get("tiny").engine().orElseThrow().path()).isEqualTo(Path.of("/etc/gateway/models/tiny.gguf"));
        assertThat(c.deployments().get("tiny").model()).isEqualTo("tiny");
        assertThatThrownBy(() -> parse(yaml.replace(", engine: {path: models/tiny.gguf, parallel_slots: 2}", ""), Map.of()))
                .hasMessage("gateway.yaml: deployments.tiny.engine: is required for a deployment of an embedded provider (engine.path or engine.huggingface)");
    }

    @Test
    void engineModeEmbeddingTakesClsOrLastPoolingAndRefusesMean() {
        String yaml = """
                providers: {local: {type: embedded}}
                deployments:
                  emb: {provider: local, class: open, engine: {path: models/e.gguf, ENGINE}}
                routes: {emb: {deployment: emb}}
                """;
        var plain = parse(yaml.replace("ENGINE", "threads: 1"), Map.of()).deployments().get("emb").engine().orElseThrow();
        assertThat(plain.embedding()).isFalse();
        var e = parse(yaml.replace("ENGINE", "mode: embedding, pooling: cls"), Map.of()).deployments().get("emb").engine().orElseThrow();
        assertThat(e.embedding()).isTrue();
        assertThat(e.pooling()).contains("cls");
        assertThat(parse(yaml.replace("ENGINE", "mode: embedding"), Map.of()).deployments().get("emb").engine().orElseThrow().pooling()).isEmpty();
        assertThatThrownBy(() -> parse(yaml.replace("ENGINE", "mode: embedding, pooling: mean"), Map.of()))
                .hasMessageContaining("deployments.emb.engine.pooling: mean pooling is not available");
        assertThatThrownBy(() -> parse(yaml.replace("ENGINE", "pooling: last"), Map.of()))
                .hasMessageContaining("deployments.emb.engine.pooling: applies only to mode: embedding");
        assertThatThrownBy(() -> parse(yaml.replace("ENGINE", "mode: rerank"), Map.of()))
                .hasMessageContaining("deployments.emb.engine.mode: expected generation or embedding");
        assertThatThrownBy(() -> parse(yaml.replace("ENGINE", "mode: embedding, chat_template: chatml"), Map.of()))
                .hasMessageContaining("chat_template: does not apply to mode: embedding");
    }

    private static final String MIGRATION = VALID.replace("  chat: {deployment: gpt, fallbacks: [llama]}\n",
            "  chat: {deployment: gpt, fallbacks: [llama]}\n  move:\n    policy: {type: migration, from: gpt, to: llama, stages: [10, 100]PROMOTION}\n");

    private static dev.llmgateway.routing.PromotionRule rule(String promotion) {
        GatewayConfig c = parse(MIGRATION.replace("PROMOTION", promotion), Map.of("OPENAI_API_KEY", "sk-1"));
        return ((dev.llmgateway.routing.Policy.Migration) c.routes().get("move").policy()).rule();
    }

    @Test
    void promotionRuleHasSeparateMarginsAnEvaluationIntervalAndAcceptsShortStageDurations() {
        dev.llmgateway.routing.PromotionRule defaults = rule("");
        assertThat(defaults.evaluationInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.feedbackMargin()).isEqualTo(0.05);
        assertThat(defaults.winRateMargin()).isEqualTo(0.05);
        assertThat(defaults.minStageDuration()).isEqualTo(Duration.ZERO);

        dev.llmgateway.routing.PromotionRule trial = rule(", promotion: {feedback_margin: 0.1, win_rate_margin: 0.03, "
                + "evaluation_interval: 500ms, min_stage_duration: 2s, min_samples: 12}");
        assertThat(trial.feedbackMargin()).isEqualTo(0.1);
        assertThat(trial.winRateMargin()).isEqualTo(0.03);
        assertThat(trial.evaluationInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(trial.minStageDuration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(trial.minSamples()).isEqualTo(12);

        // The former single margin still sets both when they are not given.
        assertThat(rule(", promotion: {non_inferiority_margin: 0.02}").winRateMargin()).isEqualTo(0.02);
        rejects(MIGRATION.replace("PROMOTION", ", promotion: {evaluation_interval: 0s}"),
                "gateway.yaml: routes.move.policy.promotion: evaluationInterval must be > 0");
        rejects(MIGRATION.replace("PROMOTION", ", promotion: {evaluation_interval: often}"),
                "gateway.yaml: routes.move.policy.promotion.evaluation_interval: expected a duration such as 250ms, 30s, 5m or PT30S");
    }
}
