#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages the build, the guest and the tests need.
# Does nothing (and needs no network) when all of them are present.
set -euo pipefail

pkgs=(
	linux-source-6.1	# the base kernel
	build-essential flex bison bc libelf-dev libssl-dev cpio kmod
	ccache sparse python3 perl
	python3-pyflakes	# lint of our Python scripts
	gnuplot-nox		# make bench: plots
	xz-utils patch
	qemu-system-x86		# the test guest
	libdrm-dev pkg-config	# user-space tests and demo
	intel-gpu-tools		# libigt.so.0 (IGT 1.27.1)
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
