#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch --strict on every C file and header we own, sparse on every
# kernel C file we own, against the tree scripts/build-kernel.sh prepared,
# and pyflakes on our Python scripts.
# Prints "ok lint/..." or "FAIL lint/..." per file, details indented.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux
obj=${OBJ:-$top/build/obj}
cd "$top"

owned() {
	git ls-files -co --exclude-standard -- "$@" | grep -E '\.[ch]$' | sort
}

# User space has no u32, BIT() or __weak, and declares library externs in
# headers: those kernel-only rules are off for igt-tests/ and tools/.
userspace_ignore=PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,BIT_MACRO,AVOID_EXTERNS

rc=0
for f in $(owned mm include drivers igt-tests tools); do
	ignore=()
	case "$f" in
	igt-tests/*|tools/*) ignore=(--ignore "$userspace_ignore") ;;
	esac
	out=$("$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--show-types "${ignore[@]}" -f "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok lint/checkpatch/$f"
	else
		echo "FAIL lint/checkpatch/$f"
		sed 's/^/    /' <<< "$out"
		rc=1
	fi
done

# sparse: C=2 checks the named objects whether or not they are up to date.
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
for f in $(owned mm drivers | grep '\.c$'); do
	o=${f%.c}.o
	if [ ! -e "$obj/$o" ]; then
		echo "FAIL lint/sparse/$f  (not built by this configuration)"
		rc=1
		continue
	fi
	out=$(make -s -C "$src" O="$obj" CC="ccache gcc" C=2 "$o" 2>&1 |
		grep -E 'warning:|error:')
	if [ -z "$out" ]; then
		echo "ok lint/sparse/$f"
	else
		echo "FAIL lint/sparse/$f"
		sed 's/^/    /' <<< "$out"
		rc=1
	fi
done
# Debian's python3, not whichever python3 comes first in PATH: that is
# the one python3-pyflakes installs for.
for f in $(git ls-files -co --exclude-standard -- 'scripts/*.py' | sort); do
	out=$(/usr/bin/python3 -m pyflakes "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok lint/pyflakes/$f"
	else
		echo "FAIL lint/pyflakes/$f"
		sed 's/^/    /' <<< "$out"
		rc=1
	fi
done
exit $rc
