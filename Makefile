# SPDX-License-Identifier: GPL-2.0
#
# drm-coherent: build the test kernel with our files, boot it under QEMU and
# run the tests or the demo inside. See README.md.

.PHONY: all deps kernel igt check run lint clean

all: kernel igt

deps:
	@scripts/install-deps.sh

kernel: deps
	@scripts/build-kernel.sh

igt: deps
	@$(MAKE) -s -C igt-tests O=$(CURDIR)/build/igt

lint: kernel
	@scripts/lint.sh

# Build, lint, boot, run KUnit and every IGT test; one line per test.
check: kernel igt
	@scripts/check.sh

# The main job: the coherent-memory demo in the guest.
run: kernel igt
	@scripts/vm-run --timeout 300 -- build/igt/vttm_demo

clean:
	rm -rf build
