#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check, after the kernel and the tests are built: lint, then one boot
# that runs KUnit (at boot) and every IGT test, then one line per test.
#
# make check-debug runs the same boot on the debug kernel:
#   CHECK_KERNEL        the bzImage to boot (default: build/obj's)
#   CHECK_OUT           where the logs go (default: build/check)
#   CHECK_LINT=0        no lint: the sources are those make check lints
#   CHECK_VM_TIMEOUT    the whole boot, seconds (default 1500)
#   CHECK_TEST_TIMEOUT  each IGT binary, seconds (default 600)
#   CHECK_APPEND        more guest kernel command-line arguments
#   CHECK_STRESS_SECONDS how long vttm_stress runs its writers, seconds
#                       (default 5; the test caps it at 600)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=${CHECK_KERNEL:-build/obj/arch/x86/boot/bzImage}
out=${CHECK_OUT:-build/check}
mkdir -p "$out"
start=$(date +%s)

lint=()
if [ "${CHECK_LINT:-1}" != 0 ]; then
	scripts/lint.sh > "$out/lint.log" 2>&1
	# The IGT header's self-check runs on the host against the real libigt.
	if igt-tests/selftest/run.sh build/igt/selftest/igt_h_check \
		> "$out/igt-h.log" 2>&1; then
		echo "ok host/igt-h-selftest  ($(tail -n 1 "$out/igt-h.log"))"
	else
		echo "FAIL host/igt-h-selftest"
		sed 's/^/    /' "$out/igt-h.log"
	fi >> "$out/lint.log"
	# So are the statistics that decide the benchmark's targets.
	if scripts/bench-report-selftest.py > "$out/bench-report.log" 2>&1; then
		echo "ok host/bench-report-selftest  ($(grep -c '^ok ' \
			"$out/bench-report.log") checks)"
	else
		echo "FAIL host/bench-report-selftest"
		grep -v '^ok ' "$out/bench-report.log" | sed 's/^/    /'
	fi >> "$out/lint.log"
	lint=(--lint "$out/lint.log")
fi

tests=()
for c in igt-tests/*.c; do
	tests+=("$(basename "${c%.c}")")
done
append=()
[ -n "${CHECK_APPEND:-}" ] && append=(--append "$CHECK_APPEND")
scripts/vm-run --timeout "${CHECK_VM_TIMEOUT:-1500}" --kernel "$kernel" \
	--dir "$out/vm" "${append[@]}" -- \
	env VTTM_STRESS_SECONDS="${CHECK_STRESS_SECONDS:-5}" \
	scripts/guest-tests.sh --timeout "${CHECK_TEST_TIMEOUT:-600}" \
	"${tests[@]/#/build/igt/}" > "$out/igt.log" 2>&1
vmrc=$?
cp "$out/vm/console.log" "$out/console.log"

echo "check: ${lint:+lint, }boot and tests took $(($(date +%s) - start))s; logs in $out/"
scripts/check-report.py "${lint[@]}" --console "$out/console.log" \
	--igt "$out/igt.log" --vm-status $vmrc "${tests[@]}"
