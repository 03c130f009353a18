#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Turn the rows vttm_bench wrote (labels "ours" and "upstream") into
# summary.md, gnuplot scripts and their data, and PASS/FAIL lines for the
# targets of the benchmark. The targets are reported, never enforced: the
# exit status is non-zero only when the CSV cannot be read.
#
# usage: scripts/bench-report.py RESULTS.CSV OUTDIR
#
# Writes OUTDIR/summary.md and OUTDIR/plots/*.gp (with *.dat beside them);
# scripts/bench.sh runs gnuplot on the latter. Prints the target lines.
import csv
import math
import os
import statistics
import sys

COLUMNS = ("label,placement,size_bytes,pattern,method,cycles,median_ns,"
           "write_ns,sync_ns,pages_written,pages_copied,faults,scans,"
           "switches,mean_ns,rounds,round_median_ns,round_mean_ns,"
           "redone").split(",")
# Columns vttm_bench added later, at the end of a row: older CSVs lack them
# (and scripts/bench.sh may put an older header above newer rows), so a
# row is read by its length, and a missing column reads as None.
LATER_COLUMNS = ["mean_ns", "rounds", "round_median_ns", "round_mean_ns",
                 "redone"]
# Columns that hold one value per round, separated by ';'.
ROUND_COLUMNS = ["round_median_ns", "round_mean_ns"]
# Patterns whose cost is the mean over the measured cycles, not the median:
# phase-change switches pattern twice, and the median of its cycles is the
# steady state of one phase, blind to the cycles a method spends adapting.
MEAN_PATTERNS = ["phase-change"]
PATTERNS = ["one-page", "sparse-1pct", "clustered-10pct", "sequential-all",
            "ring", "read-mostly", "phase-change", "hot-region"]
METHODS = ["none", "mkwrite", "pagetable", "auto", "vmwgfx", "split",
           "mprotect", "softdirty", "uffd-wp", "floor"]
# Methods whose syncs run the kernel's scan or write-protect walk, which is
# where ours and upstream's mm/mapping_dirty_helpers.c differ.
KERNEL_METHODS = ["none", "mkwrite", "pagetable", "auto", "vmwgfx", "split"]
PLACEMENTS = ["system", "device", "memfd"]
# Within this factor two timings count as equal.
NOISE = 1.05
# A method is slower than another beyond noise only if its rounds say so:
# a one-sided signed-rank test of the per-round ratios must reject "no
# slower" at this level. With too few rounds to reach it (four or fewer)
# the plain ratio decides.
NOISE_P = 0.05


def order(seq, known):
    """Known values in their canonical order, then the rest sorted."""
    seq = set(seq)
    return [k for k in known if k in seq] + sorted(seq - set(known))


def size_name(n):
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, unit)
    return str(n)


def load(path):
    rows = {}
    with open(path, newline="") as f:
        for rec in csv.reader(f):
            if not rec or rec[0] == "label" or rec[0].startswith("#"):
                continue
            oldest = len(COLUMNS) - len(LATER_COLUMNS)
            if not oldest <= len(rec) <= len(COLUMNS):
                sys.exit("bench-report: %s: %d columns, want %d to %d: %s" %
                         (path, len(rec), oldest, len(COLUMNS),
                          ",".join(rec)))
            r = dict(zip(COLUMNS, rec + [""] * (len(COLUMNS) - len(rec))))
            for k in COLUMNS[2:]:
                if k in ("pattern", "method"):
                    continue
                if k in ROUND_COLUMNS:
                    r[k] = [float(v) for v in r[k].split(";") if v]
                    continue
                r[k] = float(r[k]) if r[k] not in ("", "nan") else None
            r["size_bytes"] = int(r["size_bytes"])
            key = (r["label"], r["placement"], r["size_bytes"],
                   r["pattern"], r["method"])
            rows[key] = r
    return rows


