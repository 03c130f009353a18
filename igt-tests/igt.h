/* SPDX-License-Identifier: MIT */
/*
 * igt.h - the slice of the IGT GPU Tools API that the vttm tests use.
 *
 * Debian 12 ships IGT 1.27.1 as a shared library (libigt.so.0, from
 * intel-gpu-tools) but without its headers. This file declares, with
 * IGT 1.27.1's exact prototypes and macro semantics, the entry points our
 * tests call, so that:
 *
 *  - the tests link against the real library and behave exactly as in an
 *    IGT build (subtest enumeration, --run-subtest, skip/fail bookkeeping,
 *    exit codes, forked children);
 *  - the same test sources build unchanged inside an upstream
 *    igt-gpu-tools tree, where "igt.h" is IGT's own umbrella header.
 *
 * Only add declarations that exist in 1.27.1 (check with
 * nm -D /usr/lib/x86_64-linux-gnu/libigt.so.0): a prototype that does not
 * match the library's ABI breaks silently at run time, not at link time.
 * Notably 1.27.1 has no drm_close_driver() (tests close() the fd), does
 * not export __get_drm_device_name() and has no DRIVER_VTTM (see
 * lib/igt_vttm.c).
 */
#ifndef VTTM_IGT_H
#define VTTM_IGT_H

#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <xf86drm.h>

/* ------------------------------------------------------------------ */
/* Process exit codes the library uses (and igt_runner understands).  */
/* ------------------------------------------------------------------ */

#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_FAILURE	98
#define IGT_EXIT_ABORT		112

/* Tests leave the log domain unset; library code sets its own. */
#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN		(NULL)
#endif

/*
 * The library looks this up as a weak symbol to answer
 * --help-description, so a test defines it at most once.
 */
extern const char *__igt_test_description __attribute__((weak));
#define IGT_TEST_DESCRIPTION(str) \
	const char *__igt_test_description = str

#define __noreturn	__attribute__((noreturn))
#define __maybe_unused	__attribute__((unused))

/* Token pasting that expands its arguments first. */
#define __igt_tokencat2(a, b)	a ## b
#define igt_tokencat(a, b)	__igt_tokencat2(a, b)

/*
 * A per-line identifier, so that nested control-flow macros on different
 * lines never share their hidden loop variables.
 */
#define igt_unique(name) \
	igt_tokencat(igt_tokencat(__igt_unique__, name), __LINE__)

/* ------------------------------------------------------------------ */
/* Control flow: main, fixtures, subtests, groups.                    */
/* ------------------------------------------------------------------ */

/*
 * igt_skip(), igt_fail() and failed asserts leave the current subtest
 * or fixture by siglongjmp()ing to these buffers, which the control-flow
 * macros below arm with sigsetjmp(). Both are sigjmp_buf-sized (200
 * bytes) in the library; jmp_buf has the same layout on glibc.
 */
extern jmp_buf igt_subtest_jmpbuf;
extern jmp_buf igt_dynamic_jmpbuf;

typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);
#define IGT_OPT_HANDLER_SUCCESS	0
#define IGT_OPT_HANDLER_ERROR	-2

int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);
void igt_simple_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);

#define igt_subtest_init(argc, argv) \
	igt_subtest_init_parse_opts(&(argc), (argv), \
				    NULL, NULL, NULL, NULL, NULL)
#define igt_simple_init(argc, argv) \
	igt_simple_init_parse_opts(&(argc), (argv), \
				   NULL, NULL, NULL, NULL, NULL)

bool __igt_fixture(void);
void __igt_fixture_complete(void);
__noreturn void __igt_fixture_end(void);

bool __igt_run_subtest(const char *subtest_name, const char *file,
		       const int line);
bool __igt_enter_dynamic_container(void);
bool __igt_run_dynamic_subtest(const char *dynamic_subtest_name);

void __igt_subtest_group_save(int *save, int *desc);
void __igt_subtest_group_restore(int save, int desc);

const char *igt_test_name(void);
const char *igt_subtest_name(void);
bool igt_only_list_subtests(void);

__noreturn void igt_exit(void);

