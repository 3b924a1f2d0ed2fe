"""Renders bench/results/latest.json as BENCHMARKS.md (tables and ratios) and a PNG chart (gnuplot).
Usage: python3 bench/report.py RESULTS_JSON CHART_PNG > BENCHMARKS.md"""
import json
import os
import platform
import subprocess
import sys
import tempfile

r = json.load(open(sys.argv[1]))
chart = sys.argv[2]
PROFILES = ["S", "M", "L"]
NAMES = {
    "floor": "RPC floor",
    "indexed": "creditscope indexed",
    "stateless": "creditscope stateless",
    "viem": "viem script",
    "ponder": "Ponder, limiter lifted",
    "ponder_stock": "Ponder, stock",
}
runs = {(x["system"], x["profile"]): x for x in r["runs"]}


def run(system, profile):
    return runs.get((system, profile))


def cold_s(x):
    if x["system"] == "floor":
        return x["median_ms"] / 1000
    return x["cold_s"]


def complete(x):
    return x.get("completion", "complete") == "complete"


def fmt_s(v):
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def rss(x):
    return f"{x['peak_rss_kib'] / 1024:.0f} MiB"


cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
out = []
p = out.append
p("# Benchmarks\n")
p("Command: `make bench` (bench/run.sh; `SCALE=0.1 make bench` for a quick look). It installs what it needs, seeds")
p("anvil, runs every system below against the same chain through a counting JSON-RPC proxy, and writes")
p("`bench/results/latest.json` (raw), `bench/results/chart.png` and this file.\n")
p(f"Machine: {cpu or platform.processor()}, {nproc} cores. Scale {r['scale']}, chain head block {r['head_block']}; seeding took "
  f"{r['seed_s']} s, the whole benchmark {r.get('bench_s', '?')} s. Servers on core 0; anvil, the proxy and `wrk` on core 1. "
  f"Warm latency: `wrk -t1 -c1`, {r['duration_s']} s; throughput: `wrk -t1 -c64`, {r['duration_s']} s.\n")
p("Answers: " + ("stateless, indexed, the viem script and Ponder returned **byte-identical** bodies for S, M and L."
                 if r.get("answers_identical") else "**the systems' answers differed** (see the run's output)."))
p("")
p("![warm throughput and cold time per system](bench/results/chart.png)\n")

p("## Results\n")
p("| account | system | cold (first complete answer) | RPC calls (HTTP requests) | cold CPU | warm p50 / p99 (c1) | req/s (c64) | p50 / p99 (c64) | peak RSS |")
p("|---|---|---|---|---|---|---|---|---|")
for prof in PROFILES:
    a = r["accounts"][prof]
    label = f"{prof}: {a['tokens']} tok, {a['transfers']} tr"
    for system in NAMES:
        x = run(system, prof)
        if not x:
            continue
        if system == "floor":
            p(f"| {label} | {NAMES[system]} | {fmt_s(cold_s(x))} (median of {len(x['runs_ms'])}; first {x['first_ms']:.0f} ms) | "
              f"{x['calls']} ({x['http_requests']}) | - | - | - | - | - |")
            continue
        cold = fmt_s(cold_s(x)) if complete(x) else f"> {fmt_s(cold_s(x))} (stopped at {x.get('last_progress_pct') or '?'}%)"
        if "process_s" in x:
            cold += f"; {fmt_s(x['process_s'])} from process start"
        rpc = f"{x['rpc']['calls']} ({x['rpc']['http_requests']})"
        warm = "-"
        tput = "-"
        c64 = "-"
        if "warm_rps" in x:
            warm = f"{x['warm_c1_p50_ms']:.3f} / {x['warm_c1_p99_ms']:.3f} ms"
            tput = f"{x['warm_rps']:,.1f}" if x["warm_rps"] < 100 else f"{x['warm_rps']:,.0f}"
            c64 = f"{x['warm_p50_ms']:.2f} / {x['warm_p99_ms']:.2f} ms"
        p(f"| {label} | {NAMES[system]} | {cold} | {rpc} | {x['cold_cpu_s']:.2f} s | {warm} | {tput} | {c64} | {rss(x)} |")
p("")


def ratio(a, b, digits=0):
    if not b:
        return "n/a"
    return f"{a / b:,.{digits}f}x"