class Bench:
    def __init__(self, rows):
        self.rows = rows
        keys = rows.keys()
        self.sizes = sorted({k[2] for k in keys})
        self.placements = order({k[1] for k in keys}, PLACEMENTS)
        self.patterns = order({k[3] for k in keys}, PATTERNS)
        self.methods = order({k[4] for k in keys}, METHODS)
        # The mean only where every row of ours of the pattern has it (the
        # costs compared are ours), so a ratio never divides a mean by a
        # median.
        ours = {p: [r for k, r in rows.items()
                    if k[0] == "ours" and k[3] == p] for p in MEAN_PATTERNS}
        self.mean_patterns = [p for p in MEAN_PATTERNS if ours[p] and
                              all(r["mean_ns"] is not None for r in ours[p])]
        self.mean_missing = [p for p in MEAN_PATTERNS
                             if ours[p] and p not in self.mean_patterns]

    def cost_col(self, pattern):
        """The column that is the cost of a cycle of pattern."""
        return "mean_ns" if pattern in self.mean_patterns else "median_ns"

    def get(self, label, placement, size, pattern, method, col="median_ns"):
        r = self.rows.get((label, placement, size, pattern, method))
        if r is None:
            return None
        return r[col]

    def baseline_row(self, placement, size, pattern, method):
        """A method's row of ours in the same cell, or, when that
        placement does not run it, in the first placement that does."""
        for p in [placement] + self.placements:
            r = self.rows.get(("ours", p, size, pattern, method))
            if r is not None:
                return r
        return None

    def baseline(self, placement, size, pattern, method, col="median_ns"):
        """A reference method's cost, found as by baseline_row()."""
        r = self.baseline_row(placement, size, pattern, method)
        return None if r is None else r[col]

    def cells(self, label="ours"):
        """(placement, size, pattern) triples that have rows of label."""
        return sorted({(k[1], k[2], k[3]) for k in self.rows if k[0] == label},
                      key=lambda c: (self.sizes.index(c[1]),
                                     self.placements.index(c[0]),
                                     self.patterns.index(c[2])))


def signed_rank_p(d):
    """One-sided p-value of the exact Wilcoxon signed-rank test that the
    differences d are centred at or below zero (zeros dropped, tied
    magnitudes sharing their ranks), and the least p that as many
    differences could give."""
    d = [x for x in d if x != 0]
    if not d:
        return 1.0, 1.0
    order_ = sorted(range(len(d)), key=lambda i: abs(d[i]))
    # ranks times two, so that shared (half) ranks stay integers
    rank2 = [0] * len(d)
    i = 0
    while i < len(d):
        j = i
        while j + 1 < len(d) and abs(d[order_[j + 1]]) == abs(d[order_[i]]):
            j += 1
        for k in range(i, j + 1):
            rank2[order_[k]] = i + j + 2
        i = j + 1
    # ways[w]: sign choices whose positive ranks sum to w
    ways = {0: 1}
    for r in rank2:
        nxt = dict(ways)
        for w, c in ways.items():
            nxt[w + r] = nxt.get(w + r, 0) + c
        ways = nxt
    total = 2 ** len(d)
    w_pos = sum(r for r, x in zip(rank2, d) if x > 0)
    p = sum(c for w, c in ways.items() if w >= w_pos) / total
    return p, 1 / total


class Compared:
    """Method a's cost over method c's in a cell. Round k of every method
    of a pattern ran in the same pass over the methods, side by side in
    time, so the rounds pair up: the ratio is the median of the ratios of
    paired rounds, which a spell of the host running slow hits on both
    sides, where it shifts a median over rounds taken alone. Without
    rounds in the CSV (an older vttm_bench, or one round) it is the ratio
    of the cells' costs."""

    def __init__(self, ra, rc, col):
        self.x = self.p = self.p_min = None
        self.pairs = 0
        if ra is None or rc is None:
            return
        a, c = ra.get("round_" + col), rc.get("round_" + col)
        n = min(len(a or []), len(c or []))
        if n >= 2 and all(v > 0 for v in a[:n] + c[:n]):
            q = [u / v for u, v in zip(a, c)][:n]
            self.x = statistics.median(q)
            self.pairs = n
            self.p, self.p_min = signed_rank_p([math.log(v) for v in q])
        elif ra[col] is not None and rc[col]:
            self.x = ra[col] / rc[col]

    def slower_beyond_noise(self):
        """Whether a is slower than c by more than NOISE, and by more
        than the rounds' spread, where they have the power to tell."""
        if self.x is None or self.x <= NOISE:
            return False
        return self.p is None or self.p_min > NOISE_P or self.p <= NOISE_P

    def how(self):
        if not self.pairs:
            return ""
        return " (%d rounds, p %.2f)" % (self.pairs, self.p)


