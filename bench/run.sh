#!/usr/bin/env bash
# make bench: creditscope (stateless and indexed) against a viem script, Ponder 0.16.10 (stock and with
# its RPC rate limiter lifted) and the RPC floor, on one seeded anvil, in one run. Every system reaches
# anvil through a counting JSON-RPC proxy. Writes bench/results/latest.json, bench/results/chart.png
# and BENCHMARKS.md. Loopback only.
# Usage: bench/run.sh   (SCALE=0.1 for a quick smaller run, DURATION=seconds per wrk run,
#                        STOCK_CAP_S / PONDER_CAP_S: how long a Ponder cold run may take)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
DURATION=${DURATION:-8}
# Stock Ponder needs many minutes for L; its cold run stops at this cap and is reported as a lower bound.
STOCK_CAP_S=${STOCK_CAP_S:-150}
PONDER_CAP_S=${PONDER_CAP_S:-600}
BUILD=${BUILD:-build}
BIN=$BUILD/src/app/creditscope
SEED=$BUILD/bench/creditscope-bench-seed
ANVIL=tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
PEERS=bench/peers
PONDER=$PEERS/node_modules/ponder/dist/esm/bin/ponder.js
export PONDER_TELEMETRY_DISABLED=true
work=$(mktemp -d /tmp/creditscope-bench-XXXXXX)
runs=$work/runs.jsonl
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bench_start=$(date +%s)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.4f", b - a }'; }
ms() {  # wrk duration ("255.00us", "1.23ms", "2.1s") -> milliseconds
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) ; else if (v ~ /m$/) n*=60000; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'
}
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
cpu_s() {  # user+system seconds of a process and its children so far
  for p in $(tree "$1"); do awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || true; done |
    awk -v hz="$(getconf CLK_TCK)" '{s+=$1} END {printf "%.2f", s/hz}'
}
peak_rss_kib() { for p in $(tree "$1"); do awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || true; done | sort -n | tail -1; }
wait_http() {  # url [status]: until it answers (with that status)
  for _ in $(seq 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    if [ -n "${2:-}" ]; then [ "$code" = "$2" ] && return 0; else [ "$code" != 000 ] && return 0; fi
    sleep 0.05
  done
  echo "no answer from $1" >&2; return 1
}
proxy_reset() { curl -s -XPOST "$proxy/__reset"; }
# Until no RPC call is in flight and, for 300 ms, none passed the proxy and the server (pid, if given)
# used no CPU: a server keeps working off requests wrk left behind (and anvil off their calls), which
# must not land in the next cold run.
quiet_state() { echo "$(curl -s "$proxy/__stats" | jq -c '[.calls, .in_flight]') $(if [ -n "${1:-}" ]; then cpu_s "$1"; fi)"; }
quiesce() {
  local a b
  b=$(quiet_state "${1:-}")
  while :; do
    a=$b; sleep 0.3; b=$(quiet_state "${1:-}")
    [ "$a" = "$b" ] && [[ $b == *",0]"* ]] && break  # unchanged, and [calls,in_flight] ends in 0
  done
}
proxy_stats() { curl -s "$proxy/__stats"; }
# Latency one request at a time (wrk -c1), then throughput and its latencies with 64 connections;
# wrk runs on core 1, servers on core 0.
warm() {
  local one out
  one=$(taskset -c 1 wrk -t1 -c1 -d"${DURATION}s" --timeout 60s --latency "$1" 2>&1)
  out=$(taskset -c 1 wrk -t1 -c64 -d"${DURATION}s" --timeout 60s --latency "$1" 2>&1)
  jq -n --argjson c1p50 "$(ms "$(echo "$one" | awk '$1=="50%" {print $2}')")" \
        --argjson c1p99 "$(ms "$(echo "$one" | awk '$1=="99%" {print $2}')")" \
        --argjson p50 "$(ms "$(echo "$out" | awk '$1=="50%" {print $2}')")" \
        --argjson p99 "$(ms "$(echo "$out" | awk '$1=="99%" {print $2}')")" \
        --argjson rps "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        --argjson errors "$(echo "$out" | awk '/Non-2xx|Socket errors/ {n++} END {print n+0}')" \
    '{warm_c1_p50_ms: $c1p50, warm_c1_p99_ms: $c1p99, warm_p50_ms: $p50, warm_p99_ms: $p99, warm_rps: $rps, warm_error_lines: $errors}'
}
record() { echo "$1" >> "$runs"; echo "$1" | jq -c . >&2; }

# --- chain --------------------------------------------------------------------------------------
# cancun, not anvil's default prague: prague's EIP-2935 history contract adds a storage slot per block
# and anvil rebuilds the state trie every block, so 50,000 blocks took 14 minutes instead of 2.
# --prune-history 64 keeps recent states only (everything reads at the head; Ponder reads metadata at
# "latest"); without it anvil writes every block's state to disk.
anvil_port=$(free_port)
taskset -c 1 "$ANVIL" --port "$anvil_port" --silent --gas-limit 100000000 --hardfork cancun --prune-history 64 >/dev/null 2>&1 &
anvil_pid=$!
pids+=($anvil_pid)
for _ in $(seq 100); do curl -s -o /dev/null -XPOST -H 'content-type: application/json' "127.0.0.1:$anvil_port" \
  -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' && break; sleep 0.1; done
echo "seeding (scale $SCALE)..." >&2
seed_start=$(date +%s)
head=$("$SEED" --rpc "http://127.0.0.1:$anvil_port" --out "$work" --scale "$SCALE")
seed_s=$(( $(date +%s) - seed_start ))
echo "seeded to block $head in $seed_s s" >&2

proxy_port=$(free_port)
proxy=http://127.0.0.1:$proxy_port
taskset -c 1 node $PEERS/rpc-proxy.mjs "$proxy_port" "http://127.0.0.1:$anvil_port" &
pids+=($!)
wait_http "$proxy/__stats" 200
jq --arg rpc "$proxy" '.rpc = $rpc' "$work/chain.json" > "$work/chain-proxy.json"
multicall3=$(jq -r .multicall3 "$work/chain.json")
account() { jq -r ".$1.credit_account" "$work/accounts.json"; }
owner() { jq -r ".$1.owner" "$work/accounts.json"; }

# --- floor ----------------------------------------------------------------------------------------
for profile in S M L; do
  f=$(taskset -c 0 node $PEERS/floor.mjs "$proxy" "$multicall3" "$(account $profile)" 5)
  record "$(jq -c --arg p $profile '{system: "floor", profile: $p} + .' <<< "$f")"
done

# --- HTTP servers that answer every profile: creditscope stateless and indexed, the viem script ----
# A fresh server process per account: after wrk a server (and anvil, for the stateless ones) can
# have minutes of requests left in flight; stopping the server drops them (the proxy aborts their
# upstream calls). Sets $port and $server.
start_server() {  # system
  port=$(free_port)
  case $1 in
    viem)
      taskset -c 0 node $PEERS/viem-balances.mjs "$port" "$work/chain-proxy.json" 2>>"$work/viem.log" &
      server=$!
      wait_http "127.0.0.1:$port/" ;;
    *)
      sed -e "s/127.0.0.1:0/127.0.0.1:$port/" -e "s#rpc_urls = \[\"[^\"]*\"\]#rpc_urls = [\"$proxy\"]#" \
        "$work/config-$1.toml" > "$work/run-$1.toml"
      taskset -c 0 "$BIN" serve --config "$work/run-$1.toml" 2>>"$work/$1.log" &
      server=$!
      wait_http "127.0.0.1:$port/readyz" 200
      [ "$1" = indexed ] && sleep 1 ;;  # let the follower take its first step
  esac
  pids+=($server)
}

