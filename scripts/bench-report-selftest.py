#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Checks of scripts/bench-report.py's statistics, which decide whether a
# benchmark target is met: the exact signed-rank test against a count of
# every sign assignment, and the pairing of rounds on a small CSV where
# the ratio of the cells' medians and that of paired rounds disagree.
# Prints one line per check ("ok NAME" or "FAIL NAME: why"); exits 1 if
# any failed.
import importlib.util
import itertools
import os
import random
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "bench_report", os.path.join(here, "bench-report.py"))
br = importlib.util.module_from_spec(spec)
spec.loader.exec_module(br)

failures = 0


def check(name, ok, why=""):
    global failures
    print("ok %s" % name if ok else "FAIL %s: %s" % (name, why))
    failures += not ok


def brute_p(d):
    """P(W+ >= observed) by trying every sign of every nonzero |d|."""
    d = [x for x in d if x != 0]
    if not d:
        return 1.0
    mags = sorted(abs(x) for x in d)

    def rank(v):
        idx = [i for i, m in enumerate(mags) if m == v]
        return (idx[0] + idx[-1]) / 2 + 1
    ranks = [rank(abs(x)) for x in d]
    w = sum(r for r, x in zip(ranks, d) if x > 0)
    hits = sum(1 for signs in itertools.product((0, 1), repeat=len(d))
               if sum(r for r, s in zip(ranks, signs) if s) >= w)
    return hits / 2 ** len(d)


def test_signed_rank():
    rng = random.Random(4)
    bad = []
    for _ in range(300):
        n = rng.randint(0, 9)
        # few magnitudes, so that ties and zeros are common
        d = [rng.choice((-1, 1)) * rng.choice((0, 0.5, 1, 2, 3))
             for _ in range(n)]
        p, _ = br.signed_rank_p(d)
        if abs(p - brute_p(d)) > 1e-12:
            bad.append((d, p, brute_p(d)))
    check("signed-rank-exact", not bad, "%d cases differ, e.g. %s" %
          (len(bad), bad[:1]))
    p, p_min = br.signed_rank_p([1, 2, 3, 4, 5])
    check("signed-rank-all-positive", p == p_min == 1 / 32,
          "p %s, least %s, want 1/32" % (p, p_min))
    p, _ = br.signed_rank_p([-1, -2, -3, -4, -5])
    check("signed-rank-all-negative", p == 1.0, "p %s, want 1" % p)


def row(method, median_us, rounds_us):
    """A CSV row of a 1 MiB one-page cell; the round columns in us."""
    per_round = ";".join(str(v * 1000) for v in rounds_us)
    r = ["ours", "system", str(1 << 20), "one-page", method, "150",
         str(median_us * 1000)] + ["0"] * 7
    r += [str(median_us * 1000), str(len(rounds_us)), per_round, per_round]
    return ",".join(r) + "\n"


def load(lines, columns=br.COLUMNS):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(",".join(columns) + "\n")
        f.writelines(lines)
    try:
        return br.Bench(br.load(f.name))
    finally:
        os.unlink(f.name)


def test_pairing():
    # A slow spell over rounds 3-7 for both methods: auto is 4% dearer
    # than pagetable in every round, but the medians of the rounds taken
    # alone fall on different sides of the spell.
    pt = [10, 10, 10, 20, 20, 20, 20, 20, 10, 10, 10]
    auto = [v * 1.04 for v in pt]
    auto[8] = 21
    b = load([row("pagetable", 10, pt), row("auto", 20.8, auto)])
    c = br.compare(b, "system", 1 << 20, "one-page", "auto", "pagetable")
    check("paired-ratio", c.pairs == 11 and abs(c.x - 1.04) < 1e-9,
          "%d pairs, ratio %s, want 11 and 1.04" % (c.pairs, c.x))
    check("paired-within-noise", not c.slower_beyond_noise(),
          "ratio %s p %s" % (c.x, c.p))

    # 8% slower in every one of eleven rounds: beyond noise.
    b = load([row("vmwgfx", 10, pt), row("auto", 10.8,
                                         [v * 1.08 for v in pt])])
    c = br.compare(b, "system", 1 << 20, "one-page", "auto", "vmwgfx")
    check("paired-consistent-is-beyond-noise", c.slower_beyond_noise(),
          "ratio %s p %s" % (c.x, c.p))

    # 8% slower in six rounds, faster in five: within the spread.
    mixed = [v * (1.08 if k % 2 == 0 else 0.96) for k, v in enumerate(pt)]
    b = load([row("vmwgfx", 10, pt), row("auto", 10.8, mixed)])
    c = br.compare(b, "system", 1 << 20, "one-page", "auto", "vmwgfx")
    check("paired-mixed-is-noise", c.x > br.NOISE and
          not c.slower_beyond_noise(), "ratio %s p %s" % (c.x, c.p))

    # Three rounds cannot reach p <= 0.05: the plain ratio decides.
    b = load([row("vmwgfx", 10, [10, 10, 10]),
              row("auto", 10.6, [10.6, 10.6, 10.6])])
    c = br.compare(b, "system", 1 << 20, "one-page", "auto", "vmwgfx")
    check("paired-few-rounds-plain-rule", c.slower_beyond_noise(),
          "ratio %s p %s least %s" % (c.x, c.p, c.p_min))


def test_no_rounds():
    # An older CSV, without the round columns: the cells' costs decide.
    rows = ["ours,system,1048576,one-page,%s,150,%d,0,0,0,0,0,0,0,%d\n" %
            (m, v, v) for m, v in (("pagetable", 10000), ("auto", 12000))]
    b = load(rows, br.COLUMNS[:15])
    c = br.compare(b, "system", 1 << 20, "one-page", "auto", "pagetable")
    check("unpaired-fallback", c.pairs == 0 and abs(c.x - 1.2) < 1e-9,
          "%d pairs, ratio %s, want 0 and 1.2" % (c.pairs, c.x))


test_signed_rank()
test_pairing()
test_no_rounds()
sys.exit(1 if failures else 0)
