// SPDX-License-Identifier: MIT
/*
 * Checks that igt.h drives the real libigt.so.0 correctly: each subtest
 * has a known outcome, and run.sh compares what the library reports
 * (exit codes, subtest results, listing) with it. Needs no DRM device,
 * so it runs on any build host. Some subtests fail on purpose: this is
 * not a test of the project, only of the header.
 */
#include "igt.h"

IGT_TEST_DESCRIPTION("Self-check of igt.h against libigt.so.0.");

static int fixture_runs;

igt_main
{
	uint32_t v32 = 7;
	uint64_t v64 = 1ull << 40;

	igt_fixture {
		fixture_runs++;
	}

	igt_describe("An empty body passes.");
	igt_subtest("passes")
		igt_assert_eq(fixture_runs, 1);

	igt_subtest("assert-eq-fails")
		igt_assert_eq(1, 2);

	igt_subtest("assert-eq-u64-fails")
		igt_assert_eq_u64(v64, v64 + 1);

	igt_subtest("assert-f-fails")
		igt_assert_f(v32 == 8, "v32 is %u\n", v32);

	igt_subtest("assert-lte-and-neq-pass") {
		igt_assert_lte(1, 1);
		igt_assert_lte(1, 2);
		igt_assert_neq(1, 2);
		igt_assert_eq_u32(v32, 7);
		igt_assert_lt_u64(v64, v64 + 1);
	}

	igt_subtest("require-skips")
		igt_require(v32 == 8);

	igt_subtest("require-f-skips")
		igt_require_f(false, "skipping on purpose\n");

	igt_subtest("skip-skips")
		igt_skip("skipping on purpose\n");

	igt_subtest("do-ioctl-err-passes") {
		struct drm_version v = {};

		/* A closed descriptor gives a well-known errno. */
		do_ioctl_err(-1, DRM_IOCTL_VERSION, &v, EBADF);
		igt_assert_eq(errno, 0);
	}

	igt_subtest("do-ioctl-fails") {
		struct drm_version v = {};

		do_ioctl(-1, DRM_IOCTL_VERSION, &v);
	}

	igt_subtest_f("formatted-name-%d", 42)
		igt_info("formatted subtest %s\n", igt_subtest_name());

	igt_subtest("fork-children-pass") {
		igt_fork(child, 2)
			igt_assert(child == 0 || child == 1);
		igt_waitchildren();
	}

	igt_subtest("fork-child-fails") {
		igt_fork(child, 2)
			igt_assert_eq(child, 0);
		igt_waitchildren();
	}

	igt_subtest_group {
		igt_fixture {
			igt_require_f(false, "group fixture skips\n");
		}

		igt_subtest("skipped-by-group-fixture")
			igt_assert(false);
	}

	/* The group's skip must not leak past the group. */
	igt_subtest("passes-after-skipped-group")
		igt_assert_eq(fixture_runs, 1);

	igt_subtest("drm-open-skips-without-device") {
		int fd;

		__set_forced_driver("no-such-driver");
		fd = drm_open_driver(DRIVER_ANY);
		close(fd);
		igt_assert(false);
	}
}