serve_profiles() {  # system
  local system=$1 profile url cpu0 t0 cold stats status cold_cpu warmj rss
  for profile in S M L; do
    quiesce "$anvil_pid"
    start_server "$system"
    url="http://127.0.0.1:$port/v2/credit/balances?chain=base&owner=$(owner $profile)"
    proxy_reset
    cpu0=$(cpu_s "$server")
    t0=$(now)
    status=$(curl -s -o "$work/$system-$profile.json" -w '%{http_code}' --max-time 600 "$url")
    cold=$(elapsed "$t0")
    stats=$(proxy_stats)
    cold_cpu=$(awk -v a="$cpu0" -v b="$(cpu_s "$server")" 'BEGIN { printf "%.2f", b - a }')
    warmj=$(warm "$url")
    rss=$(peak_rss_kib "$server")
    record "$(jq -c -n --arg s "$system" --arg p $profile --argjson cold "$cold" --argjson status "$status" \
      --argjson rpc "$stats" --argjson cpu "$cold_cpu" --argjson bytes "$(stat -c %s "$work/$system-$profile.json")" \
      --argjson warm "$warmj" --argjson rss "$rss" --argjson cpu_all "$(cpu_s "$server")" \
      '{system: $s, profile: $p, cold_s: $cold, status: $status, rpc: $rpc, cold_cpu_s: $cpu, body_bytes: $bytes,
        peak_rss_kib: $rss, process_cpu_s: $cpu_all} + $warm')"
    kill -9 "$server"; wait "$server" 2>/dev/null || true
  done
}

for system in stateless indexed viem; do serve_profiles $system; done

