# SPDX-License-Identifier: GPL-2.0
#
# drm-coherent: build the test kernel with our files, boot it under QEMU and
# run the tests or the demo inside. See README.md.

.PHONY: all deps kernel igt check run lint clean bench-prog

all: kernel igt

deps:
	@scripts/install-deps.sh

kernel: deps
	@scripts/build-kernel.sh

igt: deps
	@$(MAKE) -s -C igt-tests O=$(CURDIR)/build/igt

lint: kernel
	@scripts/lint.sh

# Our kernel against the same kernel with upstream's mm helpers, in guests:
# build/bench/{results.csv,summary.md,plots/}. BENCH_QUICK=1 for a smoke run.
.PHONY: bench
bench: deps
	@scripts/bench.sh

# The same two kernels, built before, booted in turn for several rounds:
# ours/upstream per cell, normalised by the guest's speed. COMPARE_ICOUNT=1
# counts instructions; COMPARE_* are in the script's header.
.PHONY: bench-compare
bench-compare: deps
	@scripts/bench-compare.sh

# Build, lint, boot, run KUnit and every IGT test; one line per test.
check: kernel igt
	@scripts/check.sh

# The same boot on a kernel with KASAN, lockdep, DEBUG_VM, debug objects,
# kmemleak and fault injection (configs/debug.config): any report, and
# any leak kmemleak finds after the tests, fails the run.
DEBUG_OBJ := $(CURDIR)/build/obj-debug
.PHONY: kernel-debug check-debug
kernel-debug: deps
	@FRAGMENTS="test.config debug.config" OBJ=$(DEBUG_OBJ) \
		scripts/build-kernel.sh
# acpi=noirq: under KASAN and lockdep, emulated, the firmware's PCI
# interrupt routing method (_PRT) runs into ACPI's loop timeout and the
# guest loses its disks; the CPUs still come from ACPI's MADT.
check-debug: kernel-debug igt
	@CHECK_KERNEL=$(DEBUG_OBJ)/arch/x86/boot/bzImage \
		CHECK_OUT=build/check-debug CHECK_LINT=0 \
		CHECK_VM_TIMEOUT=7200 CHECK_TEST_TIMEOUT=3000 \
		CHECK_STRESS_SECONDS=90 CHECK_APPEND=acpi=noirq scripts/check.sh

# The main job: the coherent-memory demo in the guest.
run: kernel igt
	@scripts/vm-run --timeout 300 -- build/igt/vttm_demo

# The in-guest benchmark: plain ioctls on libdrm's headers, like the demo.
BENCH_PROG := build/bench/vttm_bench

bench-prog: $(BENCH_PROG)

$(BENCH_PROG): tools/bench/vttm_bench.c tools/vttm_tool.h \
		include/uapi/drm/vttm_drm.h
	@mkdir -p $(@D)
	gcc -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow \
		-Wdeclaration-after-statement -Wstrict-prototypes \
		-Wmissing-prototypes -Itools -Iinclude/uapi/drm \
		$(shell pkg-config --cflags libdrm) -o $@ $< -lpthread

clean:
	rm -rf build