p("## Ratios (same run)\n")
p("| account | warm req/s: indexed / Ponder | indexed / viem | indexed / stateless | cold: Ponder stock / indexed | "
  "Ponder lifted / indexed | viem / indexed | indexed / floor | RPC calls: indexed - floor |")
p("|---|---|---|---|---|---|---|---|---|")
verdicts = []
for prof in PROFILES:
    i, s, v = run("indexed", prof), run("stateless", prof), run("viem", prof)
    po, ps, f = run("ponder", prof), run("ponder_stock", prof), run("floor", prof)
    stock = ratio(cold_s(ps), cold_s(i), 0)
    if not complete(ps):
        stock = "> " + stock
    p(f"| {prof} | {ratio(i['warm_rps'], po['warm_rps'])} | {ratio(i['warm_rps'], v['warm_rps'])} | "
      f"{ratio(i['warm_rps'], s['warm_rps']) if s['warm_rps'] else 'stateless finished none'} | {stock} | "
      f"{ratio(cold_s(po), cold_s(i), 1)} | {ratio(cold_s(v), cold_s(i), 1)} | {ratio(cold_s(i), cold_s(f), 2)} | "
      f"{i['rpc']['calls'] - f['calls']:+d} |")
    verdicts.append((prof, i, po, ps, f))
p("")
p("## Targets (issue 5)\n")
for prof, i, po, ps, f in verdicts:
    warm_ok = po["warm_rps"] > 0 and i["warm_rps"] >= 10 * po["warm_rps"]
    cold_ok = cold_s(ps) >= 5 * cold_s(i)
    floor_ok = cold_s(i) <= 1.5 * cold_s(f)
    p(f"- {prof}: warm >= 10x Ponder: {'met' if warm_ok else 'missed'} ({ratio(i['warm_rps'], po['warm_rps'])}); "
      f"cold >= 5x faster than stock Ponder: {'met' if cold_ok else 'missed'}"
      f" ({'at least ' if not complete(ps) else ''}{ratio(cold_s(ps), cold_s(i), 0)}; limiter lifted {ratio(cold_s(po), cold_s(i), 1)}); "
      f"cold within 1.5x of the floor: {'met' if floor_ok else 'missed'} ({ratio(cold_s(i), cold_s(f), 2)}); "
      f"RPC calls {i['rpc']['calls']} against the floor's {f['calls']}.")
s_p50 = run("indexed", "S")["warm_c1_p50_ms"]
p(f"- S warm p50 under 0.5 ms: {'met' if s_p50 < 0.5 else 'missed'} ({s_p50:.3f} ms).")
p("")
p(open(os.path.join(os.path.dirname(__file__), "NOTES.md")).read().rstrip())
print("\n".join(out))

# Chart: warm req/s (c64) and cold time, log scale, one cluster per account.
warm_systems = ["indexed", "stateless", "viem", "ponder"]
cold_systems = ["floor", "indexed", "stateless", "viem", "ponder", "ponder_stock"]
with tempfile.TemporaryDirectory() as d:
    with open(f"{d}/warm.dat", "w") as w:
        for prof in PROFILES:
            w.write(prof + " " + " ".join(str(max(run(s, prof)["warm_rps"], 0.01)) for s in warm_systems) + "\n")
    with open(f"{d}/cold.dat", "w") as w:
        for prof in PROFILES:
            w.write(prof + " " + " ".join(f"{cold_s(run(s, prof)):.4f}" for s in cold_systems) + "\n")
    colors = {"floor": "#7f7f7f", "indexed": "#1f77b4", "stateless": "#9ecae1", "viem": "#2ca02c",
              "ponder": "#ff7f0e", "ponder_stock": "#d62728"}  # one color per system in both panels
    titles = lambda systems: ", ".join(
        f"'' using {k + 2}:xtic(1) lc rgb '{colors[s]}' "
        f"title '{NAMES[s]}{'' if all(complete(run(s, q)) for q in PROFILES) else ' (lower bound)'}'"
        for k, s in enumerate(systems))
    script = f"""
set terminal pngcairo size 1400,620 font 'sans,10'
set output '{chart}'
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set grid ytics
set key outside bottom center horizontal
set title 'Warm throughput, full answer (requests/s, wrk -c64, log scale; higher is better)'
plot '{d}/warm.dat' {titles(warm_systems)[3:]}
set title 'Cold: empty store to first complete answer (seconds, log scale; lower is better)'
plot '{d}/cold.dat' {titles(cold_systems)[3:]}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