/*
 * Replaces main() for a test with subtests: parse the command line,
 * run the body (which enumerates or runs subtests), then let igt_exit()
 * turn the recorded results into the exit code.
 */
#define igt_main_args(short_opts, long_opts, help_str, handler, data) \
	static void igt_unique(__real_main)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, short_opts, \
					    long_opts, help_str, \
					    handler, data); \
		igt_unique(__real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__real_main)(void)

#define igt_main igt_main_args(NULL, NULL, NULL, NULL, NULL)

/* The same for a test without subtests. */
#define igt_simple_main_args(short_opts, long_opts, help_str, handler, data) \
	static void igt_unique(__real_main)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_simple_init_parse_opts(&argc, argv, short_opts, \
					   long_opts, help_str, \
					   handler, data); \
		igt_unique(__real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__real_main)(void)

#define igt_simple_main igt_simple_main_args(NULL, NULL, NULL, NULL, NULL)

/*
 * Setup shared by the subtests that follow. The body runs at most once
 * and is skipped while only listing subtests; a skip or failure inside
 * it jumps out and marks the rest of the enclosing group accordingly.
 * The pass counter needs no volatile: it is only written after the body
 * (past any siglongjmp() back here) and never read after such a jump,
 * which ends the loop through the sigsetjmp() test.
 */
#define igt_fixture \
	for (int igt_unique(__fixture_pass) = 0; \
	     igt_unique(__fixture_pass) < 1 && \
	     __igt_fixture() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_unique(__fixture_pass)++, __igt_fixture_complete())

/*
 * A subtest body runs only when the library selects it (listing,
 * --run-subtest filters, earlier fixture skips). Falling off the end of
 * the body reports success; igt_skip()/igt_fail() jump back to the
 * sigsetjmp() and end the loop.
 */
#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

/*
 * The _f forms format the name into a buffer scoped to the loop. They
 * cannot nest in one another (subtests do not nest), so fixed buffer
 * names are enough.
 */
