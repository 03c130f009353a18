#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the CSVs of scripts/bench-compare.sh.

Each argument is results-rN-LABEL.csv (LABEL ours or upstream), the rows
vttm_bench wrote in round N. For every cell this prints the median over
rounds of sync_ns for each kernel, their ratio, and the ratio normalised
per round by the NONE cells of the same round, placement and size, with
its minimum and maximum over rounds: a difference that does not hold in
every round is guest-to-guest noise, not the helpers.
"""
import csv
import os
import re
import statistics
import sys

LABELS = ("ours", "upstream")
# A cell is called slower (faster) only when every round says so by this.
MARGIN = 1.10
# NONE first in each group: it is the reference of the rows below it.
METHOD_ORDER = {"none": 0, "mkwrite": 1, "pagetable": 2}


def size_name(b):
    for shift, unit in ((30, "G"), (20, "M"), (10, "K")):
        if b >= 1 << shift and b % (1 << shift) == 0:
            return "%d%s" % (b >> shift, unit)
    return str(b)


def load(paths):
    """sync[(round, label)][(placement, size, pattern, method)] = ns"""
    sync = {}
    for path in paths:
        m = re.search(r"results-r(\d+)-(\w+)\.csv$", os.path.basename(path))
        if not m or m.group(2) not in LABELS:
            sys.exit("bench-compare.py: unexpected file name %s" % path)
        key = (int(m.group(1)), m.group(2))
        rows = sync.setdefault(key, {})
        with open(path) as f:
            for row in csv.DictReader(
                    line for line in f if not line.startswith("#")):
                if row["label"] == "label":
                    continue
                cell = (row["placement"], int(row["size_bytes"]),
                        row["pattern"], row["method"])
                rows[cell] = int(row["sync_ns"])
    return sync


def none_ref(rows, placement, size):
    """The guest's speed at copying a BO of that size: NONE's sync, taken
    as the median over the patterns measured (NONE copies the whole BO
    whatever the pattern, so they should agree)."""
    v = [ns for (pl, sz, _, me), ns in rows.items()
         if pl == placement and sz == size and me == "none" and ns > 0]
    return statistics.median(v) if v else None


def fmt_ratio(x):
    return "%.2f" % x if x is not None else "-"


def main(paths):
    sync = load(paths)
    rounds = sorted({r for r, _ in sync})
    paired = [r for r in rounds if all((r, l) in sync for l in LABELS)]
    if not paired:
        sys.exit("bench-compare.py: no round has results of both kernels")
    if len(paired) < len(rounds):
        print("rounds missing a kernel, left out: %s" %
              " ".join(str(r) for r in rounds if r not in paired))

    # Guest-to-guest variation alone: NONE of ours over NONE of upstream.
    sizes = sorted({(c[0], c[1]) for r in paired
                    for c in sync[(r, "ours")]})
    print("guest speed, NONE sync ours/upstream per round (1 = same):")
    for pl, sz in sizes:
        vals = []
        for r in paired:
            a = none_ref(sync[(r, "ours")], pl, sz)
            b = none_ref(sync[(r, "upstream")], pl, sz)
            vals.append(fmt_ratio(a / b if a and b else None))
        print("  %-6s %-5s %s" % (pl, size_name(sz), " ".join(vals)))
    print()

    cells = sorted({c for r in paired for c in sync[(r, "ours")]
                    if all(c in sync[(r, l)] for l in LABELS)},
                   key=lambda c: (c[0], c[1], c[2], METHOD_ORDER.get(c[3], 9),
                                  c[3]))
    hdr = ("%-6s %-5s %-15s %-9s %9s %9s %5s %5s %11s %5s %11s %4s  %s" %
           ("place", "size", "pattern", "method", "ours us", "upstr us",
            "raw", "best", "raw min-max", "norm", "norm min-max", ">1",
            "verdict"))
    print("sync_ns, median over %d rounds. raw = ours/upstream of the"
          " medians, best = of the\nfastest rounds (a busy host only adds"
          " time), norm = raw / (NONE ours/upstream)\nof the same round,"
          " >1 = rounds whose norm is above 1" % len(paired))
    print(hdr)
    for cell in cells:
        pl, sz, pat, me = cell
        o = [sync[(r, "ours")][cell] for r in paired]
        u = [sync[(r, "upstream")][cell] for r in paired]
        raw = [a / b for a, b in zip(o, u) if b > 0]
        norm = []
        for r, a, b in zip(paired, o, u):
            no = none_ref(sync[(r, "ours")], pl, sz)
            nu = none_ref(sync[(r, "upstream")], pl, sz)
            if b > 0 and no and nu:
                norm.append((a / b) / (no / nu))
        mo, mu = statistics.median(o), statistics.median(u)
        verdict = ""
        if me != "none" and norm:
            if min(norm) > MARGIN:
                verdict = "ours slower"
            elif max(norm) < 1 / MARGIN:
                verdict = "ours faster"
        print("%-6s %-5s %-15s %-9s %9.1f %9.1f %5s %5s %5s-%-5s %5s %5s-%-5s"
              " %4s  %s"
              % (pl, size_name(sz), pat, me, mo / 1e3, mu / 1e3,
                 fmt_ratio(mo / mu if mu else None),
                 fmt_ratio(min(o) / min(u) if min(u) else None),
                 fmt_ratio(min(raw) if raw else None),
                 fmt_ratio(max(raw) if raw else None),
                 fmt_ratio(statistics.median(norm) if norm else None),
                 fmt_ratio(min(norm) if norm else None),
                 fmt_ratio(max(norm) if norm else None),
                 "%d/%d" % (sum(x > 1 for x in norm), len(norm)), verdict))

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench-compare.py results-rN-LABEL.csv...")
    main(sys.argv[1:])
