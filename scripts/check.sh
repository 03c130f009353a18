#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check, after the kernel and the tests are built: lint, then one boot
# that runs KUnit (at boot) and every IGT test, then one line per test.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/check
mkdir -p "$out"
start=$(date +%s)

scripts/lint.sh > "$out/lint.log" 2>&1
# The IGT header's self-check runs on the host against the real libigt.
if igt-tests/selftest/run.sh build/igt/selftest/igt_h_check \
	> "$out/igt-h.log" 2>&1; then
	echo "ok host/igt-h-selftest  ($(tail -n 1 "$out/igt-h.log"))"
else
	echo "FAIL host/igt-h-selftest"
	sed 's/^/    /' "$out/igt-h.log"
fi >> "$out/lint.log"

tests=()
for c in igt-tests/*.c; do
	tests+=("$(basename "${c%.c}")")
done
scripts/vm-run --timeout 1500 --dir build/vm -- \
	scripts/guest-tests.sh --timeout 600 "${tests[@]/#/build/igt/}" \
	> "$out/igt.log" 2>&1
vmrc=$?
cp build/vm/console.log "$out/console.log"

echo "check: lint, boot and tests took $(($(date +%s) - start))s; logs in $out/"
scripts/check-report.py --lint "$out/lint.log" --console "$out/console.log" \
	--igt "$out/igt.log" --vm-status $vmrc "${tests[@]}"
