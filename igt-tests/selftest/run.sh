#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run igt_h_check and compare what libigt.so.0 reports with the outcome
# each subtest was written to have. Usage: run.sh path/to/igt_h_check
set -u

bin=${1:?usage: run.sh path/to/igt_h_check}
pass=0
fail=0

check() {
	local what=$1 want=$2 got=$3

	if [ "$want" = "$got" ]; then
		pass=$((pass + 1))
	else
		echo "igt_h_check: $what: expected $want, got $got" >&2
		fail=$((fail + 1))
	fi
}

# exit status of one subtest run on its own
run_one() {
	"$bin" --run-subtest "$1" >/dev/null 2>&1
	echo $?
}

want_list="passes
assert-eq-fails
assert-eq-u64-fails
assert-f-fails
assert-lte-and-neq-pass
require-skips
require-f-skips
skip-skips
do-ioctl-err-passes
do-ioctl-fails
formatted-name-42
fork-children-pass
fork-child-fails
skipped-by-group-fixture
passes-after-skipped-group
drm-open-skips-without-device"

got_list=$("$bin" --list-subtests 2>/dev/null)
check "--list-subtests exit" 0 $?
check "--list-subtests output" "$want_list" "$got_list"

for t in passes assert-lte-and-neq-pass do-ioctl-err-passes \
	 formatted-name-42 fork-children-pass passes-after-skipped-group; do
	check "$t" 0 "$(run_one "$t")"
done
for t in assert-eq-fails assert-eq-u64-fails assert-f-fails \
	 do-ioctl-fails fork-child-fails; do
	check "$t" 98 "$(run_one "$t")"
done
for t in require-skips require-f-skips skip-skips \
	 skipped-by-group-fixture drm-open-skips-without-device; do
	check "$t" 77 "$(run_one "$t")"
done

# The failure message carries both operands, as upstream prints them.
out=$("$bin" --run-subtest assert-eq-u64-fails 2>&1)
case $out in
*"error: 0x10000000000 != 0x10000000001"*) check "u64 message" ok ok ;;
*) check "u64 message" present missing ;;
esac

# A whole run with failures among passes and skips fails overall.
"$bin" >/dev/null 2>&1
check "full run exit" 98 $?

# An unknown subtest name is an invalid invocation.
"$bin" --run-subtest no-such-subtest >/dev/null 2>&1
check "unknown subtest exit" 79 $?

echo "igt_h_check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
