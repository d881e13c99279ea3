#!/usr/bin/env bash
# Gateway overhead: the same load straight at a fake upstream and through the gateway, on loopback.
# Usage: bench/overhead.sh [rate] [seconds]   (defaults 500 req/s for 30 s). Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-500}; SECS=${2:-30}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# Reactor build, nothing installed into ~/.m2.
mvn -B -q -ntp -pl gateway,bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
java -cp "$CP" dev.llmgateway.bench.overhead.EchoUpstream 19001 & sleep 1
cat > "$WORK/gateway.yaml" <<YAML
providers: {echo: {type: openai-compatible, base_url: "http://127.0.0.1:19001/v1", max_connections: 256}}
deployments: {echo: {provider: echo, model: bench, class: open}}
routes: {bench: {deployment: echo}}
YAML
GATEWAY_CONFIG="$WORK/gateway.yaml" GATEWAY_DATA_DIR="$WORK/data" GATEWAY_ADMIN_KEY=bench-admin-key-0123456789abcdef0123456789 QUARKUS_HTTP_PORT=19080 \
  java -Xmx1g ${BENCH_GATEWAY_OPTS:-} -jar gateway/target/quarkus-app/quarkus-run.jar > "$WORK/gateway.log" 2>&1 &
for i in $(seq 1 60); do curl -sf localhost:19080/q/health/live >/dev/null && break; sleep 1; done
curl -sf localhost:19080/admin/teams -H 'authorization: Bearer bench-admin-key-0123456789abcdef0123456789' -H 'content-type: application/json' -d '{"id":"bench"}' >/dev/null
KEY=$(curl -sf localhost:19080/admin/teams/bench/keys -H 'authorization: Bearer bench-admin-key-0123456789abcdef0123456789' -H 'content-type: application/json' -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
echo "warm-up"; java -cp "$CP" dev.llmgateway.bench.overhead.OpenLoopLoad http://127.0.0.1:19080/v1/chat/completions "$RATE" 10 "$KEY" >/dev/null
echo "direct:  $(java -cp "$CP" dev.llmgateway.bench.overhead.OpenLoopLoad http://127.0.0.1:19001/v1/chat/completions "$RATE" "$SECS")"
curl -sf localhost:19080/q/metrics -H "authorization: Bearer bench-admin-key-0123456789abcdef0123456789" > "$WORK/metrics-before.txt"
echo "gateway: $(java -cp "$CP" dev.llmgateway.bench.overhead.OpenLoopLoad http://127.0.0.1:19080/v1/chat/completions "$RATE" "$SECS" "$KEY")"
# The gateway's own view: time from the request reaching the pipeline to the answer leaving it (upstream included).
curl -sf localhost:19080/q/metrics -H "authorization: Bearer bench-admin-key-0123456789abcdef0123456789" > "$WORK/metrics.txt" && python3 - "$WORK/metrics-before.txt" "$WORK/metrics.txt" <<'PY'
import re, sys
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r'gateway_request_duration_seconds_bucket\{.*le="([^"]+)".*\} ([0-9.eE+]+)', line)
        if m and 'route="bench"' in line:
            out[float('inf') if m.group(1) == '+Inf' else float(m.group(1))] = float(m.group(2))
    return out
before, after = read(sys.argv[1]), read(sys.argv[2])
buckets = sorted((le, c - before.get(le, 0)) for le, c in after.items())
total = buckets[-1][1] if buckets else 0
def q(p):
    for le, c in buckets:
        if c >= p * total: return le * 1000
print("gateway (server-side histogram, upper bucket bounds): requests=%d p50<=%.2fms p90<=%.2fms p99<=%.2fms p99.9<=%.2fms" % (total, q(.5), q(.9), q(.99), q(.999)))
PY
if command -v wrk >/dev/null; then
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Say something short about foxes."}],"max_tokens":16}'
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $KEY"
LUA
  echo "max throughput, wrk -t2 -c32 -d15s:"
  echo "  direct:  $(wrk -t2 -c32 -d15s -s "$WORK/post.lua" http://127.0.0.1:19001/v1/chat/completions | grep -E 'Requests/sec')"
  echo "  gateway: $(wrk -t2 -c32 -d15s -s "$WORK/post.lua" http://127.0.0.1:19080/v1/chat/completions | grep -E 'Requests/sec')"
fi