def compare(b, placement, size, pattern, a, c):
    """Compared for methods a and c of ours in a cell, each row taken as
    Bench.baseline_row() finds it (the floor is in memfd placement)."""
    col = b.cost_col(pattern)
    return Compared(b.baseline_row(placement, size, pattern, a),
                    b.baseline_row(placement, size, pattern, c), col)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(v, digits=2):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return "%.0f" % v
    return "%.*f" % (digits, v)


def per_cycle(r, col):
    """vttm_bench already reports the counters as per-cycle averages."""
    if r is None:
        return None
    return r[col]


def summary(b, out):
    w = out.write
    w("# vttm_bench summary\n\n")
    w("Cost of one cycle (the writes plus the sync) of our kernel, "
      "its ratio to the floor (copying only the written pages, found for "
      "free) and to none (copying the whole BO), and per cycle the pages "
      "copied and the faults taken. *sync ours÷upstream* compares the sync "
      "time (the scan or write-protect walk) with the same kernel built "
      "with upstream 6.1's mm/mapping_dirty_helpers.c; below 1 means ours "
      "is faster.\n")
    w("\nThe cost is the median over the measured cycles")
    rounds = sorted({int(r["rounds"]) for r in b.rows.values()
                     if r.get("rounds")})
    if rounds and rounds != [1]:
        names = [str(n) for n in rounds]
        counts = names[0] if len(names) == 1 else \
            ", ".join(names[:-1]) + " or " + names[-1]
        w(" of a BO, and a cell's the median of its rounds (%s, by size, "
          "pattern and method: see the CSV), each on a BO of its own, the "
          "methods of a pattern taking turns round by round, below "
          "64 MiB in an order shuffled for each round" % counts)
    if b.mean_patterns:
        w(", except for %s, where it is the mean (so are its ratios and "
          "what the targets comparing methods use): its pattern changes "
          "from sparse to dense and back, and the median would show one "
          "phase's steady state, not the cycles a method takes to adapt" %
          ", ".join(b.mean_patterns))
    w(".")
    if b.mean_missing:
        w(" This CSV has no mean_ns for %s (an older vttm_bench), so its "
          "rows show the median too, which hides how fast a method adapts." %
          ", ".join(b.mean_missing))
    w(" *sync ours÷upstream* is a ratio of median sync times throughout.\n")
    glance(b, out)
    for size in b.sizes:
        w("\n## %s\n\n" % size_name(size))
        w("| placement | pattern | method | µs per cycle | ÷ floor | ÷ none | "
          "pages copied | faults | sync ours÷upstream |\n")
        w("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
        for placement in b.placements:
            for pattern in b.patterns:
                col = b.cost_col(pattern)
                floor = b.baseline(placement, size, pattern, "floor", col)
                none = b.baseline(placement, size, pattern, "none", col)
                for method in b.methods:
                    r = b.rows.get(("ours", placement, size, pattern, method))
                    if r is None:
                        continue
                    cost = r[col]
                    up = None
                    if method in KERNEL_METHODS:
                        up = ratio(r["sync_ns"],
                                   b.get("upstream", placement, size, pattern,
                                         method, "sync_ns"))
                    w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" % (
                        placement, pattern, method,
                        fmt(None if cost is None else cost / 1000),
                        fmt(ratio(cost, floor)), fmt(ratio(cost, none)),
                        fmt(per_cycle(r, "pages_copied"), 1),
                        fmt(per_cycle(r, "faults"), 1), fmt(up)))


