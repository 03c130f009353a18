# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The host's TSC rate, for guests' tsc_early_khz= (sourced by
# scripts/bench.sh and scripts/bench-compare.sh).
#
# A guest's TSC counts at the host's rate: TCG reads the host's TSC, and
# KVM does not scale it by default. Under TCG on a busy host the guest
# often fails to calibrate its TSC against the PIT, falls back to jiffies,
# and vttm_bench then calibrates the TSC against those late jiffies, so
# every time that guest reports is scaled by a factor seen from 1.0 to 1.4.
# Told the rate, the guest keeps a TSC clocksource whatever the load.

# host_tsc_lookup: set host_tsc_khz to the host's TSC rate in kHz, or to ""
# when it cannot be known, and host_tsc_from to where it was found.
# shellcheck disable=SC2034 # both are the caller's
host_tsc_lookup() {
	local mhz flags

	host_tsc_khz=
	host_tsc_from=
	# The host kernel's own words, best first: the refined calibration;
	# the TSC's rate, printed only when it differs from the processor's;
	# the processor's, which is then the TSC's too.
	host_tsc_khz=$(dmesg 2>/dev/null | sed -nE \
		-e 's/.*Refined TSC clocksource calibration: ([0-9]+)\.([0-9]{3}) MHz.*/\1\2 1/p' \
		-e 's/.*tsc: Detected ([0-9]+)\.([0-9]{3}) MHz TSC.*/\1\2 2/p' \
		-e 's/.*tsc: Detected ([0-9]+)\.([0-9]{3}) MHz processor.*/\1\2 3/p' |
		sort -n -k2,2 | sed -n '1s/ .*//p') || true
	if [ -n "$host_tsc_khz" ]; then
		host_tsc_from="the kernel log"
		return 0
	fi

	# dmesg may be unreadable (dmesg_restrict) or have lost its first
	# lines. /proc/cpuinfo's "cpu MHz" is the current clock of the CPU
	# when a cpufreq driver or APERF/MPERF can tell it, and the kernel's
	# cpu_khz only without both; and cpu_khz is the TSC's rate (to a
	# fraction of a percent) only if that rate is constant (constant_tsc).
	# Anything else, or CPUs that disagree, and the guest had better
	# calibrate its own.
	[ -d /sys/devices/system/cpu/cpu0/cpufreq ] && return 0
	flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) || return 0
	[[ " $flags " == *" constant_tsc "* ]] || return 0
	[[ " $flags " == *" aperfmperf "* ]] && return 0
	mhz=$(sed -n 's/^cpu MHz[[:space:]]*: *//p' /proc/cpuinfo | sort -u)
	[[ $mhz =~ ^([0-9]+)\.([0-9]{3})$ ]] || return 0
	host_tsc_khz=$((10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))
	host_tsc_from="/proc/cpuinfo (constant TSC, no cpufreq)"
}