#define igt_subtest_f(fmt...) \
	for (char __igt_subtest_namebuf[256]; \
	     snprintf(__igt_subtest_namebuf, 256, fmt), \
	     __igt_run_subtest(__igt_subtest_namebuf, __FILE__, __LINE__) && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

/* A subtest whose results come from igt_dynamic() blocks inside it. */
#define igt_subtest_with_dynamic(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       __igt_enter_dynamic_container() && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_subtest_with_dynamic_f(fmt...) \
	for (char __igt_subtest_namebuf[256]; \
	     snprintf(__igt_subtest_namebuf, 256, fmt), \
	     __igt_run_subtest(__igt_subtest_namebuf, __FILE__, __LINE__) && \
	     __igt_enter_dynamic_container() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_dynamic(name) \
	for (; __igt_run_dynamic_subtest(name) && \
	       sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_dynamic_f(fmt...) \
	for (char __igt_dynamic_namebuf[256]; \
	     snprintf(__igt_dynamic_namebuf, 256, fmt), \
	     __igt_run_dynamic_subtest(__igt_dynamic_namebuf) && \
	     sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())

/*
 * Scope for fixtures and subtests: a skip in a fixture inside the group
 * only skips the group's subtests. The library saves and restores its
 * skip state (and the pending description) around the block.
 */
#define igt_subtest_group \
	for (int igt_unique(__group_pass) = 0, \
		 igt_unique(__group_save) = 0, \
		 igt_unique(__group_desc) = 0; \
	     igt_unique(__group_pass) < 1 && \
	     (__igt_subtest_group_save(&igt_unique(__group_save), \
				       &igt_unique(__group_desc)), true); \
	     igt_unique(__group_pass)++, \
	     __igt_subtest_group_restore(igt_unique(__group_save), \
					 igt_unique(__group_desc)))

/* Documentation for the next subtest or group, shown by --describe. */
__attribute__((format(printf, 1, 2)))
void igt_describe_f(const char *fmt, ...);
#define igt_describe(text) igt_describe_f("%s", (text))

/* ------------------------------------------------------------------ */
/* Results: success, skip, failure.                                   */
/* ------------------------------------------------------------------ */

void igt_success(void);
bool igt_can_fail(void);

__noreturn __attribute__((format(printf, 1, 2)))
void igt_skip(const char *fmt, ...);
__noreturn __attribute__((format(printf, 5, 6)))
void __igt_skip_check(const char *file, const int line, const char *func,
		      const char *check, const char *fmt, ...);

__noreturn void igt_fail(int exitcode);
__noreturn __attribute__((format(printf, 6, 7)))
void __igt_fail_assert(const char *domain, const char *file,
		       const int line, const char *func,
		       const char *assertion, const char *fmt, ...);
__noreturn __attribute__((format(printf, 6, 7)))
void __igt_abort(const char *domain, const char *file, const int line,
		 const char *func, const char *expression,
		 const char *fmt, ...);

#define igt_skip_check(expr_str, fmt...) \
	__igt_skip_check(__FILE__, __LINE__, __func__, expr_str, fmt)

/* Fail the current (sub)test unless @expr holds. */
#define igt_assert(expr) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, \
					  __LINE__, __func__, #expr, NULL); \
	} while (0)

#define igt_assert_f(expr, fmt...) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, \
					  __LINE__, __func__, #expr, fmt); \
	} while (0)

#define igt_fail_on(expr)		igt_assert(!(expr))
#define igt_fail_on_f(expr, fmt...)	igt_assert_f(!(expr), fmt)

/*
 * Comparisons that print both operands on failure. Each operand is
 * evaluated once, converted to @type; @op is the test and @nop its
 * negation, which the message shows ("error: 3 != 4"). @efmt prints
 * two @type values around a string.
 */
#define __igt_assert_cmp(type, efmt, a, op, nop, b) \
	do { \
		type __a = (a), __b = (b); \
		if (!(__a op __b)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, \
					  __LINE__, __func__, \
					  #a " " #op " " #b, efmt, \
					  __a, #nop, __b); \
	} while (0)

#define igt_assert_cmpint(a, op, nop, b) \
	__igt_assert_cmp(int, "error: %d %s %d\n", a, op, nop, b)
#define igt_assert_cmpuint(a, op, nop, b) \
	__igt_assert_cmp(uint32_t, "error: %#x %s %#x\n", a, op, nop, b)
/* long long is int64_t's width everywhere Linux runs, and printf knows it */
#define igt_assert_cmps64(a, op, nop, b) \
	__igt_assert_cmp(long long, "error: %lld %s %lld\n", a, op, nop, b)
#define igt_assert_cmpu64(a, op, nop, b) \
	__igt_assert_cmp(unsigned long long, "error: %#llx %s %#llx\n", \
			 a, op, nop, b)
#define igt_assert_cmpdouble(a, op, nop, b) \
	__igt_assert_cmp(double, "error: %#lf %s %#lf\n", a, op, nop, b)

#define igt_assert_eq(a, b)		igt_assert_cmpint(a, ==, !=, b)
#define igt_assert_eq_u32(a, b)		igt_assert_cmpuint(a, ==, !=, b)
#define igt_assert_eq_s64(a, b)		igt_assert_cmps64(a, ==, !=, b)
#define igt_assert_eq_u64(a, b)		igt_assert_cmpu64(a, ==, !=, b)
#define igt_assert_eq_double(a, b)	igt_assert_cmpdouble(a, ==, !=, b)
#define igt_assert_neq(a, b)		igt_assert_cmpint(a, !=, ==, b)
#define igt_assert_neq_u32(a, b)	igt_assert_cmpuint(a, !=, ==, b)
#define igt_assert_neq_u64(a, b)	igt_assert_cmpu64(a, !=, ==, b)
#define igt_assert_neq_double(a, b)	igt_assert_cmpdouble(a, !=, ==, b)
#define igt_assert_lte(a, b)		igt_assert_cmpint(a, <=, >, b)
#define igt_assert_lte_u32(a, b)	igt_assert_cmpuint(a, <=, >, b)
#define igt_assert_lte_u64(a, b)	igt_assert_cmpu64(a, <=, >, b)
#define igt_assert_lte_s64(a, b)	igt_assert_cmps64(a, <=, >, b)
#define igt_assert_lt(a, b)		igt_assert_cmpint(a, <, >=, b)
#define igt_assert_lt_u32(a, b)		igt_assert_cmpuint(a, <, >=, b)
#define igt_assert_lt_u64(a, b)		igt_assert_cmpu64(a, <, >=, b)
#define igt_assert_lt_s64(a, b)		igt_assert_cmps64(a, <, >=, b)
#define igt_assert_lt_double(a, b)	igt_assert_cmpdouble(a, <, >=, b)

#define igt_assert_fd(fd) \
	igt_assert_f((fd) >= 0, "file descriptor " #fd " failed\n")

/*
 * Skip the current (sub)test unless @expr holds; a passing check is
 * logged at debug level.
 */
#define igt_require(expr) \
	do { \
		if (!(expr)) \
			igt_skip_check(#expr, NULL); \
		else \
			igt_debug("Test requirement passed: %s\n", #expr); \
	} while (0)

#define igt_require_f(expr, fmt...) \
	do { \
		if (!(expr)) \
			igt_skip_check(#expr, fmt); \
		else \
			igt_debug("Test requirement passed: %s\n", #expr); \
	} while (0)

#define igt_skip_on(expr) \
	do { \
		if (expr) \
			igt_skip_check("!(" #expr ")", NULL); \
		else \
			igt_debug("Test requirement passed: !(%s)\n", \
				  #expr); \
	} while (0)

#define igt_skip_on_f(expr, fmt...) \
	do { \
		if (expr) \
			igt_skip_check("!(" #expr ")", fmt); \
		else \
			igt_debug("Test requirement passed: !(%s)\n", \
				  #expr); \
	} while (0)

#define igt_require_fd(fd) \
	igt_require_f((fd) >= 0, "file descriptor " #fd " failed\n")

#define igt_abort_on_f(expr, fmt...) \
	do { \
		if (expr) \
			__igt_abort(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				    __func__, #expr, fmt); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Forked test children.                                              */
/* ------------------------------------------------------------------ */

/*
 * Runs the body in @num_children child processes, @child being each
 * one's index. A child that falls off the body exits 0; a failed assert
 * in a child fails the subtest at igt_waitchildren(). Skipping is not
 * allowed in children: check requirements before forking.
 *
 * The parent calls __igt_fork() once per child, back to back, and never
 * enters the body; each child leaves __igt_fork_children() with its
 * index, runs the body once and exits. The flag telling the two apart
 * sits in a function so that files without igt_fork() carry no unused
 * static.
 */
bool __igt_fork(void);

static inline bool *__igt_fork_in_child(void)
{
	static bool in_child;

	return &in_child;
}

static inline int __igt_fork_children(int num_children)
{
	*__igt_fork_in_child() = false;
	for (int i = 0; i < num_children; i++) {
		if (__igt_fork()) {
			*__igt_fork_in_child() = true;
			return i;
		}
	}

	return -1;
}

#define igt_fork(child, num_children) \
	for (__maybe_unused int child = __igt_fork_children(num_children); \
	     *__igt_fork_in_child(); exit(0))

int __igt_waitchildren(void);
void igt_waitchildren(void);
void igt_waitchildren_timeout(int seconds, const char *reason);
void igt_kill_children(int signal);

/* Exit handlers also run when the test dies from a signal. */
typedef void (*igt_exit_handler_t)(int sig);
void igt_install_exit_handler(igt_exit_handler_t fn);

void igt_set_timeout(unsigned int seconds, const char *op);
void igt_reset_timeout(void);

/* ------------------------------------------------------------------ */
/* Logging.                                                           */
/* ------------------------------------------------------------------ */

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

extern enum igt_log_level igt_log_level;

__attribute__((format(printf, 3, 4)))
void igt_log(const char *domain, enum igt_log_level level,
	     const char *fmt, ...);
__attribute__((format(printf, 3, 0)))
void igt_vlog(const char *domain, enum igt_log_level level,
	      const char *fmt, va_list args);

#define igt_debug(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, fmt)
#define igt_info(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, fmt)
#define igt_warn(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, fmt)
#define igt_critical(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_CRITICAL, fmt)

/* ------------------------------------------------------------------ */
/* Opening DRM devices (drmtest).                                     */
/* ------------------------------------------------------------------ */

/*
 * Driver selection bits as of 1.27.1. There is no bit for vttm: open
 * it with DRIVER_ANY and check the name (lib/igt_vttm.c). DRIVER_ANY
 * leaves out vgem on purpose, so that a vgem instance never shadows
 * the device under test.
 */
#define DRIVER_INTEL	(1 << 0)
#define DRIVER_VC4	(1 << 1)
#define DRIVER_VGEM	(1 << 2)
#define DRIVER_AMDGPU	(1 << 3)
#define DRIVER_V3D	(1 << 4)
#define DRIVER_PANFROST	(1 << 5)
#define DRIVER_MSM	(1 << 6)
#define DRIVER_ANY	~(DRIVER_VGEM)

/*
 * The open helpers scan /dev/dri/card0..15 (renderD128..143 for the
 * render variants). With a forced driver name (IGT_FORCE_DRIVER or
 * __set_forced_driver()), DRIVER_ANY only matches a device whose
 * DRM_IOCTL_VERSION name equals it. The drm_open_* forms skip the
 * (sub)test when nothing matches; the __ forms return -1 instead.
 */
void __set_forced_driver(const char *name);

int __drm_open_driver(int chipset);
int __drm_open_driver_another(int idx, int chipset);
int __drm_open_driver_render(int chipset);
int drm_open_driver(int chipset);
int drm_open_driver_master(int chipset);
int drm_open_driver_render(int chipset);
void drm_load_module(unsigned int chipset);

bool is_amdgpu_device(int fd);
bool is_i915_device(int fd);
bool is_msm_device(int fd);
bool is_nouveau_device(int fd);
bool is_vc4_device(int fd);

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

#define do_or_die(x) igt_assert((x) == 0)

/*
 * ioctl through igt_ioctl (restarting on EINTR/EAGAIN like drmIoctl()),
 * asserting success, or failure with exactly @err in errno. Both clear
 * errno afterwards.
 */
#define do_ioctl(fd, ioc, ioc_data) \
	do { \
		igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), 0); \
		errno = 0; \
	} while (0)

#define do_ioctl_err(fd, ioc, ioc_data, err) \
	do { \
		igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), -1); \
		igt_assert_eq(errno, err); \
		errno = 0; \
	} while (0)

/* ------------------------------------------------------------------ */
/* Generic GEM and PRIME wrappers (ioctl_wrappers).                   */
/* ------------------------------------------------------------------ */

/*
 * A function pointer (a plain global in 1.27.1, not thread-local) that
 * defaults to drmIoctl(); IGT swaps it to inject signals.
 */
extern int (*igt_ioctl)(int fd, unsigned long request, void *arg);

/* DRM_IOCTL_GEM_CLOSE; asserts success and that @handle is not 0. */
void gem_close(int fd, uint32_t handle);

/*
 * PRIME; all but prime_handle_to_fd_for_mmap(), which returns -1 instead,
 * assert that the ioctl succeeds.
 */
int prime_handle_to_fd(int fd, uint32_t handle);
int prime_handle_to_fd_for_mmap(int fd, uint32_t handle);
uint32_t prime_fd_to_handle(int fd, int dma_buf_fd);
off_t prime_get_size(int dma_buf_fd);
void prime_sync_start(int dma_buf_fd, bool write);
void prime_sync_end(int dma_buf_fd, bool write);

/* Pointer <-> __u64 for ioctl structs, without width warnings. */
static inline uint64_t to_user_pointer(const void *ptr)
{
	return (uintptr_t)ptr;
}

static inline void *from_user_pointer(uint64_t u64)
{
	return (void *)(uintptr_t)u64;
}

static inline uint32_t lower_32_bits(uint64_t x)
{
	return x & 0xffffffff;
}

static inline uint32_t upper_32_bits(uint64_t x)
{
	return x >> 32;
}

#endif /* VTTM_IGT_H */
