#!/usr/bin/env bash
# Gateway overhead at full speed, side by side with Portkey, in one run (docs/benchmarks.md, "Throughput and CPU per
# request"). A fake OpenAI-compatible upstream on loopback (EchoUpstream: answers at once; streams send their first
# chunk at once, the rest 2 ms later), the gateway jar on its embedded defaults (embedded PostgreSQL, metering on, a
# team and key), and Portkey's open-source gateway (npm package @portkey-ai/gateway, installed into a temporary
# folder, pointed at the same upstream with x-portkey-custom-host; skipped when npm is missing or the install fails).
# Closed-loop load (ClosedLoopLoad: N keep-alive connections, each sends its next request when the answer is complete)
# straight at the upstream, through the gateway and through Portkey, at each connection count; the gateway's and the
# embedded PostgreSQL's CPU per request from /proc (user + system ticks over the measured run / requests answered);
# and the median time to the first SSE chunk over one connection, whose difference to the direct path is what the
# gateway adds to a stream's time to first byte (three alternations of direct and gateway, and their median). Beside
# them, the floor: BareProxy, a Vert.x proxy that forwards bytes and does nothing else (no parsing, routing, metering),
# one verticle per event loop, relaying streams chunk by chunk: what any proxy on this stack costs on this machine, in
# CPU per request and in time added to a stream's first byte. Last, TtfbPairs asks direct, gateway and bare proxy in
# turn from one load process, one stream at a time, and reports each one's median and the paired differences.
# Usage: bench/throughput.sh [CONNECTIONS...]      (default: 8 64)
# Env: BENCH_SECONDS (15) per measured run; BENCH_SKIP_BUILD=1 reuses the last build; BENCH_GATEWAY_OPTS extra JVM
# options for the gateway (e.g. -XX:StartFlightRecording=filename=/tmp/gw.jfr,settings=profile); PORTKEY_VERSION
# (1.15.2); BENCH_PORTKEY_DIR an existing install to reuse; BENCH_NO_PORTKEY=1 skips Portkey.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-15}
if [ $# -gt 0 ]; then CONNS=("$@"); else CONNS=(8 64); fi
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# Reactor build, nothing installed into ~/.m2.
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || mvn -B -q -ntp -pl gateway,bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
ADMIN=bench-admin-key-0123456789abcdef0123456789
WORK=$(mktemp -d); DATA=$WORK/gateway-data
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; for f in gateway portkey load; do cp "$WORK/$f.log" bench/target/throughput-$f.log 2>/dev/null; done; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP_PORT=$(free_port); GW_PORT=$(free_port); PK_PORT=$(free_port)
echo "machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"

java -Xmx256m -cp "$CP" dev.llmgateway.bench.overhead.EchoUpstream "$UP_PORT" 2 > "$WORK/upstream.log" 2>&1 &
cat > "$WORK/gateway.yaml" <<YAML
providers: {echo: {type: openai-compatible, base_url: "http://127.0.0.1:$UP_PORT/v1"}}
deployments: {echo: {provider: echo, model: bench, class: open}}
routes: {bench: {deployment: echo}}
YAML
GATEWAY_CONFIG="$WORK/gateway.yaml" GATEWAY_DATA_DIR="$DATA" GATEWAY_ADMIN_KEY=$ADMIN QUARKUS_HTTP_PORT=$GW_PORT \
  java -Xmx1g ${BENCH_GATEWAY_OPTS:-} -jar gateway/target/quarkus-app/quarkus-run.jar > "$WORK/gateway.log" 2>&1 &
GW_PID=$!
FLOOR_PORT=$(free_port)
java -Xmx512m -cp "$CP" dev.llmgateway.bench.overhead.BareProxy "$FLOOR_PORT" "$UP_PORT" 2 > "$WORK/floor.log" 2>&1 &
FLOOR_PID=$!

PK_PID=""
if [ "${BENCH_NO_PORTKEY:-}" != 1 ]; then
  if ! command -v npm >/dev/null; then
    echo "Portkey skipped: npm is not installed (apt-get install npm)"
  else
    PK_DIR=${BENCH_PORTKEY_DIR:-$WORK/portkey}
    if [ ! -f "$PK_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
      mkdir -p "$PK_DIR"
      # @hono/node-server pinned to 1.14.2: with newer versions Portkey fails every stream ("TypeError: immutable",
      # Portkey-AI/gateway issue 1389).
      (cd "$PK_DIR" && npm install --silent --no-audit --no-fund "@portkey-ai/gateway@${PORTKEY_VERSION:-1.15.2}" @hono/node-server@1.14.2 > "$WORK/npm.log" 2>&1) \
        || { echo "Portkey skipped: npm install failed:"; tail -5 "$WORK/npm.log"; }
    fi
    if [ -f "$PK_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
      # TRUSTED_CUSTOM_HOSTS: Portkey refuses custom hosts on private addresses unless trusted.
      (cd "$PK_DIR" && NODE_ENV=production TRUSTED_CUSTOM_HOSTS=127.0.0.1,localhost \
        exec node node_modules/@portkey-ai/gateway/build/start-server.js --port="$PK_PORT" --headless) > "$WORK/portkey.log" 2>&1 &
      PK_PID=$!
      echo "Portkey $(node -p "require('$PK_DIR/node_modules/@portkey-ai/gateway/package.json').version") on node $(node --version)"
    fi
  fi
fi

for i in $(seq 1 90); do curl -sf "localhost:$GW_PORT/q/health/ready" >/dev/null && break; sleep 1; done
curl -sf "localhost:$GW_PORT/admin/teams" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"id":"bench"}' >/dev/null
KEY=$(curl -sf "localhost:$GW_PORT/admin/teams/bench/keys" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
if [ -n "$PK_PID" ]; then
  for i in $(seq 1 30); do curl -s -o /dev/null "localhost:$PK_PORT/" && break; sleep 1; done
fi

load() { java -Xmx512m -cp "$CP" dev.llmgateway.bench.overhead.ClosedLoopLoad "$@" 2>> "$WORK/load.log"; }
LOAD=load
DIRECT="http://127.0.0.1:$UP_PORT/v1/chat/completions"
GATEWAY="http://127.0.0.1:$GW_PORT/v1/chat/completions"
PORTKEY="http://127.0.0.1:$PK_PORT/v1/chat/completions"
FLOOR="http://127.0.0.1:$FLOOR_PORT/v1/chat/completions"
GW_H=("authorization: Bearer $KEY")
PK_H=("x-portkey-provider: openai" "x-portkey-custom-host: http://127.0.0.1:$UP_PORT/v1" "authorization: Bearer sk-bench")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {  # the embedded PostgreSQL: its postmaster runs on the gateway's data directory; the backends are its children
  local t=0 p pm
  for pm in $(pgrep -f -- "$DATA" | grep -vx "$GW_PID"); do
    for p in $pm $(pgrep -P "$pm"); do t=$((t + $(ticks "$p"))); done
  done
  echo $t
}
HZ=$(getconf CLK_TCK)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }
us_per() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }'; }

echo "warm-up (gateway 20 s + streams 10 s; bare proxy 10 s; Portkey 10 s)"
$LOAD "$GATEWAY" 8 20 whole "${GW_H[@]}" > /dev/null
$LOAD "$GATEWAY" 8 10 ttfb "${GW_H[@]}" > /dev/null
$LOAD "$FLOOR" 8 10 whole > /dev/null
$LOAD "$FLOOR" 8 5 ttfb > /dev/null
[ -z "$PK_PID" ] || $LOAD "$PORTKEY" 8 10 whole "${PK_H[@]}" > /dev/null
sleep 2

printf '\n| connections | direct req/s | direct p50 / p99 | gateway req/s | gateway p50 / p99 | Portkey req/s | Portkey p50 / p99 | gateway / Portkey | CPU µs per request: gateway / PostgreSQL / Portkey | floor: bare Vert.x proxy req/s, CPU µs per request |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for c in "${CONNS[@]}"; do
  d=$($LOAD "$DIRECT" "$c" "$SECS" whole); sleep 1
  g0=$(ticks $GW_PID); p0=$(pg_ticks)
  g=$($LOAD "$GATEWAY" "$c" "$SECS" whole "${GW_H[@]}")
  g1=$(ticks $GW_PID); p1=$(pg_ticks); sleep 1
  gn=$(field ok "$g"); gcpu=$(us_per $((g1 - g0)) "$gn"); pgcpu=$(us_per $((p1 - p0)) "$gn")
  pk="-"; pkcpu="-"; ratio="-"; pkl="-"
  if [ -n "$PK_PID" ]; then
    k0=$(ticks $PK_PID)
    k=$($LOAD "$PORTKEY" "$c" "$SECS" whole "${PK_H[@]}")
    k1=$(ticks $PK_PID); sleep 1
    pk=$(field req_per_s "$k"); pkl="$(awk -v a="$(field p50_us "$k")" -v b="$(field p99_us "$k")" 'BEGIN{printf "%.2f / %.2f ms", a/1000, b/1000}')"
    pkcpu=$(us_per $((k1 - k0)) "$(field ok "$k")")
    ratio=$(awk -v a="$(field req_per_s "$g")" -v b="$pk" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
    [ "$(field failed "$k")" = 0 ] || pk="$pk ($(field failed "$k") failed)"
  fi
  f0=$(ticks $FLOOR_PID)
  b=$($LOAD "$FLOOR" "$c" "$SECS" whole)
  f1=$(ticks $FLOOR_PID); sleep 1
  floor="$(field req_per_s "$b"), $(us_per $((f1 - f0)) "$(field ok "$b")")"
  ms() { awk -v a="$(field p50_us "$1")" -v b="$(field p99_us "$1")" 'BEGIN{printf "%.2f / %.2f ms", a/1000, b/1000}'; }
  gf=""; [ "$(field failed "$g")" = 0 ] || gf=" ($(field failed "$g") failed)"
  printf '| %s | %s | %s | %s%s | %s | %s | %s | %s | %s / %s / %s | %s |\n' "$c" "$(field req_per_s "$d")" "$(ms "$d")" \
    "$(field req_per_s "$g")" "$gf" "$(ms "$g")" "$pk" "$pkl" "$ratio" "$gcpu" "$pgcpu" "$pkcpu" "$floor"
done

TTFB_SECS=$(( SECS < 10 ? SECS : 10 ))
printf '\nstreaming, 1 connection, %s s each, direct, gateway and bare proxy in turn three times: time to the first SSE chunk (median / p99), and what each adds to the median\n' "$TTFB_SECS"
added=(); floor_added=()
for round in 1 2 3; do
  sd=$($LOAD "$DIRECT" 1 "$TTFB_SECS" ttfb)
  sg=$($LOAD "$GATEWAY" 1 "$TTFB_SECS" ttfb "${GW_H[@]}")
  sf=$($LOAD "$FLOOR" 1 "$TTFB_SECS" ttfb)
  a=$(( $(field ttfb_p50_us "$sg") - $(field ttfb_p50_us "$sd") )); added+=("$a")
  af=$(( $(field ttfb_p50_us "$sf") - $(field ttfb_p50_us "$sd") )); floor_added+=("$af")
  echo "  round $round: direct $(field ttfb_p50_us "$sd") / $(field ttfb_p99_us "$sd") µs ($(field ok "$sd") streams); gateway $(field ttfb_p50_us "$sg") / $(field ttfb_p99_us "$sg") µs ($(field ok "$sg") streams, $(field failed "$sg") failed), added to the median: $a µs; bare proxy $(field ttfb_p50_us "$sf") µs, added: $af µs"
done
echo "  added to the median, median of the three rounds: gateway $(printf '%s\n' "${added[@]}" | sort -n | sed -n 2p) µs, bare proxy (the floor) $(printf '%s\n' "${floor_added[@]}" | sort -n | sed -n 2p) µs"
# The same in one load process, the three asked in turn one stream at a time (each proxy idle between its streams,
# every target seeing the same machine state): TtfbPairs.
p=$(java -Xmx256m -cp "$CP" dev.llmgateway.bench.overhead.TtfbPairs "$SECS" 10 "$DIRECT" "$GATEWAY" "Bearer $KEY" "$FLOOR" 2>> "$WORK/load.log")
echo "  in turn, one stream at a time ($(field rotations "$p") rotations): direct $(field direct_ttfb_p50_us "$p") µs, gateway $(field gateway_ttfb_p50_us "$p") µs (added $(field gateway_added_us "$p"), paired $(field gateway_added_paired_us "$p")), bare proxy $(field floor_ttfb_p50_us "$p") µs (added $(field floor_added_us "$p"), paired $(field floor_added_paired_us "$p"))"
if [ -n "$PK_PID" ]; then
  sk=$($LOAD "$PORTKEY" 1 "$TTFB_SECS" ttfb "${PK_H[@]}")
  if [ "$(field ok "$sk")" = 0 ]; then
    echo "  Portkey: every stream failed ($(field failed "$sk")); see bench/target/throughput-portkey.log"
  else
    echo "  Portkey: $(field ttfb_p50_us "$sk") / $(field ttfb_p99_us "$sk") µs ($(field ok "$sk") streams, $(field failed "$sk") failed); added to the median: $(( $(field ttfb_p50_us "$sk") - $(field ttfb_p50_us "$sd") )) µs"
  fi
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
