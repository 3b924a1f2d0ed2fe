#!/usr/bin/env bash
# Benchmark: creditscope stateless vs indexed on one seeded anvil, in one run.
# Writes bench/results/latest.json and BENCHMARKS.md. Loopback only.
# Usage: bench/run.sh            (SCALE=0.1 for a quick smaller run, DURATION=seconds per wrk run)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
DURATION=${DURATION:-8}
BUILD=${BUILD:-build}
BIN=$BUILD/src/app/creditscope
SEED=$BUILD/bench/creditscope-bench-seed
ANVIL=tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
work=$(mktemp -d /tmp/creditscope-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms() {  # wrk duration ("255.00us", "1.23ms", "2.1s") -> milliseconds
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) ; else if (v ~ /m$/) n*=60000; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'
}

anvil_port=$(free_port)
taskset -c 1 "$ANVIL" --port "$anvil_port" --silent --gas-limit 100000000 --prune-history 256 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null -XPOST -H 'content-type: application/json' "127.0.0.1:$anvil_port" \
  -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' && break; sleep 0.1; done
echo "seeding (scale $SCALE)..." >&2
seed_start=$(date +%s)
head=$("$SEED" --rpc "http://127.0.0.1:$anvil_port" --out "$work" --scale "$SCALE")
seed_s=$(( $(date +%s) - seed_start ))
echo "seeded to block $head in $seed_s s" >&2

results="{\"scale\": $SCALE, \"seed_s\": $seed_s, \"head_block\": $head, \"duration_s\": $DURATION, \"accounts\": $(cat "$work/accounts.json"), \"systems\": {"
first_system=1
for mode in stateless indexed; do
  port=$(free_port)
  sed "s/127.0.0.1:0/127.0.0.1:$port/" "$work/config-$mode.toml" > "$work/run-$mode.toml"
  taskset -c 0 "$BIN" serve --config "$work/run-$mode.toml" 2>"$work/$mode.log" &
  server=$!
  pids+=($server)
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port/healthz" && break; sleep 0.1; done
  for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$port/readyz")" = 200 ] && break; sleep 0.1; done
  [ "$mode" = indexed ] && sleep 1  # let the follower take its first step
  sys="\"$mode\": {"
  first_profile=1
  for profile in S M L; do
    owner=$(jq -r ".$profile.owner" "$work/accounts.json")
    url="http://127.0.0.1:$port/v2/credit/balances?chain=base&owner=$owner"
    cold=$(curl -s -o "$work/$mode-$profile.json" -w '%{time_total}' --max-time 300 "$url")
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "$url")
    # Latency one request at a time, then throughput with 64 connections.
    one=$(taskset -c 1 wrk -t1 -c1 -d"${DURATION}s" --timeout 60s --latency "$url" 2>&1)
    c1_p50=$(ms "$(echo "$one" | awk '$1=="50%" {print $2}')")
    c1_p99=$(ms "$(echo "$one" | awk '$1=="99%" {print $2}')")
    out=$(taskset -c 1 wrk -t1 -c64 -d"${DURATION}s" --timeout 60s --latency "$url" 2>&1)
    p50=$(ms "$(echo "$out" | awk '$1=="50%" {print $2}')")
    p99=$(ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    bytes=$(stat -c %s "$work/$mode-$profile.json")
    echo "$mode $profile: cold ${cold}s, c1 p50 ${c1_p50} ms p99 ${c1_p99} ms, c64 p50 ${p50} ms p99 ${p99} ms ${rps} req/s, status $status, ${bytes} B" >&2
    [ $first_profile = 1 ] || sys+=","
    first_profile=0
    sys+="\"$profile\": {\"cold_s\": $cold, \"status\": $status, \"warm_c1_p50_ms\": $c1_p50, \"warm_c1_p99_ms\": $c1_p99, \"warm_p50_ms\": $p50, \"warm_p99_ms\": $p99, \"warm_rps\": $rps, \"body_bytes\": $bytes}"
  done
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  cpu=$(awk '{print ($14+$15)/100}' "/proc/$server/stat")
  sys+=", \"peak_rss_kib\": $rss, \"cpu_s\": $cpu}"
  [ $first_system = 1 ] || results+=","
  first_system=0
  results+="$sys"
  kill "$server"; wait "$server" 2>/dev/null || true
done
results+="}}"
mkdir -p bench/results
echo "$results" | jq . > bench/results/latest.json
for p in S M L; do
  if ! cmp -s "$work/stateless-$p.json" "$work/indexed-$p.json"; then echo "MISMATCH: stateless and indexed answers differ for $p" >&2; exit 1; fi
done
echo "stateless and indexed answers are byte-identical for S, M and L" >&2
python3 bench/report.py bench/results/latest.json > BENCHMARKS.md
cat BENCHMARKS.md
