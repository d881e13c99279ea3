#!/usr/bin/env bash
# Runs the official OpenAI and Anthropic JavaScript SDKs (installed from npm into a cache outside the project) against
# the built gateway on its embedded defaults, serving the committed test model. Not part of `./dev test` (needs npm).
# Usage: e2e/sdk-smoke/run.sh   (after ./dev start has built the jar once, or `mvn -pl gateway -am package`)
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SDK_DIR=${SDK_DIR:-$HOME/.cache/llm-gateway-sdk-smoke}
PORT=${PORT:-19480}
ADMIN=sdk-smoke-admin-key-0123456789abcdef0123
mkdir -p "$SDK_DIR"
[ -d "$SDK_DIR/node_modules/openai" ] && [ -d "$SDK_DIR/node_modules/@anthropic-ai/sdk" ] || \
  (cd "$SDK_DIR" && npm init -y >/dev/null && npm install --silent openai @anthropic-ai/sdk)
cp e2e/sdk-smoke/check.mjs "$SDK_DIR/"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$WORK"' EXIT
cat > "$WORK/gateway.yaml" <<YAML
providers: {local: {type: embedded}}
deployments:
  tiny:
    provider: local
    model: tiny
    class: open
    prices: {input: "0.20", output: "0.40"}
    context_window: 512
    engine: {path: $PWD/testdata/models/llama-2-tiny-random.gguf, context_size: 512, parallel_slots: 2}
routes:
  local: {deployment: tiny}
  local-cached: {deployment: tiny, cache: {ttl: 10m}}
YAML
GATEWAY_CONFIG="$WORK/gateway.yaml" GATEWAY_DATA_DIR="$WORK/data" GATEWAY_ADMIN_KEY=$ADMIN QUARKUS_HTTP_PORT=$PORT \
  "$JAVA_HOME/bin/java" -jar gateway/target/quarkus-app/quarkus-run.jar > "$WORK/gateway.log" 2>&1 &
for i in $(seq 1 90); do curl -sf "localhost:$PORT/q/health/ready" >/dev/null && break; sleep 1; done
H=(-H "authorization: Bearer $ADMIN" -H 'content-type: application/json')
curl -sf "localhost:$PORT/admin/teams" "${H[@]}" -d '{"id":"sdk-smoke"}' >/dev/null
KEY=$(curl -sf "localhost:$PORT/admin/teams/sdk-smoke/keys" "${H[@]}" -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
(cd "$SDK_DIR" && echo "openai $(node -p "require('./node_modules/openai/package.json').version"), @anthropic-ai/sdk $(node -p "require('./node_modules/@anthropic-ai/sdk/package.json').version")" \
  && node check.mjs "http://127.0.0.1:$PORT" "$KEY" "$ADMIN" local local-cached)
