"""Renders bench/results/latest.json as BENCHMARKS.md (ratios against the stateless baseline)."""
import json
import platform
import subprocess
import sys

r = json.load(open(sys.argv[1]))
s, i = r["systems"]["stateless"], r["systems"]["indexed"]
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
print("# Benchmarks\n")
print("Produced by `make bench` (bench/run.sh: anvil seeded by `creditscope-bench-seed`, servers pinned to")
print("core 0, `wrk -t1 -c64` pinned to core 1). Raw numbers: `bench/results/latest.json`.\n")
print(f"Machine: {cpu or platform.processor()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores. "
      f"Scale {r['scale']}, chain head block {r['head_block']}, {r['duration_s']} s per wrk run.\n")
print("Warm latency is measured one request at a time (`-c1`); throughput and its latencies with 64 connections.\n")
print("| account | tokens | transfers | system | cold first answer | warm p50 (c1) | warm p99 (c1) | req/s (c64) | p50 / p99 (c64) | body |")
print("|---|---|---|---|---|---|---|---|---|---|")
for p in ["S", "M", "L"]:
    a = r["accounts"][p]
    for name, sysr in [("stateless", s), ("indexed", i)]:
        x = sysr[p]
        print(f"| {p} | {a['tokens']} | {a['transfers']} | {name} | {x['cold_s']*1000:.1f} ms | {x['warm_c1_p50_ms']:.3f} ms | "
              f"{x['warm_c1_p99_ms']:.3f} ms | {x['warm_rps']:.0f} | {x['warm_p50_ms']:.2f} / {x['warm_p99_ms']:.2f} ms | {x['body_bytes']} B |")
print("\n## Ratios (indexed against stateless, same run)\n")
print("| account | warm req/s (c64) | warm p50 (c1) | cold |")
print("|---|---|---|---|")
for p in ["S", "M", "L"]:
    print(f"| {p} | {i[p]['warm_rps']/max(s[p]['warm_rps'],1e-9):.0f}x | {s[p]['warm_c1_p50_ms']/max(i[p]['warm_c1_p50_ms'],1e-9):.0f}x faster | "
          f"{s[p]['cold_s']/max(i[p]['cold_s'],1e-9):.2f}x |")
print(f"\nPeak RSS: stateless {s['peak_rss_kib']/1024:.0f} MiB, indexed {i['peak_rss_kib']/1024:.0f} MiB. "
      f"CPU: stateless {s['cpu_s']:.1f} s, indexed {i['cpu_s']:.1f} s.")
print("\nTargets (issue 3): warm p50 under 0.5 ms and at least 20,000 req/s for S; L at least 50x faster warm than stateless.")
