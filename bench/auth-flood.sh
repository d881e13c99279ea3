#!/usr/bin/env bash
# A valid key's latency during a flood of invalid keys (docs/benchmarks.md, "Invalid-key flood").
# Usage: bench/auth-flood.sh [flood clients] [seconds] [valid req/s]   (defaults 64, 20, 50)
# Runs three times: with the per-address failed-auth throttle (the default; all clients share 127.0.0.1), and with
# the throttle turned off so that every made-up key reaches the negative cache and the bounded lookup pool.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-64}; SECS=${2:-20}; RATE=${3:-50}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# Reactor build (no install: ~/.m2 may be shared).
# SKIP_BUILD=1 reuses gateway/target/quarkus-app and bench/target from an earlier build.
[ -n "${SKIP_BUILD:-}" ] || mvn -B -q -ntp -pl gateway,bench -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmaven.test.skip=true
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
ADMIN=bench-admin-key-0123456789abcdef0123456789
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
java -cp "$CP" dev.llmgateway.bench.overhead.EchoUpstream 19001 & sleep 1
cat > "$WORK/gateway.yaml" <<YAML
providers: {echo: {type: openai-compatible, base_url: "http://127.0.0.1:19001/v1", max_connections: 256}}
deployments: {echo: {provider: echo, model: bench, class: open}}
routes: {bench: {deployment: echo}}
YAML
run() {  # $1: label, $2: failed authentications allowed per address and minute, $3: random|repeat
  echo "== $1"
  GATEWAY_CONFIG="$WORK/gateway.yaml" GATEWAY_DATA_DIR="$WORK/data" GATEWAY_ADMIN_KEY=$ADMIN QUARKUS_HTTP_PORT=19080 \
    GATEWAY_EDGE_AUTH_FAILURES=$2 java -Xmx1g -jar gateway/target/quarkus-app/quarkus-run.jar > "$WORK/gateway.log" 2>&1 &
  local pid=$!
  for i in $(seq 1 90); do curl -sf localhost:19080/q/health/ready >/dev/null && break; sleep 1; done
  curl -sf localhost:19080/admin/teams -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"id":"bench"}' >/dev/null || true
  KEY=$(curl -sf localhost:19080/admin/teams/bench/keys -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
  java -cp "$CP" dev.llmgateway.bench.overhead.OpenLoopLoad http://127.0.0.1:19080/v1/chat/completions "$RATE" 5 "$KEY" >/dev/null  # warm-up
  java -cp "$CP" dev.llmgateway.bench.overhead.AuthFlood http://127.0.0.1:19080/v1/chat/completions "$KEY" "$CLIENTS" "$SECS" "$RATE" "$3"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
run "throttle on (default: 20 failures per address and minute), a new made-up key each request" 20 random
run "throttle off, a new made-up key each request (negative cache misses: bounded PostgreSQL lookups)" 1000000000 random
run "throttle off, 64 made-up keys repeated (negative cache hits)" 1000000000 repeat
