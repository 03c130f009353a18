#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compare the sync cost of our mm/mapping_dirty_helpers.c with upstream
# 6.1's, on two kernels that differ only in that file.
#
# One guest can read 1.5x slower or faster than the next (its clock, see
# below, and the host's other load), so a single run of each kernel (as
# make bench does) cannot tell a 1.4x difference from noise. Here the two
# kernels boot alternately for R rounds, each running the same vttm_bench
# cells, and for every cell we print:
#   - the median over rounds of sync_ns for each kernel and their ratio;
#   - the ratio normalised, round by round, by the NONE cells of the same
#     round and size: NONE never calls the helpers (its sync is a plain
#     copy of the whole BO), so its ratio is the speed of that guest
#     against the other, and dividing it out leaves the helpers' share.
# A slowdown is only believable if the normalised ratio is above 1 in
# every round, not just in the median: the min and max are printed too.
#
# This builds nothing: it uses kernels built before (make bench builds
# both). Results and guest logs go to COMPARE_DIR.
#
# Environment:
#   COMPARE_ROUNDS   rounds, each booting both kernels (default 3)
#   COMPARE_ARGS     vttm_bench cell options (default below); keep NONE in
#                    --methods, or nothing can be normalised
#   COMPARE_DIR      output directory (default build/bench-compare)
#   COMPARE_TIMEOUT  wall-clock limit of each guest, in seconds (1800)
#   OURS_KERNEL      default build/obj/arch/x86/boot/bzImage
#   UPSTREAM_KERNEL  default build/obj-upstream/arch/x86/boot/bzImage
#   BENCH_PROG       default build/bench/vttm_bench
#   COMPARE_TSC_KHZ  the guest's TSC rate (default: the host's, see
#                    scripts/lib/host-tsc.sh; "none" to let each guest
#                    calibrate)
#   COMPARE_ICOUNT   1: count instructions instead of timing (see below)
#
# make bench-compare runs this script with the same environment.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

rounds=${COMPARE_ROUNDS:-3}
out=${COMPARE_DIR:-build/bench-compare}
timeout=${COMPARE_TIMEOUT:-1800}
ours_kernel=${OURS_KERNEL:-build/obj/arch/x86/boot/bzImage}
upstream_kernel=${UPSTREAM_KERNEL:-build/obj-upstream/arch/x86/boot/bzImage}
prog=${BENCH_PROG:-build/bench/vttm_bench}
# Upstream's helpers cannot walk the huge device-memory PMDs (see
# scripts/bench.sh), so the comparison stays in system placement.
default_args="--placements system --sizes 16M,256M"
default_args+=" --patterns sparse-1pct,read-mostly,ring,sequential-all"
default_args+=" --methods none,mkwrite,pagetable"
# shellcheck disable=SC2206 # split on purpose
args=(${COMPARE_ARGS:-$default_args})
# Same as scripts/bench.sh: 256 MiB BOs, and the TSC under TCG.
append="vttm.vram_mb=512 tsc=reliable"

say() { echo "bench-compare: $*"; }
die() { echo "bench-compare: $*" >&2; exit 1; }

# The guest's clock is the main source of guest-to-guest variation: a
# guest that misses its TSC calibration scales every time it reports by up
# to 1.4 (scripts/lib/host-tsc.sh). Give each the TSC's rate.
#
# COMPARE_ICOUNT=1: vm-run --icount, where the guest's clock advances one
# nanosecond per guest instruction. Every "ns" is then an instruction, the
# same from run to run and whatever the host's load: a busy host leaves
# wall-clock ratios of single cells anywhere from 0.6 to 2, while this
# measures the work the helpers do exactly (but weighs every instruction
# alike: no caches, no TLB misses). The TSC then counts virtual
# nanoseconds: 1 GHz.
icount=${COMPARE_ICOUNT:-0}
vm_opts=()
if [ "$icount" = 1 ]; then
	vm_opts+=(--icount)
	tsc_khz=${COMPARE_TSC_KHZ:-1000000}
	tsc_from="one tick per guest instruction (icount)"
