#!/usr/bin/env python3
"""Puts bench/results/NAME.md into BENCHMARKS.md between NAME's markers: `section.py cold` after
make bench-cold, `section.py scale` after make bench-scale. bench/run.sh puts both back when make
bench rewrites the rest."""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
name = sys.argv[1] if len(sys.argv) > 1 else "cold"
marker = {"cold": "cold-path", "scale": "scale", "extras": "extras", "soak": "soak", "flood": "flood"}[name]
begin, end = f"<!-- {marker}:begin -->\n", f"<!-- {marker}:end -->\n"
table = (root / f"bench/results/{name}.md").read_text()
SCALE_INTRO = (
    "## Scale: 100,000 tracked accounts (`make bench-scale`)\n\n"
    "bench/scale_bench.cpp: anvil with 20 tokens; 1,000 credit accounts hold 20 transfers each, the rest of the "
    "100,000 are empty; every account is registered through the API of a `creditscope serve` process (64 "
    "keep-alive clients, a 503 asked again). Then: the follower's calls per new block (a counting proxy in front of "
    "anvil, one block per 1 s poll for 10 polls, half with a transfer), a clean restart (SIGTERM) and the time to "
    "`/readyz` 200, the first answers of 2,000 accounts the new process never saw (not in the cache: one store read "
    "each), a hot account 2,000 times, RSS from /proc. On PostgreSQL a second replica joins and both serve 16 "
    "keep-alive connections each, alone and at once. Bounds (issue 12): RSS at most `cache_mb` + 150 MiB, start to "
    "ready under 2 s, first answer for any account under 50 ms, at most 3 follower calls per block.\n\n")
if name == "flood":
    section = (begin + "## Flood of new owners (`make bench-flood`)\n\n" + table +
               "\nHow to read it: what the limits bound is what grows. Without them every random owner becomes a "
               "backfill and an account followed from then on (the last column, after 5 s: that rate is tens of "
               "thousands a minute, each one costing follower work, disk and RPC budget for good). With them the "
               "first 60 a minute are admitted (at most 8 backfills at once) and the rest are answered 429 in "
               "microseconds; the flooding clients then send far more requests, and on this 2-core machine, where "
               "they run beside the server, the tracked owner's latency rises with the CPU those refusals take, "
               "while every one of its answers stays the same body.\n" + end)
elif name == "soak":
    section = (begin + "## Soak: everything failing at once (`make soak`)\n\n"
               "bench/soak.cpp: anvil with a transfer every 500 ms and a 3-block reorg every 45 s; two `creditscope serve` "
               "replicas on a throw-away PostgreSQL reading the chain through the fault proxy (10% of requests fail: 500, "
               "429, reset, truncated, stalled, a different kind each minute); every 60 s a kill -9 of the leader "
               "(restarted at once) and, 30 s later, a crash and restart of the database. Two checkers ask both replicas "
               "for six owners without pause and compare every 200 with a stateless server's answer at the same "
               "X-Block-Number. Earlier runs found two ways the index lost transfers (a follower step racing a "
               "backfill's join, and a follower writing past commits the database lost in a crash); both are fixed "
               "and have tests of their own.\n\n" + table + end)
elif name == "extras":
    section = (begin + "## Extras: ETag, gzip, CSV (`make bench-extras`)\n\n" + table +
               "\nHow to read it: the plain answer of this account is 6.4 MB, so its rate is what moving and parsing "
               "that many bytes over loopback costs with the clients on the same two cores; the gzip answer is the "
               "cached compressed copy (made once per rendering, so the server does no compression per request) and "
               "a 304 is headers only. The CSV is written from the cached snapshot in pieces of 2,000 rows, so the "
               "server's peak RSS barely moves for the export.\n" + end)
elif name == "scale":
    section = begin + SCALE_INTRO + table + (root / "bench/scale_notes.md").read_text() + end
else:
    section = (begin + "## Cold path on a long chain (`make bench-cold`)\n\n"
           "Command: `make bench-cold` (bench/cold_bench.cpp). Targets (issue 11): range-capped cold answer under 5 s "
           "(stateless and indexed); rate-limited within 1.15x of calls / budget; results-capped indexed under 0.5 s; "
           "100 simultaneous new accounts under 2x one account's eth_getLogs.\n\n" + table +
           "\nHow to read it: every answer is checked against the direct one. The range-capped floor is the issue's "
           "(all eth_getLogs in batches of 100, one batch at a time); several requests in flight beat it. The "
           "rate-limited floor is calls / budget; the client uses 98% of `max_rps` over any 1.02 s, and each request "
           "of 23 ranges also asks for its highest block. On a results-capped provider the span grows eightfold per "
           "accepted probe from `logs_initial_span` (10,000), so 39M blocks take about five sequential requests where "
           "the floor is one. Calls include the server's health checks and, indexed, the head follower's polls.\n" + end)
doc = root / "BENCHMARKS.md"
text = doc.read_text()
if begin in text:
    text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + section
doc.write_text(text)