def glance(b, out):
    """The biggest BO in system memory, one row per pattern: the table the
    README quotes."""
    if not b.sizes:
        return
    size = b.sizes[-1]
    placement = "system" if "system" in b.placements else b.placements[0]
    methods = [m for m in b.methods
               if any(b.get("ours", p, size, pat, m) is not None
                      for p in (placement, "memfd") for pat in b.patterns)]
    w = out.write
    w("\n## At a glance: %s, %s memory\n\n" % (size_name(size), placement))
    w("Milliseconds per cycle (the user-space rows on a memfd).\n\n")
    w("| pattern | %s |\n" % " | ".join(methods))
    w("| --- |%s\n" % (" ---: |" * len(methods)))
    for pattern in b.patterns:
        col = b.cost_col(pattern)
        cells = []
        for m in methods:
            v = b.get("ours", placement, size, pattern, m, col)
            if v is None:
                v = b.get("ours", "memfd", size, pattern, m, col)
            cells.append("-" if v is None else "%.2f" % (v / 1e6))
        w("| %s | %s |\n" % (pattern, " | ".join(cells)))


class Targets:
    def __init__(self):
        self.lines = []

    def report(self, name, checked, failed, note=""):
        if not checked:
            status = "SKIP"
            detail = "no cells to check" + (": " + note if note else "")
        elif failed:
            status = "FAIL"
            detail = "%d of %d cells miss: %s" % (
                len(failed), checked, "; ".join(failed[:8]))
            if len(failed) > 8:
                detail += "; ..."
        else:
            status = "PASS"
            detail = "%d cells" % checked
        self.lines.append("%s bench/%s  (%s)" % (status, name, detail))


def cellname(placement, size, pattern):
    return "%s/%s/%s" % (placement, size_name(size), pattern)