elif [ -n "${COMPARE_TSC_KHZ:-}" ]; then
	tsc_khz=$COMPARE_TSC_KHZ
	tsc_from="from COMPARE_TSC_KHZ"
else
	# shellcheck source=scripts/lib/host-tsc.sh
	. "$top/scripts/lib/host-tsc.sh"
	host_tsc_lookup
	tsc_khz=$host_tsc_khz
	tsc_from="the host's, from $host_tsc_from"
fi

case $rounds in
'' | *[!0-9]* | 0) die "COMPARE_ROUNDS must be a positive integer" ;;
esac
if [ -z "$tsc_khz" ]; then
	say "the host's TSC rate is unknown (set COMPARE_TSC_KHZ): guests" \
		"calibrate their own, rely on the normalised ratios only"
elif [ "$tsc_khz" = none ]; then
	say "guests calibrate their own TSC (COMPARE_TSC_KHZ=none)"
else
	append+=" tsc_early_khz=$tsc_khz"
	say "guests' TSC: $tsc_khz kHz, $tsc_from"
fi
for f in "$ours_kernel" "$upstream_kernel" "$prog"; do
	[ -r "$f" ] || die "no $f (build it first, or set the variable)"
done

# Freeze the inputs for the whole run: someone rebuilding build/ between
# two rounds would otherwise compare different kernels. The copy lives
# under /var/tmp because the guest mounts tmpfs over /tmp and /run, where
# a program would be invisible to it.
stage=$(mktemp -d /var/tmp/bench-compare.XXXXXX)
trap 'rm -rf "$stage"' EXIT
cp "$ours_kernel" "$stage/bzImage-ours"
cp "$upstream_kernel" "$stage/bzImage-upstream"
cp "$prog" "$stage/vttm_bench"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/results-r*-*.csv "$out/summary.txt"

start=$SECONDS
failed=0
for ((r = 1; r <= rounds; r++)); do
	# Swap which kernel boots first every round, so that a slow drift of
	# the host (load, thermal) does not always favour the same one.
	if ((r % 2)); then order="ours upstream"; else order="upstream ours"; fi
	for label in $order; do
		dir=$out/vm-r$r-$label
		mkdir -p "$dir"
		say "round $r/$rounds: $label (log: $dir/output.log)"
		rc=0
		# One vCPU, as make bench does (see scripts/bench.sh).
		scripts/vm-run "${vm_opts[@]}" --timeout "$timeout" --mem 3G \
			--smp 1 \
			--kernel "$stage/bzImage-$label" --dir "$dir" \
			--append "$append" -- \
			"$stage/vttm_bench" --label "$label" "${args[@]}" \
			--csv /tmp/results/results.csv \
			> "$dir/output.log" 2>&1 || rc=$?
		if [ -s "$dir/share/results.csv" ]; then
			cp "$dir/share/results.csv" "$out/results-r$r-$label.csv"
		fi
		# Upstream WARNs on huge entries; none are expected in system
		# placement, so any report casts doubt on the round.
		if grep -qE 'WARNING:|BUG:|Oops|Kernel panic' "$dir/console.log"; then
			say "round $r $label: kernel log has reports, see $dir/console.log"
		fi
		# Which clock timed this guest: anything but tsc means its
		# numbers may be scaled, and only the normalised ratios hold.
		clock=$(sed -n 's/.*Switched to clocksource //p' \
			"$dir/console.log" | tail -1)
		bench_tsc=$(sed -n 's/.*using the TSC (\(.*\)).*/ TSC \1 by vttm_bench/p' \
			"$dir/output.log")
		say "round $r $label: clocksource ${clock:-unknown}$bench_tsc"
		if [ "$rc" -ne 0 ]; then
			say "round $r $label: guest or vttm_bench failed (status $rc)"
			failed=1
		fi
	done
done
say "$rounds rounds in $((SECONDS - start))s"

if [ "$icount" = 1 ]; then
	say "icount: each us below is 1000 guest instructions"
fi
python3 "$top/scripts/bench-compare.py" "$out"/results-r*-*.csv |
	tee "$out/summary.txt"
say "results: $out/results-r*-*.csv, $out/summary.txt"
exit $failed
