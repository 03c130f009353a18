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
for t in "$@"; do
	name=$(basename "$t")
	echo "### begin $name"
	timeout -k 5 "$per_test_timeout" "$t"
	echo "### end $name $?"
done
