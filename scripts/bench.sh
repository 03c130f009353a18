#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build our kernel and the same kernel with upstream 6.1's
# mm/mapping_dirty_helpers.c, run vttm_bench in a guest of each, and write
# under build/bench/: results.csv (both labels), summary.md, plots/*.png
# and trace-LABEL.csv (one row per cycle, see vttm_bench --trace).
#
# The targets of the benchmark are printed as PASS/FAIL lines but do not
# fail the run: only a guest that crashes or times out, or a vttm_bench that
# reports an error (a correctness failure), does.
#
# Environment:
#   BENCH_QUICK=1   pass --quick to vttm_bench (64K and 1M only)
#   BENCH_ARGS      more arguments for vttm_bench (for example --sizes ...)
#   BENCH_TIMEOUT   wall-clock limit of each guest, in seconds
#   BENCH_MEM       guest memory (default 3G)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
prog=$out/vttm_bench
mem=${BENCH_MEM:-3G}
# One vCPU: vttm_bench runs one thread at a time, and with a second vCPU
# idling beside it under TCG a copy of 16 MiB sometimes took 3x as long
# (the floor, plain memcpy, too) and one of 256 MiB up to 9x, in cells
# picked at random; on one vCPU the same cells agree from run to run.
smp=1
# 256 MiB BOs must fit in device memory. Under TCG the clocksource watchdog
# finds the TSC skewed against the (late) jiffies and falls back to
# refined-jiffies, whose 4 ms steps make every cell read 0: trust the TSC.
append="vttm.vram_mb=512 tsc=reliable"
args=()
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	args+=(--quick)
	timeout=${BENCH_TIMEOUT:-1200}
else
	timeout=${BENCH_TIMEOUT:-14400}
fi
# shellcheck disable=SC2206 # split on purpose
args+=(${BENCH_ARGS:-})

say() { echo "bench: $*"; }
die() { echo "bench: $*" >&2; exit 1; }

# shellcheck source=scripts/lib/host-tsc.sh
. "$top/scripts/lib/host-tsc.sh"
host_tsc_lookup
# A guest on a loaded host may miscalibrate its TSC: give it the host's rate.
if [ -n "$host_tsc_khz" ]; then
	append+=" tsc_early_khz=$host_tsc_khz"
	say "guests' TSC: $host_tsc_khz kHz, the host's, from $host_tsc_from"
else
	say "the host's TSC rate is unknown: guests calibrate their own TSC"
fi

scripts/install-deps.sh

# Upstream's flavour first: the build tree is shared, and the normal build
# after it lays our file back, so the tree is left as make kernel expects.
say "building the kernel with upstream's mm/mapping_dirty_helpers.c"
start=$SECONDS
MM_HELPERS=upstream OBJ=$top/build/obj-upstream scripts/build-kernel.sh
say "upstream kernel built in $((SECONDS - start))s"
say "building our kernel"
scripts/build-kernel.sh

"${MAKE:-make}" -s -C "$top" bench-prog
[ -x "$prog" ] || die "$prog was not built (make bench-prog)"

mkdir -p "$out"
rm -f "$out"/results-*.csv "$out/results.csv"

failed=0
for label in upstream ours; do
	# Upstream's helpers cannot walk the huge devmap PMDs that map device
	# memory: the generic walker takes them for bad entries, clears them
	# and the walk spins on "bad pmd" reports. So the comparison with
	# upstream runs in system memory, where every entry is a PTE.
	case $label in
	ours)
		kernel=build/obj/arch/x86/boot/bzImage
		only=()
		;;
	upstream)
		kernel=build/obj-upstream/arch/x86/boot/bzImage
		# Only the sync times of the kernel's methods are compared
		# (the user-space rows do not use the helpers), and their
		# medians need few rounds. 256 MiB, most of the run, had
		# three rounds already: the guest still takes 0.6x as long
		# as ours.
		only=(--placements system
		      --methods none,mkwrite,pagetable,auto,vmwgfx,split)
		if [ "${BENCH_QUICK:-0}" != 1 ]; then
			only+=(--rounds 3)
		fi
		;;
	esac
	dir=$out/vm-$label
	say "running vttm_bench --label $label ${args[*]} (log: $dir/output.log)"
	rc=0
	scripts/vm-run --timeout "$timeout" --mem "$mem" --smp "$smp" \
		--kernel "$kernel" \
		--dir "$dir" --append "$append" -- \
		"$top/$prog" --label "$label" "${args[@]}" "${only[@]}" \
		--csv /tmp/results/results.csv --trace /tmp/results/trace.csv |
		tee "$dir.log" || rc=${PIPESTATUS[0]}
	mv "$dir.log" "$dir/output.log"
	if [ -s "$dir/share/results.csv" ]; then
		cp "$dir/share/results.csv" "$out/results-$label.csv"
	fi
	# Every cycle of every cell, to explain a cell's median.
	if [ -s "$dir/share/trace.csv" ]; then
		cp "$dir/share/trace.csv" "$out/trace-$label.csv"
	fi
	# Upstream's helpers WARN on huge entries; report, do not fail.
	if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$dir/console.log"; then
		say "$label: the kernel log has reports, see $dir/console.log:"
		grep -m5 -E 'WARNING:|BUG:|Oops|Kernel panic' "$dir/console.log" |
			sed 's/^/    /'
	fi
	if [ "$rc" -ne 0 ]; then
		say "FAIL $label: vttm_bench or its guest failed (status $rc)"
		failed=1
	fi
done

# One header, then the rows of both labels.
csvs=()
for label in ours upstream; do
	[ -s "$out/results-$label.csv" ] && csvs+=("$out/results-$label.csv")
done
[ ${#csvs[@]} -gt 0 ] || die "no results"
python3 - "$out/results.csv" "${csvs[@]}" <<'EOF'
import sys
header = ("label,placement,size_bytes,pattern,method,cycles,median_ns,"
          "write_ns,sync_ns,pages_written,pages_copied,faults,scans,switches,"
          "mean_ns,rounds,round_median_ns,round_mean_ns,redone")
with open(sys.argv[1], "w") as out:
    out.write(header + "\n")
    for path in sys.argv[2:]:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith(("label,", "#")):
                    out.write(line + "\n")
EOF

scripts/bench-report.py "$out/results.csv" "$out"
for gp in "$out"/plots/*.gp; do
	[ -e "$gp" ] || continue
	(cd "$out/plots" && gnuplot "$(basename "$gp")") ||
		say "gnuplot failed on $gp"
done
say "$out/results.csv, $out/summary.md, $out/plots/*.png"
exit $failed