def targets(b):
    t = Targets()
    g = b.get
    paired = "; rounds paired" if any(
        len(r["round_median_ns"] or []) >= 2 for r in b.rows.values()) else ""
    mean = "; phase-change by mean_ns" if "phase-change" in b.mean_patterns \
        else "; by median_ns: no mean_ns in the CSV" \
        if "phase-change" in b.mean_missing else ""

    # AUTO within 1.10x of the better of the two fixed methods: the one
    # it does worst against; on phase-change by the mean, where adapting
    # is what is measured.
    checked, failed = 0, []
    for p, s, pat in b.cells():
        if g("ours", p, s, pat, "auto") is None:
            continue
        fixed = [(c.x, m, c) for c, m in
                 ((compare(b, p, s, pat, "auto", m), m)
                  for m in ("mkwrite", "pagetable")
                  if g("ours", p, s, pat, m) is not None)
                 if c.x is not None]
        if not fixed:
            continue
        checked += 1
        x, best, c = max(fixed, key=lambda f: f[0])
        if x > 1.10:
            failed.append("%s %.2fx of %s%s" % (cellname(p, s, pat), x, best,
                                                c.how()))
    t.report("auto-vs-best-fixed (auto <= 1.10x min(mkwrite, pagetable)%s%s)"
             % (paired, mean), checked, failed)

    # AUTO against vmwgfx's policy; on phase-change by the mean, which
    # counts the cycles each policy spends adapting.
    checked, failed = 0, []
    checked2, failed2, noise = 0, [], []
    for p, s, pat in b.cells():
        if g("ours", p, s, pat, "auto") is None or \
           g("ours", p, s, pat, "vmwgfx") is None:
            continue
        if pat in ("phase-change", "ring"):
            c = compare(b, p, s, pat, "vmwgfx", "auto")
            if c.x is None:
                continue
            checked += 1
            if c.x < 1.3:
                failed.append("%s %.2fx%s" % (cellname(p, s, pat), c.x,
                                              c.how()))
            continue
        c = compare(b, p, s, pat, "auto", "vmwgfx")
        if c.x is None:
            continue
        checked2 += 1
        if c.x <= NOISE:
            continue
        if c.slower_beyond_noise():
            failed2.append("%s auto %.2fx slower%s" %
                           (cellname(p, s, pat), c.x, c.how()))
        else:
            noise.append("%s %.2fx, p %.2f" % (cellname(p, s, pat), c.x,
                                               c.p))
    t.report("auto-vs-vmwgfx-phase-ring (vmwgfx >= 1.3x auto%s%s)" %
             (paired, mean), checked, failed)
    t.report("auto-vs-vmwgfx-elsewhere (auto <= %.2fx vmwgfx, or its "
             "rounds not slower at p <= %.2f%s)" % (NOISE, NOISE_P, paired),
             checked2, failed2)
    if noise:
        t.lines.append("INFO bench/auto-vs-vmwgfx-elsewhere: slower by more "
                       "than %.2fx, but within the spread of the rounds "
                       "(one-sided signed-rank test of paired rounds): %s" %
                       (NOISE, "; ".join(noise)))

    # Sparse writes to a big BO: far below none, near the floor.
    big = 256 << 20
    checked, failed = 0, []
    for p, s, pat in b.cells():
        if s != big or pat != "sparse-1pct" or \
           g("ours", p, s, pat, "auto") is None:
            continue
        none = compare(b, p, s, pat, "none", "auto")
        floor = compare(b, p, s, pat, "auto", "floor")
        if none.x is None or floor.x is None:
            continue
        checked += 1
        if none.x < 30:
            failed.append("%s only %.1fx faster than none" %
                          (cellname(p, s, pat), none.x))
        if floor.x > 3:
            failed.append("%s %.1fx the floor" %
                          (cellname(p, s, pat), floor.x))
    t.report("sparse-256M (auto >= 30x faster than none, <= 3x floor%s)" %
             paired, checked, failed, "needs the 256M size (not in --quick)")

    # Writing everything: tracking must not cost more than it saves.
    checked, failed = 0, []
    for p, s, pat in b.cells():
        if pat != "sequential-all" or g("ours", p, s, pat, "auto") is None \
           or g("ours", p, s, pat, "none") is None:
            continue
        c = compare(b, p, s, pat, "auto", "none")
        if c.x is None:
            continue
        checked += 1
        if c.x > 1.10:
            failed.append("%s %.2fx%s" % (cellname(p, s, pat), c.x, c.how()))
    t.report("sequential-all (auto <= 1.10x none%s)" % paired, checked, failed)

    # Not a target: what tracking each region apart could save over AUTO
    # (split keeps the hot region in a BO of its own, each with AUTO).
    found = []
    for p, s, pat in b.cells():
        auto = g("ours", p, s, pat, "auto")
        split = g("ours", p, s, pat, "split")
        if pat == "hot-region" and auto and split:
            found.append("%s %.2fx" % (cellname(p, s, pat), auto / split))
    if found:
        t.lines.append("INFO bench/by-region (auto / split, above 1: "
                       "tracking by region would save): " + "; ".join(found))

    # Not a target: how often the host slowed under a cycle, which then
    # ran again (vttm_bench's speed probes).
    for label in sorted({k[0] for k in b.rows}):
        rows = [(k, r) for k, r in b.rows.items()
                if k[0] == label and r["redone"] is not None]
        if not rows:
            continue
        cycles = sum(r["cycles"] for _, r in rows)
        redone = sum(r["redone"] * r["cycles"] for _, r in rows)
        k, worst = max(rows, key=lambda kr: kr[1]["redone"])
        t.lines.append("INFO bench/host-slow (%s): %.1f %% of measured "
                       "cycles ran again, the host slow under them; most "
                       "in %s %s, %.0f %%" %
                       (label, 100 * redone / cycles,
                        cellname(k[1], k[2], k[3]), k[4],
                        100 * worst["redone"]))
    return t.lines


