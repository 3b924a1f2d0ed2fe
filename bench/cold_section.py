#!/usr/bin/env python3
"""Puts bench/results/cold.md into BENCHMARKS.md between the cold-path markers (make bench-cold).
bench/report.py keeps that section when make bench rewrites the rest."""
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
begin, end = "<!-- cold-path:begin -->\n", "<!-- cold-path:end -->\n"
table = (root / "bench/results/cold.md").read_text()
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
