#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest: every IGT test binary named on the command
# line, each framed by markers that scripts/check-report.py reads.
# usage: guest-tests.sh [--timeout SEC] TEST...
per_test_timeout=600
if [ "${1:-}" = --timeout ]; then
	per_test_timeout=$2
	shift 2
fi

echo "### guest: $(uname -r), $(nproc) cpus, $(ls /dev/dri 2>/dev/null | tr '\n' ' ')"
# vm-run passes no environment of its own: check.sh sets this with env.
echo "### stress: ${VTTM_STRESS_SECONDS:-default} seconds"
for t in "$@"; do
	name=$(basename "$t")
	echo "### begin $name"
	timeout -k 5 "$per_test_timeout" "$t"
	echo "### end $name $?"
done

# On a kernel with kmemleak (make check-debug), look for leaks once every
# test is done: two scans, as an object freed late can look leaked on the
# first. What it finds goes to the kernel log, which check-report.py
# reads, as for any other report.
debugfs=/sys/kernel/debug
[ -d $debugfs ] && ! mountpoint -q $debugfs &&
	mount -t debugfs debugfs $debugfs 2>/dev/null
leaks=$debugfs/kmemleak
if [ -w $leaks ]; then
	echo scan > $leaks
	sleep 5
	echo scan > $leaks
	echo "### kmemleak: $(grep -c '^unreferenced object' $leaks) suspected leaks"
	while IFS= read -r line; do
		echo "kmemleak: $line" > /dev/kmsg
	done < $leaks
fi