# --- Ponder: one process per account (its filters are fixed at start), from an empty PGlite ------
# Cold time runs from Ponder's HTTP server coming up (/health; it is up before indexing starts) to
# the first answer equal to creditscope's; process_s also counts Ponder's own start (bundling the
# project). The unlimited run then serves the warm measurements.
ponder_run() {  # system profile
  local system=$1 profile=$2 port t_spawn t0 cold status total expected body
  port=$(free_port)
  expected=$(sha256sum < "$work/stateless-$profile.json" | cut -d' ' -f1)
  body=$work/$system-$profile.json
  quiesce "$anvil_pid"
  proxy_reset
  local hook=()
  [ "$system" = ponder ] && hook=(--import ./unlimited-rpc.mjs)
  t_spawn=$(now)
  (cd $PEERS && BENCH_ACCOUNT=$(account "$profile" | tr 'A-F' 'a-f') BENCH_RPC_URL=$proxy BENCH_PGLITE_DIR="$work/pglite-$system-$profile" \
    exec taskset -c 0 node "${hook[@]}" node_modules/ponder/dist/esm/bin/ponder.js start --schema bench -p "$port" -H 127.0.0.1) \
    >"$work/$system-$profile.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  wait_http "127.0.0.1:$port/health" 200
  t0=$(now)
  url="http://127.0.0.1:$port/v2/credit/balances?chain=base&owner=$(owner $profile)"
  status=incomplete
  local cap=$PONDER_CAP_S
  [ "$system" = ponder_stock ] && cap=$STOCK_CAP_S
  while awk -v a="$t0" -v b="$(now)" -v c="$cap" 'BEGIN { exit !(b - a < c) }'; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$port/ready")" = 200 ]; then
      curl -s --max-time 600 -o "$body" "$url"
      [ "$(sha256sum < "$body" | cut -d' ' -f1)" = "$expected" ] && { status=complete; break; }
    fi
    sleep 0.2
  done
  cold=$(elapsed "$t0")
  total=$(elapsed "$t_spawn")
  local stats cpu progress warmj='{}'
  progress=$({ grep -o 'progress=[0-9.]*%' "$work/$system-$profile.log" || true; } | tail -1 | tr -dc '0-9.')
  stats=$(proxy_stats)
  cpu=$(cpu_s "$pid")
  [ -f "$body" ] || curl -s -o "$body" "$url"  # never ready: keep what it answers now
  [ "$system" = ponder ] && warmj=$(warm "$url")
  record "$(jq -c -n --arg s "$system" --arg p "$profile" --argjson cold "$cold" --argjson total "$total" --arg st "$status" --arg progress "${progress:-}" \
    --argjson rpc "$stats" --argjson cpu "$cpu" --argjson rss "$(peak_rss_kib "$pid")" --argjson warm "$warmj" \
    --argjson bytes "$(stat -c %s "$body")" \
    '{system: $s, profile: $p, cold_s: $cold, process_s: $total, completion: $st, last_progress_pct: $progress, rpc: $rpc, cold_cpu_s: $cpu, peak_rss_kib: $rss, body_bytes: $bytes} + $warm')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for profile in S M L; do
  ponder_run ponder_stock "$profile"
  ponder_run ponder "$profile"
done

# --- results ----------------------------------------------------------------------------------------
mismatch=0
for p in S M L; do
  for s in indexed viem ponder; do
    if ! cmp -s "$work/stateless-$p.json" "$work/$s-$p.json"; then echo "MISMATCH: $s and stateless answers differ for $p" >&2; mismatch=1; fi
  done
done
[ $mismatch = 0 ] && echo "stateless, indexed, viem and Ponder answers are byte-identical for S, M and L" >&2
mkdir -p bench/results
jq -n --argjson scale "$SCALE" --argjson seed "$seed_s" --argjson head "$head" --argjson d "$DURATION" \
  --argjson accounts "$(cat "$work/accounts.json")" --argjson same "$([ $mismatch = 0 ] && echo true || echo false)" \
  --argjson total "$(( $(date +%s) - bench_start ))" --slurpfile runs "$runs" \
  '{scale: $scale, seed_s: $seed, head_block: $head, duration_s: $d, bench_s: $total, answers_identical: $same,
    accounts: $accounts, runs: $runs}' > bench/results/latest.json
python3 bench/report.py bench/results/latest.json bench/results/chart.png > BENCHMARKS.md.new
mv BENCHMARKS.md.new BENCHMARKS.md
# The cold-path, scale and extras sections come from make bench-cold, bench-scale and bench-extras; keep the last ones.
[[ -f bench/results/cold.md ]] && python3 bench/section.py cold
[[ -f bench/results/scale.md ]] && python3 bench/section.py scale
[[ -f bench/results/extras.md ]] && python3 bench/section.py extras
cat BENCHMARKS.md
[ $mismatch = 0 ]
