package dev.llmgateway.gateway.testing;

/** The gateway.yaml used by the HTTP tests: every provider is the fake upstream on loopback. */
public final class TestConfig {
    private TestConfig() {}

    /** The real test model (testdata/models, or GATEWAY_TEST_MODEL); a clear failure when it is missing. */
    public static java.nio.file.Path testModel() {
        return dev.llmgateway.testsupport.TestModel.path();
    }

    public static String gatewayYaml(int port) {
        return """
                providers:
                  fake-openai:
                    type: openai-compatible
                    base_url: http://127.0.0.1:%1$d/v1
                    api_key: sk-upstream-secret-do-not-leak
                  local:
                    type: embedded
                  fake-anthropic:
                    type: anthropic
                    base_url: http://127.0.0.1:%1$d
                    api_key: ant-upstream-secret-do-not-leak
                  fake-azure:
                    type: azure-openai
                    base_url: http://127.0.0.1:%1$d
                    api_version: 2024-10-21
                    api_keys: [azure-secret-key-one, azure-secret-key-two]
                  fake-gemini:
                    type: gemini
                    base_url: http://127.0.0.1:%1$d/v1beta
                    api_key: gemini-secret-key-do-not-leak
                deployments:
                  primary:
                    provider: fake-openai
                    model: model-a
                    class: closed
                    prices: {input: "2.50", output: "10.00"}
                    circuit_breaker: {request_volume: 1000}
                    quality: {general: 0.9, code: 0.9}
                    retry: {max_attempts: 2, backoff_initial: 10ms, backoff_max: 3s}
                  backup:
                    provider: fake-openai
                    model: model-b
                    class: open
                    prices: {input: "0.10", output: "0.20"}
                    circuit_breaker: {request_volume: 1000}
                    quality: {general: 0.8, code: 0.5}
                  claude:
                    provider: fake-anthropic
                    model: claude-test
                    class: closed
                    prices: {input: "3.00", output: "15.00"}
                  azure-gpt:
                    provider: fake-azure
                    model: azure-dep
                    class: closed
                    prices: {input: "2.50", output: "10.00"}
                    retry: {max_attempts: 1}
                  gemini-flash:
                    provider: fake-gemini
                    model: gemini-test
                    class: closed
                    prices: {input: "0.30", output: "2.50"}
                    retry: {max_attempts: 1}
                  judge:
                    provider: fake-openai
                    model: judge
                    class: closed
                    prices: {input: "1.00", output: "1.00"}
                  chatty:
                    provider: fake-openai
                    model: chatty
                    class: open
                    prices: {input: "0.10", output: "20.00"}
                  terse:
                    provider: fake-openai
                    model: terse
                    class: open
                    prices: {input: "1.00", output: "1.00"}
                  judge-tie:
                    provider: fake-openai
                    model: judge-tie
                    class: closed
                    prices: {input: "0.01", output: "0.01"}
                  flaky:
                    provider: fake-openai
                    model: flaky
                    class: closed
                    retry: {max_attempts: 1}
                    circuit_breaker: {request_volume: 4, failure_ratio: 0.5, delay: 60s}
                  slow:
                    provider: fake-openai
                    model: slow
                    class: closed
                    retry: {max_attempts: 1}
                    timeouts: {first_byte: 300ms, total: 2s}
                    circuit_breaker: {request_volume: 1000}
                  retrying:
                    provider: fake-openai
                    model: retrying
                    class: closed
                    retry: {max_attempts: 3, backoff_initial: 10ms, backoff_max: 5s}
                    circuit_breaker: {request_volume: 1000}
                  cheap-open:
                    provider: fake-openai
                    model: cheap-open
                    class: open
                    prices: {input: "0.20", output: "0.20"}
                    license: cheap-share
                    circuit_breaker: {request_volume: 1000}
                  stalling:
                    provider: fake-openai
                    model: stalling
                    class: closed
                    retry: {max_attempts: 1}
                    timeouts: {idle: 700ms}
                    circuit_breaker: {request_volume: 1000}
                  firehose:
                    provider: fake-openai
                    model: firehose
                    class: closed
                    retry: {max_attempts: 1}
                    circuit_breaker: {request_volume: 1000}
                  tiny:
                    provider: local
                    class: open
                    prices: {input: "20.00", output: "40.00"}
                    license: test-license
                    context_window: 256
                    retry: {max_attempts: 1}
                    engine: {path: "%2$s", context_size: 256, threads: 2, parallel_slots: 1, max_queued: 0}
                  cacheable:
                    provider: fake-openai
                    model: cacheable
                    class: closed
                    prices: {input: "2.00", output: "8.00"}
                    circuit_breaker: {request_volume: 1000}
                  cacheable-short:
                    provider: fake-openai
                    model: cacheable-short
                    class: closed
                    prices: {input: "2.00", output: "8.00"}
                  cacheable-charged:
                    provider: fake-openai
                    model: cacheable-charged
                    class: closed
                    prices: {input: "2.00", output: "8.00"}
                  tiny-embed:
                    provider: local
                    class: open
                    prices: {input: "20.00", output: "0"}
                    retry: {max_attempts: 1}
                    engine: {path: "%2$s", mode: embedding, context_size: 64, threads: 1, parallel_slots: 1, max_queued: 4}
                datasets:
                  support-data: {route: shadow-test, sample: 1.0, retention_days: 7}
                routes:
                  quality-test:
                    policy: {type: cost_quality, candidates: [primary, backup], quality_floor: 0.7, expected_output_tokens: 100}
                  weighted-test:
                    policy: {type: weighted, weights: {primary: 50, backup: 50}}
                  downgrade-test:
                    deployment: primary
                    budget_downgrade: {at_used: 0.5, deployment: backup}
                  shadow-test:
                    deployment: primary
                    shadow: {deployment: backup, sample: 1.0, judge: {deployment: judge, daily_budget_usd: "0.000400"}}
                  judge-injection-test:
                    deployment: primary
                    shadow: {deployment: backup, sample: 1.0, judge: {deployment: judge, daily_budget_usd: "10.00"}}
                  migrate-test:
                    policy: {type: migration, from: primary, to: backup, stages: [10, 50, 100]}
                    baseline: primary
                  output-test:
                    policy: {type: cost_quality, candidates: [chatty, terse]}
                  chatty-direct:
                    deployment: chatty
                  smart-test:
                    policy: {type: complexity, strong: primary, weak: backup, target_strong_share: 0.3}
                  migrate-start:
                    policy: {type: migration, from: primary, to: backup, stages: [10, 50, 100]}
                    baseline: primary
                  migrate-reason:
                    policy: {type: migration, from: primary, to: backup, stages: [10, 50, 100]}
                    baseline: primary
                  auto-good:
                    policy:
                      type: migration
                      from: primary
                      to: backup
                      stages: [50, 100]
                      promotion: {min_samples: 12, feedback_margin: 0.1, win_rate_margin: 0.1, evaluation_interval: 500ms, min_stage_duration: 1s}
                    shadow: {deployment: backup, sample: 1.0, judge: {deployment: judge-tie, daily_budget_usd: "10.00"}}
                    baseline: primary
                  auto-feedback:
                    policy:
                      type: migration
                      from: primary
                      to: backup
                      stages: [50, 100]
                      promotion: {min_samples: 12, feedback_margin: 0.1, evaluation_interval: 500ms, min_stage_duration: 1s}
                    baseline: primary
                  auto-bad:
                    policy:
                      type: migration
                      from: primary
                      to: backup
                      stages: [50, 100]
                      promotion: {min_samples: 12, feedback_margin: 0.1, win_rate_margin: 0.1, evaluation_interval: 500ms, min_stage_duration: 1s}
                    baseline: primary
                  tiny-test:
                    deployment: tiny
                  tiny-embed-test:
                    deployment: tiny-embed
                  cheap-test:
                    deployment: cheap-open
                  gpt-test:
                    deployment: primary
                    fallbacks: [backup]
                    baseline: primary
                  claude-test:
                    deployment: claude
                  limited-route:
                    deployment: primary
                    limits: {rpm: 3}
                  azure-test:
                    deployment: azure-gpt
                  gemini-test:
                    deployment: gemini-flash
                  flaky-route:
                    deployment: flaky
                  slow-route:
                    deployment: slow
                  retry-route:
                    deployment: retrying
                  stall-route:
                    deployment: stalling
                  firehose-route:
                    deployment: firehose
                  cached-test:
                    deployment: cacheable
                    cache: {ttl: 10m}
                  cached-short:
                    deployment: cacheable-short
                    cache: {ttl: 1s}
                  cached-charged:
                    deployment: cacheable-charged
                    cache: {ttl: 10m, team_charge: full, deterministic_only: false, store: postgres}
                """.formatted(port, testModel());
    }
}