def gp_quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def histogram(path, title, ylabel, cats, series, values, logscale=True,
              hline=None):
    """A clustered bar chart: one cluster per category, one bar per series.
    values[(cat, series)] is a number or None (not drawn)."""
    base = os.path.splitext(path)[0]
    dat = base + ".dat"
    pts = [v for v in values.values() if v is not None and v > 0]
    if not pts:
        return False
    with open(dat, "w") as f:
        f.write("category " + " ".join(series) + "\n")
        for c in cats:
            f.write(c + " " + " ".join(
                "?" if values.get((c, s)) is None else "%.6g" % values[(c, s)]
                for s in series) + "\n")
    with open(path, "w") as f:
        f.write("set terminal pngcairo size 1400,700 noenhanced\n")
        f.write("set output %s\n" % gp_quote(os.path.basename(base) + ".png"))
        f.write("set title %s\n" % gp_quote(title))
        f.write("set ylabel %s\n" % gp_quote(ylabel))
        f.write("set datafile missing '?'\n")
        f.write("set style data histogram\n")
        f.write("set style histogram clustered gap 1\n")
        f.write("set style fill solid 0.8 border -1\n")
        f.write("set boxwidth 0.9\n")
        f.write("set key outside right top\n")
        f.write("set grid ytics\n")
        f.write("set xtics rotate by -30\n")
        lo, hi = min(pts), max(pts)
        if hline is not None:
            lo, hi = min(lo, hline), max(hi, hline)
        if logscale:
            f.write("set logscale y\n")
            f.write("set yrange [%.6g:%.6g]\n" % (lo / 2, hi * 2))
        else:
            f.write("set yrange [0:%.6g]\n" % (hi * 1.1))
        plot = ["%s using %d:xtic(1) title columnheader" %
                (gp_quote(os.path.basename(dat)), i + 2)
                for i in range(len(series))]
        if hline is not None:
            plot.append("%.6g with lines lw 2 dt 2 lc rgb 'black' "
                        "title 'equal'" % hline)
        f.write("plot " + ", \\\n     ".join(plot) + "\n")
    return True


def plots(b, outdir):
    d = os.path.join(outdir, "plots")
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.endswith((".gp", ".dat", ".png")):
            os.remove(os.path.join(d, name))
    for size in b.sizes:
        for placement in b.placements:
            vals = {}
            for pat in b.patterns:
                for m in b.methods:
                    v = b.get("ours", placement, size, pat, m)
                    vals[(pat, m)] = None if v is None else v / 1000
            series = [m for m in b.methods
                      if any(vals[(p, m)] is not None for p in b.patterns)]
            histogram(os.path.join(d, "cost-%s-%s.gp" %
                                   (size_name(size), placement)),
                      "median cost per cycle, %s BO, %s placement (ours)" %
                      (size_name(size), placement),
                      "µs per cycle (log)", b.patterns, series, vals)
    # One plot of ours / upstream sync time for every kernel method.
    placement = "system" if "system" in b.placements else b.placements[0]
    cats, vals = [], {}
    for size in b.sizes:
        for pat in b.patterns:
            c = "%s/%s" % (size_name(size), pat)
            cats.append(c)
            for m in KERNEL_METHODS:
                vals[(c, m)] = ratio(
                    b.get("ours", placement, size, pat, m, "sync_ns"),
                    b.get("upstream", placement, size, pat, m, "sync_ns"))
    series = [m for m in KERNEL_METHODS
              if any(vals[(c, m)] is not None for c in cats)]
    histogram(os.path.join(d, "ours-vs-upstream.gp"),
              "sync time, ours ÷ upstream mm/mapping_dirty_helpers.c "
              "(%s placement; below 1: ours faster)" % placement,
              "ratio (log)", cats, series, vals, hline=1.0)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench-report.py RESULTS.CSV OUTDIR")
    b = Bench(load(sys.argv[1]))
    if not b.rows:
        sys.exit("bench-report: no rows in %s" % sys.argv[1])
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    lines = targets(b)
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        summary(b, f)
        f.write("\n## Targets\n\n")
        f.write("Where the CSV has each round's cost, a target compares two "
                "methods by the median of the ratios of their rounds taken "
                "in pairs (round k of each ran in the same pass over the "
                "methods), which a slow spell of the host hits on both "
                "sides.\n\n")
        for line in lines:
            f.write("    %s\n" % line)
    plots(b, outdir)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
