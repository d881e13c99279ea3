#!/usr/bin/env bash
# Concurrency at LLM latencies: a fixed number of calls in flight against a slow fake upstream, straight and through
# the gateway (embedded defaults, metering on), with the gateway's RSS per call in flight.
# Usage: bench/concurrency.sh [SCENARIO...]   SCENARIO = IN_FLIGHT:LATENCY_MS:whole|stream[:old64]
#   old64 sends the calls through a provider with the old default pool (max_connections: 64) for comparison.
# Env: BENCH_SECONDS (default 20) per measured run; BENCH_SKIP_BUILD=1 reuses the last build; BENCH_DATA_DIR puts
# the gateway's data (embedded PostgreSQL, usage journal) elsewhere, e.g. /dev/shm to take fsync out of the picture;
# BENCH_LIVE_HEAP=0 skips the live-heap figure (it forces a full GC before and halfway through each gateway run).
# The gateway's log is kept in bench/target/concurrency-gateway.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-20}
if [ $# -gt 0 ]; then SCENARIOS=("$@"); else
  SCENARIOS=(1000:500:whole:old64 1000:500:whole 1000:500:stream 1000:2000:stream 1000:5000:whole 5000:2000:stream 5000:5000:whole)
fi
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# Reactor build, nothing installed into ~/.m2.
[ "${BENCH_SKIP_BUILD:-}" = 1 ] || mvn -B -q -ntp -pl gateway,bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
WORK=$(mktemp -d); DATA=${BENCH_DATA_DIR:-$WORK}/gateway-data-$$; trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; cp "$WORK/gateway.log" bench/target/concurrency-gateway.log 2>/dev/null; rm -rf "$WORK" "$DATA"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "gateway data: $DATA; machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg), open-file limit $(ulimit -n)"

# One slow upstream per latency.
declare -A UP
for lat in $(printf '%s\n' "${SCENARIOS[@]}" | cut -d: -f2 | sort -un); do
  UP[$lat]=$(free_port)
  java -Xmx512m -cp "$CP" dev.llmgateway.bench.concurrency.SlowUpstream "${UP[$lat]}" "$lat" 10 > "$WORK/upstream-$lat.log" 2>&1 &
done
GW_PORT=$(free_port)
{
  echo "providers:"
  for lat in "${!UP[@]}"; do
    echo "  up-$lat: {type: openai-compatible, base_url: \"http://127.0.0.1:${UP[$lat]}/v1\"}"
    echo "  old64-$lat: {type: openai-compatible, base_url: \"http://127.0.0.1:${UP[$lat]}/v1\", max_connections: 64}"
  done
  echo "deployments:"
  for lat in "${!UP[@]}"; do
    echo "  up-$lat: {provider: up-$lat, model: bench, class: open, timeouts: {total: 5m}}"
    echo "  old64-$lat: {provider: old64-$lat, model: bench, class: open, timeouts: {total: 5m}}"
  done
  echo "routes:"
  for lat in "${!UP[@]}"; do
    echo "  bench-$lat: {deployment: up-$lat}"
    echo "  old64-$lat: {deployment: old64-$lat}"
  done
} > "$WORK/gateway.yaml"
GATEWAY_CONFIG="$WORK/gateway.yaml" GATEWAY_DATA_DIR="$DATA" GATEWAY_ADMIN_KEY=bench-admin-key-0123456789abcdef0123456789 QUARKUS_HTTP_PORT=$GW_PORT \
  java -Xmx2g ${BENCH_GATEWAY_OPTS:-} -jar gateway/target/quarkus-app/quarkus-run.jar > "$WORK/gateway.log" 2>&1 &
GW_PID=$!
for i in $(seq 1 90); do curl -sf "localhost:$GW_PORT/q/health/live" >/dev/null && break; sleep 1; done
curl -sf "localhost:$GW_PORT/admin/teams" -H 'authorization: Bearer bench-admin-key-0123456789abcdef0123456789' -H 'content-type: application/json' -d '{"id":"bench"}' >/dev/null
KEY=$(curl -sf "localhost:$GW_PORT/admin/teams/bench/keys" -H 'authorization: Bearer bench-admin-key-0123456789abcdef0123456789' -H 'content-type: application/json' -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
LOAD="java -Xmx1g -cp $CP dev.llmgateway.bench.concurrency.ConcurrencyLoad"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# Live Java heap (KB) right after a forced full GC: survivor + eden + old "used" columns of jstat -gc.
live_kb() { jcmd "$1" GC.run > /dev/null 2>&1; jstat -gc "$1" | awk 'NR == 2 {printf "%.0f", $3 + $4 + $6 + $8}'; }
# CPU ticks (user + system) of a process, and of the embedded PostgreSQL (its postmaster runs on the data directory;
# the backends are its children).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local t=0 p pm
  for pm in $(pgrep -f -- "$DATA" | grep -vx "$GW_PID"); do
    for p in $pm $(pgrep -P "$pm"); do t=$((t + $(ticks "$p"))); done
  done
  echo $t
}
HZ=$(getconf CLK_TCK)

first_lat=$(printf '%s\n' "${SCENARIOS[@]}" | cut -d: -f2 | sort -un | head -1)
echo "warm-up (200 in flight, 10 s, through the gateway)"
$LOAD "http://127.0.0.1:$GW_PORT/v1/chat/completions" "bench-$first_lat" 200 10 whole "$KEY" > /dev/null
$LOAD "http://127.0.0.1:$GW_PORT/v1/chat/completions" "bench-$first_lat" 200 5 stream "$KEY" > /dev/null

printf '\n| in flight | upstream latency | mode | pool | direct req/s | gateway req/s | gateway/direct | gateway success | gateway p50 / p99 | gateway RSS before -> peak | RSS per call in flight | live heap per call in flight | gateway CPU; µs per call gateway / PostgreSQL | failures |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for sc in "${SCENARIOS[@]}"; do
  IFS=: read -r n lat mode pool <<< "$sc"
  route="bench-$lat"; pool_name="default (4096)"
  if [ "${pool:-}" = "old64" ]; then route="old64-$lat"; pool_name="64 (old default)"; fi
  direct=$($LOAD "http://127.0.0.1:${UP[$lat]}/v1/chat/completions" bench "$n" "$SECS" "$mode")
  sleep 3
  before=$(rss_kb $GW_PID); peak=$before
  ( while kill -0 $GW_PID 2>/dev/null; do r=$(rss_kb $GW_PID); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$WORK/peak"; sleep 0.5; done ) &
  SAMPLER=$!
  echo "$before" > "$WORK/peak"
  # Live heap with nothing in flight, then halfway through the run with every call in flight (one full GC each; the
  # pause lands in the run's p99 when BENCH_LIVE_HEAP is not 0).
  live0=""; echo "" > "$WORK/live"
  if [ "${BENCH_LIVE_HEAP:-1}" != 0 ]; then
    live0=$(live_kb $GW_PID)
    ( sleep $((SECS / 2)); live_kb $GW_PID > "$WORK/live" ) &
  fi
  cpu0=$(ticks $GW_PID); pg0=$(pg_ticks); t0=$(date +%s.%N)
  gw=$($LOAD "http://127.0.0.1:$GW_PORT/v1/chat/completions" "$route" "$n" "$SECS" "$mode" "$KEY")
  cpu1=$(ticks $GW_PID); pg1=$(pg_ticks); t1=$(date +%s.%N)
  kill $SAMPLER 2>/dev/null; wait $SAMPLER 2>/dev/null || true
  peak=$(cat "$WORK/peak")
  field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<< "$2"; }
  d_rps=$(field req_per_s "$direct"); g_rps=$(field req_per_s "$gw")
  ratio=$(python3 -c "print('%.0f%%' % (100.0*$g_rps/$d_rps) if $d_rps else 'n/a')")
  per=$(python3 -c "print('%.0f KB' % (($peak-$before)/$n))")
  live1=$(cat "$WORK/live"); live_per="-"
  [ -n "$live0" ] && [ -n "$live1" ] && live_per=$(python3 -c "print('%.1f KB' % (($live1-$live0)/$n))")
  calls=$(field ok "$gw")
  cpu=$(python3 -c "e=$t1-$t0; print('%.2f cores, %.0f / %.0f' % (($cpu1-$cpu0)/$HZ/e, 1e6*($cpu1-$cpu0)/$HZ/max(1,$calls), 1e6*($pg1-$pg0)/$HZ/max(1,$calls)))")
  printf '| %s | %s ms | %s | %s | %s | %s | %s | %s | %s / %s | %s -> %s MB | %s | %s | %s | %s |\n' "$n" "$lat" "$mode" "$pool_name" \
    "$d_rps" "$g_rps" "$ratio" "$(field success "$gw")" "$(field p50 "$gw")" "$(field p99 "$gw")" \
    "$((before / 1024))" "$((peak / 1024))" "$per" "$live_per" "$cpu" "$(sed -n 's/.*failures=\(.*\)$/\1/p' <<< "$gw")"
  echo "  direct:  $direct" >&2
  echo "  gateway: $gw" >&2
done
echo
echo "circuit states after the runs (0 closed, 2 open):"
curl -sf "localhost:$GW_PORT/q/metrics" -H 'authorization: Bearer bench-admin-key-0123456789abcdef0123456789' | grep -E '^gateway_circuit_state|^gateway_upstream_pool_rejected_total' | sed 's/^/  /'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
