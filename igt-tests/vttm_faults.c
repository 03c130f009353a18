// SPDX-License-Identifier: MIT
/*
 * Allocation-failure injection into every vttm ioctl and into the generic
 * DRM paths a vttm user takes (GEM close, PRIME, mmap, the first write
 * fault, dumb buffers).
 *
 * /proc/thread-self/fail-nth makes the Nth fault-injection check of this
 * thread fail: a slab allocation (failslab), a page allocation
 * (fail_page_alloc) or a copy from or to user memory (fail_usercopy). For
 * each call, N runs 1, 2, 3, ... until the call ends before its Nth check,
 * so every check the call makes when nothing fails is made to fail once
 * (what a fallback does after a failure is not failed in turn). A call
 * that reached its Nth check must fail with a clean errno or succeed (an
 * allocation with a fallback), and leave its BO either fully usable (what
 * its mapping holds reaches the device at a sync) or fully gone (no
 * handle, no descriptor, and no TTM BO left: debugfs ttm/buffer_objects
 * counts those alive, which catches a reference leaked where kmemleak
 * cannot, as TTM's lists still point to the BO).
 *
 * Only the call under test runs armed, in this thread: the checks around
 * it and the rest of the system never see a failure (the probability of
 * every attribute stays 0). That filter is narrower than the stack-trace
 * filter of the attributes, which fail-nth bypasses anyway.
 *
 * The DRM core copies an ioctl's arguments back after the driver is done,
 * so an EFAULT there reports a failure for a call that took effect: a
 * handle or a dma-buf descriptor user space was not told about, a sync or
 * a destroy that happened. Those are counted apart, as "EFAULT after
 * taking effect", and checked to leave a usable BO (or none).
 *
 * VTTM_FAULTS_VERBOSE=N sets the attributes' verbose to N (2: a stack
 * dump per injected failure) and marks each armed call in the kernel log
 * (set /proc/sys/kernel/printk_devkmsg to "on", or marks after the tenth
 * are dropped).
 */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Fault injection: every vttm ioctl, PRIME, mmap and the first " \
	"write fault fail cleanly, or succeed, at each of their allocation " \
	"and user-copy points, and leave their BO usable or gone."
IGT_TEST_DESCRIPTION(DESCRIPTION);

/*
 * Not a power of two: TTM's pool allocates the pages as an order-2 block,
 * which falls back to smaller ones when it fails, and one order-0 page,
 * which does not, so populating can fail.
 */
#define BO_PAGES	5
/* No call here has nearly as many points: reaching this is a failure. */
#define MAX_POINTS	2000

#define DEBUGFS		"/sys/kernel/debug"
#define BO_COUNT	DEBUGFS "/ttm/buffer_objects"
#define FAIL_NTH	"/proc/thread-self/fail-nth"

static uint64_t page_size;
static uint64_t bo_size;

/* ------------------------------------------------------------------ */
/* Fault-injection settings                                           */
/* ------------------------------------------------------------------ */

/*
 * What fail-nth needs to reach our allocations, and quiet. The defaults
 * skip every allocation that may sleep (ignore-gfp-wait), which is nearly
 * all of ours, and fail_page_alloc also skips order-0 (min-order) and
 * __GFP_HIGHMEM ones, which is how TTM allocates the pages of a BO.
 * verbose 0 drops the "FAULT_INJECTION: forcing a failure" line and its
 * stack dump. times counts down at each injected failure, so it is put
 * back too. probability stays 0: nothing fails but through fail-nth.
 */
static struct fault_knob {
	const char *path;
	const char *value;
	char saved[32];
	bool changed;
} knobs[] = {
	{ .path = "failslab/ignore-gfp-wait", .value = "N" },
	{ .path = "failslab/verbose", .value = "0" },
	{ .path = "failslab/times", .value = NULL },
	{ .path = "fail_page_alloc/ignore-gfp-wait", .value = "N" },
	{ .path = "fail_page_alloc/ignore-gfp-highmem", .value = "N" },
	{ .path = "fail_page_alloc/min-order", .value = "0" },
	{ .path = "fail_page_alloc/verbose", .value = "0" },
	{ .path = "fail_page_alloc/times", .value = NULL },
	{ .path = "fail_usercopy/verbose", .value = "0" },
	{ .path = "fail_usercopy/times", .value = NULL },
};

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = strlen(value), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, value, len);
	close(fd);

	return ret == len ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t ret;

	if (fd < 0)
		return -errno;
	ret = read(fd, buf, size - 1);
	close(fd);
	if (ret < 0)
		return -EIO;
	buf[ret] = '\0';
	buf[strcspn(buf, "\n")] = '\0';

	return 0;
}

static void knobs_restore(void)
{
	char path[128];

	for (unsigned int i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (!knobs[i].changed)
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s", knobs[i].path);
		if (!write_file(path, knobs[i].saved))
			knobs[i].changed = false;
	}
}

static void knobs_restore_on_exit(int sig __maybe_unused)
{
	knobs_restore();
}

static void knobs_set(const char *verbose)
{
	char path[128];

	for (unsigned int i = 0; i < ARRAY_SIZE(knobs); i++) {
		struct fault_knob *k = &knobs[i];
		const char *value = k->value;

		snprintf(path, sizeof(path), DEBUGFS "/%s", k->path);
		igt_assert_f(!read_file(path, k->saved, sizeof(k->saved)),
			     "cannot read %s\n", path);
		k->changed = true;
		if (value && strstr(k->path, "/verbose") && verbose)
			value = verbose;
		/* No value: saved only, to be put back. */
		if (value)
			igt_assert_f(!write_file(path, value),
				     "cannot write %s\n", path);
	}
}

/* ------------------------------------------------------------------ */
/* Arming fail-nth                                                    */
/* ------------------------------------------------------------------ */

static int nth_fd = -1;

/*
 * How a call runs: without injection, with point @n armed, or counted:
 * armed far beyond any call, to learn how many checks it makes.
 */
#define RUN_PLAIN	0u
#define RUN_COUNTED	UINT32_MAX
#define COUNT_BASE	1000000u

/* The @n-th fault-injection check of this thread from now on fails. */
static void fault_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	igt_assert_eq(pwrite(nth_fd, buf, len, 0), len);
}

/*
 * Disarm, and tell whether the call made the armed check fail. Reading
 * and writing fail-nth copy to and from user memory, which are checks
 * too: a count the call left at 1 is used up by the read, which then
 * fails with EFAULT (the call did not reach its point), and one left at 2
 * by the write that clears it, the same way.
 */
static bool fault_disarm(void)
{
	char buf[16] = "";
	ssize_t len;
	bool hit;

	len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (len < 0) {
		igt_assert_eq(errno, EFAULT);
		hit = false;
	} else {
		buf[len] = '\0';
		hit = strtoul(buf, NULL, 10) == 0;
	}
	if (pwrite(nth_fd, "0", 1, 0) < 0)
		igt_assert_eq(errno, EFAULT);

	len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	igt_assert_lt(0, len);
	buf[len] = '\0';
	igt_assert_eq(atoi(buf), 0);

	return hit;
}

/*
 * Disarm a count armed far beyond what a call reaches, and return how
 * many checks were made since it was armed.
 */
static unsigned int fault_count(void)
{
	char buf[16] = "";
	ssize_t len;

	len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	igt_assert_lt(0, len);
	buf[len] = '\0';
	igt_assert(pwrite(nth_fd, "0", 1, 0) == 1);

	return COUNT_BASE - strtoul(buf, NULL, 10);
}

static int kmsg_fd = -1;

/* Marks in the kernel log which call an injected failure belongs to. */
static void kmsg_mark(const char *name, unsigned int n)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "vttm_faults: %s point %u\n",
			   name, n);

	igt_assert_eq(write(kmsg_fd, line, len), len);
}

/* ------------------------------------------------------------------ */
/* Buffer objects and what "usable" means                             */
/* ------------------------------------------------------------------ */

static int reopen(int fd)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_fd(ret);

	return ret;
}

static int bo_count(void)
{
	char buf[32];

	igt_assert(!read_file(BO_COUNT, buf, sizeof(buf)));

	return atoi(buf);
}

/*
 * A BO is released when its last reference goes, in the call that drops
 * it unless it is busy; give a delayed release a moment.
 */
static void assert_bo_count(int want, const char *name, unsigned int n)
{
	int got = bo_count();

	for (int i = 0; got != want && i < 200; i++) {
		usleep(10 * 1000);
		got = bo_count();
	}
	igt_assert_f(got == want,
		     "%s, injection point %u: %d TTM BOs alive, want %d\n",
		     name, n, got, want);
}

/* Lowest free descriptor: where the next one a call makes will go. */
static int next_fd(void)
{
	int fd = dup(0);

	igt_assert_fd(fd);
	close(fd);

	return fd;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A BO as a test sees it: its handle, a mapping, what it should hold. */
struct tbo {
	int fd;
	uint32_t handle;
	uint32_t *map;
	uint32_t *shadow;
};

static void tbo_init(struct tbo *bo, int fd, uint32_t handle)
{
	bo->fd = fd;
	bo->handle = handle;
	bo->map = NULL;
	bo->shadow = calloc(1, bo_size);
	igt_assert(bo->shadow);
}

static void tbo_create(struct tbo *bo, int fd, uint32_t method)
{
	tbo_init(bo, fd, vttm_gem_create_method(fd, bo_size, method));
}

static void tbo_map(struct tbo *bo)
{
	if (!bo->map)
		bo->map = vttm_gem_mmap(bo->fd, bo->handle, bo_size,
					PROT_READ | PROT_WRITE);
}

/* Write @seed's pattern to @count pages from @first, through the mapping. */
static void tbo_write(struct tbo *bo, unsigned int first, unsigned int count,
		      uint32_t seed)
{
	uint64_t words = page_size / 4;

	tbo_map(bo);
	for (uint64_t w = first * words; w < (first + count) * words; w++) {
		bo->map[w] = vttm_pattern_word(seed, w);
		bo->shadow[w] = bo->map[w];
	}
}

static bool device_is(struct tbo *bo)
{
	void *got = malloc(bo_size);
	bool same;

	igt_assert(got);
	vttm_device_read(bo->fd, bo->handle, 0, got, bo_size);
	same = !memcmp(got, bo->shadow, bo_size);
	free(got);

	return same;
}

static void tbo_assert_device(struct tbo *bo)
{
	vttm_assert_device_eq(bo->fd, bo->handle, bo->shadow, bo_size);
}

/*
 * Fully usable: the mapping holds what was written, and a new pattern
 * written through it is on the device after one sync.
 */
static void tbo_assert_usable(struct tbo *bo, uint32_t seed)
{
	tbo_map(bo);
	vttm_assert_bytes_eq(bo->map, bo->shadow, bo_size, "mapping");
	tbo_write(bo, 0, BO_PAGES, seed);
	vttm_gem_sync(bo->fd, bo->handle);
	tbo_assert_device(bo);
}

static void tbo_unmap(struct tbo *bo)
{
	if (bo->map)
		igt_assert(!munmap(bo->map, bo_size));
	bo->map = NULL;
}

static void tbo_close(struct tbo *bo)
{
	tbo_unmap(bo);
	if (bo->handle)
		gem_close(bo->fd, bo->handle);
	bo->handle = 0;
	free(bo->shadow);
	bo->shadow = NULL;
}

static bool handle_exists(int fd, uint32_t handle)
{
	struct drm_vttm_gem_info info = { .handle = handle };
	int err = __vttm_gem_info(fd, &info);

	igt_assert_f(!err || err == -ENOENT, "GEM_INFO: %s\n", strerror(-err));

	return !err;
}

/* ------------------------------------------------------------------ */
/* Cases: one call each, and what must hold after it                  */
/* ------------------------------------------------------------------ */

struct fcase;

struct fstate {
	const struct fcase *c;
	unsigned int n;		/* injection point armed, 0 for none */
	int fd;			/* a DRM file of the case's own */
	int fd2;		/* a second one, to import into */
	struct tbo bo;
	struct tbo bo2;		/* the BO imported into @fd2 */
	uint64_t offset;	/* fake offset of @bo, for mmap() */
	uint64_t value;		/* the device parameter read */
	int dmabuf;
	int want_fd;		/* descriptor a call that makes one gets */
	int maps;		/* lines of /proc/self/maps before the call */
	char path[64];		/* of the device node */
	void *ptr;		/* what mmap() returned */
	uint8_t *buf;		/* device-read target or sync bitmap */
	int held;		/* BOs the case keeps between calls */
	union {
		struct drm_vttm_gem_create create;
		struct drm_vttm_gem_mmap_offset mmap_offset;
		struct drm_vttm_gem_sync sync;
		struct drm_vttm_device_read read;
		struct drm_vttm_gem_info info;
		struct drm_vttm_gem_set_method set_method;
		struct drm_vttm_gem_move move;
		struct drm_vttm_get_param param;
		struct drm_gem_close close;
		struct drm_prime_handle prime;
		struct drm_mode_create_dumb create_dumb;
		struct drm_mode_map_dumb map_dumb;
		struct drm_mode_destroy_dumb destroy_dumb;
	} arg;
};

/* Errnos an injected failure may give, beyond ENOMEM. */
#define ERR_EFAULT	(1u << 0)	/* the call copies from or to user memory */

struct fcase {
	const char *name;
	uint32_t param;		/* method or placement, for the case */
	unsigned int errs;
	void (*init)(struct fstate *st);
	void (*prepare)(struct fstate *st);
	int (*call)(struct fstate *st);
	void (*verify)(struct fstate *st, int err);
	void (*fini)(struct fstate *st);
};

/* What a case did, for the summary. */
struct fresult {
	unsigned int points;
	unsigned int failed;	/* calls that failed, cleanly */
	unsigned int survived;	/* calls that succeeded all the same */
	unsigned int late;	/* EFAULT after the call took effect */
};

/* The result of the case running now. */
static struct fresult *cur_result;

static int do_ioctl_errno(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? errno : 0;
}

static uint32_t seed_of(struct fstate *st)
{
	return 0x5eed0000u ^ st->n;
}

/* Common init: one BO, mapped and on the device, kept across calls. */
static void init_one_bo(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, st->c->param);
	tbo_assert_usable(&st->bo, 1);
	st->held = 1;
}

static void fini_one_bo(struct fstate *st)
{
	tbo_close(&st->bo);
}

static void verify_usable(struct fstate *st, int err __maybe_unused)
{
	tbo_assert_usable(&st->bo, seed_of(st));
}

/* GEM_CREATE and CREATE_DUMB: a new BO at handle 1 of an empty file. */

/*
 * Success: the BO is handle 1, the lowest free one, and usable. Failure:
 * there is no handle 1, so the numbering is as before and the next
 * create gets it. But the DRM core copies the arguments back after the
 * driver is done: an EFAULT there leaves a handle user space was not
 * told about, usable until the file is closed. That is counted apart.
 */
static void verify_created(struct fstate *st, int err, uint32_t handle)
{
	if (!err) {
		igt_assert_eq_u32(handle, 1);
	} else if (handle_exists(st->fd, 1)) {
		igt_assert_f(err == EFAULT,
			     "%s failed with %s at injection point %u but made handle 1\n",
			     st->c->name, strerror(err), st->n);
		cur_result->late++;
	} else {
		return;
	}
	tbo_init(&st->bo, st->fd, 1);
	tbo_assert_usable(&st->bo, seed_of(st));
	tbo_close(&st->bo);
}

static void prepare_create(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.create.size = bo_size;
	st->arg.create.flags = VTTM_CREATE_METHOD(st->c->param);
}

static int call_create(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_CREATE,
			      &st->arg.create);
}

static void verify_create(struct fstate *st, int err)
{
	verify_created(st, err, st->arg.create.handle);
}

static void prepare_create_dumb(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.create_dumb.width = page_size / 4;
	st->arg.create_dumb.height = BO_PAGES;
	st->arg.create_dumb.bpp = 32;
}

static int call_create_dumb(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_MODE_CREATE_DUMB,
			      &st->arg.create_dumb);
}

/* A dumb BO of bo_size at @st->bo, mapped, on the device. */
static void create_dumb_bo(struct fstate *st)
{
	prepare_create_dumb(st);
	do_ioctl(st->fd, DRM_IOCTL_MODE_CREATE_DUMB, &st->arg.create_dumb);
	igt_assert_eq_u64(st->arg.create_dumb.size, bo_size);
	tbo_init(&st->bo, st->fd, st->arg.create_dumb.handle);
	tbo_assert_usable(&st->bo, 1);
}

static void verify_create_dumb(struct fstate *st, int err)
{
	if (!err)
		igt_assert_eq_u64(st->arg.create_dumb.size, bo_size);
	verify_created(st, err, st->arg.create_dumb.handle);
}

/* GEM_CLOSE and DESTROY_DUMB of a BO made for each call. */

static void prepare_close(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, VTTM_METHOD_AUTO);
	tbo_write(&st->bo, 0, BO_PAGES, seed_of(st));
	tbo_unmap(&st->bo);
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.close.handle = st->bo.handle;
}

static int call_close(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_GEM_CLOSE, &st->arg.close);
}

static void prepare_destroy_dumb(struct fstate *st)
{
	create_dumb_bo(st);
	tbo_write(&st->bo, 0, BO_PAGES, seed_of(st));
	tbo_unmap(&st->bo);
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.destroy_dumb.handle = st->bo.handle;
}

static int call_destroy_dumb(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_MODE_DESTROY_DUMB,
			      &st->arg.destroy_dumb);
}

/*
 * Success: the handle is gone. Failure: the BO is as it was, unless the
 * failure was the copy back of DESTROY_DUMB's arguments (_IOWR), after the
 * handle went: EFAULT for a call that took effect, as for create.
 */
static void verify_closed(struct fstate *st, int err)
{
	if (!handle_exists(st->fd, st->bo.handle)) {
		if (err) {
			igt_assert_f(err == EFAULT,
				     "%s failed with %s at injection point %u but closed the handle\n",
				     st->c->name, strerror(err), st->n);
			cur_result->late++;
		}
		st->bo.handle = 0;
	} else {
		igt_assert_f(err, "%s succeeded but the handle is still there\n",
			     st->c->name);
		tbo_assert_usable(&st->bo, seed_of(st));
	}
	tbo_close(&st->bo);
}

/* GEM_MMAP_OFFSET and MAP_DUMB report the offset TTM reserved. */

static void init_offset(struct fstate *st)
{
	init_one_bo(st);
	st->offset = vttm_gem_mmap_offset(st->fd, st->bo.handle);
}

static void prepare_mmap_offset(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.mmap_offset.handle = st->bo.handle;
}

static int call_mmap_offset(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_MMAP_OFFSET,
			      &st->arg.mmap_offset);
}

static void verify_mmap_offset(struct fstate *st, int err)
{
	if (!err)
		igt_assert_eq_u64(st->arg.mmap_offset.offset, st->offset);
	verify_usable(st, err);
}

static void init_map_dumb(struct fstate *st)
{
	create_dumb_bo(st);
	st->held = 1;
	st->offset = vttm_gem_mmap_offset(st->fd, st->bo.handle);
}

static void prepare_map_dumb(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.map_dumb.handle = st->bo.handle;
}

static int call_map_dumb(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_MODE_MAP_DUMB,
			      &st->arg.map_dumb);
}

static void verify_map_dumb(struct fstate *st, int err)
{
	if (!err)
		igt_assert_eq_u64(st->arg.map_dumb.offset, st->offset);
	verify_usable(st, err);
}

/*
 * GEM_SYNC of a BO written since its last sync: a sync that fails leaves
 * the pages dirty, so the next one still copies them. Fixed methods only:
 * AUTO, seeing the whole BO written before every sync (the checks do
 * that), may start reporting whole BOs, and the count would not be exact.
 */

static void prepare_sync(struct fstate *st)
{
	tbo_write(&st->bo, 0, 1, seed_of(st));
	tbo_write(&st->bo, 2, 1, seed_of(st));
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.sync.handle = st->bo.handle;
	if (st->buf) {
		memset(st->buf, 0xff, page_size);
		st->arg.sync.bitmap_ptr = to_user_pointer(st->buf);
		st->arg.sync.bitmap_size = vttm_bitmap_bytes(BO_PAGES);
	}
}

static int call_sync(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_SYNC, &st->arg.sync);
}

static void verify_sync(struct fstate *st, int err)
{
	if (!err) {
		/* Exactly the two pages written, and already on the device. */
		igt_assert_eq_u64(st->arg.sync.pages_copied, 2);
		if (st->buf)
			igt_assert_eq(st->buf[0], 0x05);
		tbo_assert_device(&st->bo);
	} else {
		/* The bitmap is copied out after the sync is done. */
		if (err == EFAULT && device_is(&st->bo))
			cur_result->late++;
		vttm_gem_sync(st->fd, st->bo.handle);
		tbo_assert_device(&st->bo);
	}
	verify_usable(st, err);
}

static void init_sync_bitmap(struct fstate *st)
{
	init_one_bo(st);
	/* A page, faulted in now: the call must not fault on it. */
	st->buf = malloc(page_size);
	igt_assert(st->buf);
	memset(st->buf, 0, page_size);
}

static void fini_buf(struct fstate *st)
{
	free(st->buf);
	st->buf = NULL;
	fini_one_bo(st);
}

/* GEM_SYNC of a BO never touched: the sync populates its pages. */

static void prepare_sync_unpopulated(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, VTTM_METHOD_NONE);
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.sync.handle = st->bo.handle;
}

static void verify_sync_unpopulated(struct fstate *st, int err)
{
	if (!err)
		igt_assert_eq_u64(st->arg.sync.pages_copied, BO_PAGES);
	else
		vttm_gem_sync(st->fd, st->bo.handle);
	tbo_assert_device(&st->bo);
	tbo_assert_usable(&st->bo, seed_of(st));
	tbo_close(&st->bo);
}

/* DEVICE_READ of a synced BO. */

static void init_device_read(struct fstate *st)
{
	init_one_bo(st);
	st->buf = malloc(bo_size);
	igt_assert(st->buf);
	memset(st->buf, 0, bo_size);
}

static void prepare_device_read(struct fstate *st)
{
	memset(st->buf, 0xa5, bo_size);
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.read.handle = st->bo.handle;
	st->arg.read.size = bo_size;
	st->arg.read.data_ptr = to_user_pointer(st->buf);
}

static int call_device_read(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_DEVICE_READ,
			      &st->arg.read);
}

static void verify_device_read(struct fstate *st, int err)
{
	if (!err)
		vttm_assert_bytes_eq(st->buf, st->bo.shadow, bo_size,
				     "device read");
	verify_usable(st, err);
}

/* GEM_INFO */

static void prepare_info(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.info.handle = st->bo.handle;
}

static int call_info(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_INFO, &st->arg.info);
}

static void verify_info(struct fstate *st, int err)
{
	if (!err) {
		igt_assert_eq_u64(st->arg.info.size, bo_size);
		igt_assert_eq_u32(st->arg.info.placement,
				  VTTM_PLACEMENT_SYSTEM);
		igt_assert_eq_u32(st->arg.info.method, VTTM_METHOD_AUTO);
	}
	verify_usable(st, err);
}

/* GET_PARAM */

static void prepare_get_param(struct fstate *st)
{
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.param.param = VTTM_PARAM_DEVICE_MEM_SIZE;
	st->value = vttm_get_param(st->fd, VTTM_PARAM_DEVICE_MEM_SIZE);
}

static int call_get_param(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GET_PARAM,
			      &st->arg.param);
}

static void verify_get_param(struct fstate *st, int err)
{
	if (!err)
		igt_assert_eq_u64(st->arg.param.value, st->value);
}

/*
 * GEM_SET_METHOD to the case's method, from the other one, on a BO that
 * is mapped, has writes not synced yet and a read-only PTE.
 */

static uint32_t other_method(uint32_t method)
{
	return method == VTTM_METHOD_MKWRITE ? VTTM_METHOD_PAGETABLE :
		VTTM_METHOD_MKWRITE;
}

static void init_set_method(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, other_method(st->c->param));
	tbo_assert_usable(&st->bo, 1);
	st->held = 1;
}

static void prepare_set_method(struct fstate *st)
{
	vttm_gem_set_method(st->fd, st->bo.handle, other_method(st->c->param));
	/* Zap the PTEs, so that page 0 comes back read-only. */
	tbo_unmap(&st->bo);
	tbo_write(&st->bo, 1, 1, seed_of(st));
	tbo_write(&st->bo, 3, 1, seed_of(st));
	igt_assert_eq_u32(st->bo.map[0], st->bo.shadow[0]);

	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.set_method.handle = st->bo.handle;
	st->arg.set_method.method = st->c->param;
}

static int call_set_method(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_SET_METHOD,
			      &st->arg.set_method);
}

static void verify_set_method(struct fstate *st, int err)
{
	uint32_t want = err ? other_method(st->c->param) : st->c->param;
	struct drm_vttm_gem_info info;

	vttm_gem_info(st->fd, st->bo.handle, &info);
	igt_assert_eq_u32(info.method, want);
	igt_assert_eq_u32(info.active_method, want);

	/* A write after the switch, and those before: none is lost. */
	tbo_write(&st->bo, 0, 1, seed_of(st) + 1);
	vttm_gem_sync(st->fd, st->bo.handle);
	tbo_assert_device(&st->bo);
	verify_usable(st, err);
}

/*
 * GEM_MOVE to the case's placement, from the other one, of a BO written
 * through its mapping and not synced: a move that fails leaves the BO
 * where it was, and either way no write is lost.
 */

static uint32_t other_placement(uint32_t placement)
{
	return placement == VTTM_PLACEMENT_DEVICE ? VTTM_PLACEMENT_SYSTEM :
		VTTM_PLACEMENT_DEVICE;
}

static void init_move(struct fstate *st)
{
	vttm_require_device_mem(st->fd, bo_size);
	init_one_bo(st);
}

static void prepare_move(struct fstate *st)
{
	vttm_gem_move(st->fd, st->bo.handle, other_placement(st->c->param));
	tbo_write(&st->bo, 0, 1, seed_of(st));
	tbo_write(&st->bo, 2, 1, seed_of(st));
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.move.handle = st->bo.handle;
	st->arg.move.placement = st->c->param;
}

static int call_move(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_VTTM_GEM_MOVE, &st->arg.move);
}

static void verify_move(struct fstate *st, int err)
{
	uint32_t want = err ? other_placement(st->c->param) : st->c->param;

	igt_assert_eq_u32(vttm_gem_placement(st->fd, st->bo.handle), want);
	vttm_assert_bytes_eq(st->bo.map, st->bo.shadow, bo_size, "mapping");
	vttm_gem_sync(st->fd, st->bo.handle);
	tbo_assert_device(&st->bo);
	verify_usable(st, err);
}

/*
 * PRIME export of a BO made for each call (an exported BO keeps its
 * dma-buf until its handle goes, and a second export takes no new one).
 * Success: the dma-buf is the lowest free descriptor and maps the BO.
 * Failure: no descriptor was made, but as for create, an EFAULT from the
 * copy back leaves the dma-buf installed unknown to user space.
 */

static void prepare_export(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, VTTM_METHOD_AUTO);
	tbo_write(&st->bo, 0, BO_PAGES, seed_of(st));
	st->want_fd = next_fd();
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.prime.handle = st->bo.handle;
	st->arg.prime.flags = DRM_CLOEXEC | DRM_RDWR;
	st->arg.prime.fd = -1;
}

static int call_export(struct fstate *st)
{
	return do_ioctl_errno(st->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
			      &st->arg.prime);
}

/* Writes through a mapping of @dmabuf reach the device of @bo. */
static void assert_dmabuf_maps(struct fstate *st, int dmabuf)
{
	uint32_t *map = mmap(NULL, bo_size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, dmabuf, 0);
	uint64_t words = bo_size / 4;

	igt_assert(map != MAP_FAILED);
	vttm_assert_bytes_eq(map, st->bo.shadow, bo_size, "dma-buf mapping");
	for (uint64_t w = 0; w < words; w++) {
		map[w] = vttm_pattern_word(seed_of(st) + 2, w);
		st->bo.shadow[w] = map[w];
	}
	igt_assert(!munmap(map, bo_size));
	vttm_gem_sync(st->fd, st->bo.handle);
	tbo_assert_device(&st->bo);
}

static void verify_export(struct fstate *st, int err)
{
	if (!err) {
		igt_assert_eq(st->arg.prime.fd, st->want_fd);
		assert_dmabuf_maps(st, st->arg.prime.fd);
		close(st->arg.prime.fd);
	} else if (fd_is_open(st->want_fd)) {
		igt_assert_f(err == EFAULT,
			     "export failed with %s at injection point %u but made fd %d\n",
			     strerror(err), st->n, st->want_fd);
		cur_result->late++;
		assert_dmabuf_maps(st, st->want_fd);
		close(st->want_fd);
	}
	tbo_assert_usable(&st->bo, seed_of(st));
	tbo_close(&st->bo);
}

/*
 * PRIME import, into a second DRM file, of a BO exported for each call:
 * the import of a vttm dma-buf gives back the same GEM object, under a
 * new handle.
 */

static void init_import(struct fstate *st)
{
	st->fd2 = reopen(st->fd);
}

static void fini_import(struct fstate *st)
{
	close(st->fd2);
	st->fd2 = -1;
}

static void prepare_import(struct fstate *st)
{
	tbo_create(&st->bo, st->fd, VTTM_METHOD_AUTO);
	tbo_write(&st->bo, 0, BO_PAGES, seed_of(st));
	st->dmabuf = prime_handle_to_fd(st->fd, st->bo.handle);
	memset(&st->arg, 0, sizeof(st->arg));
	st->arg.prime.fd = st->dmabuf;
}

static int call_import(struct fstate *st)
{
	return do_ioctl_errno(st->fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE,
			      &st->arg.prime);
}

static void verify_import(struct fstate *st, int err)
{
	struct tbo *imp = &st->bo2;

	if (!err) {
		igt_assert_eq_u32(st->arg.prime.handle, 1);
	} else if (handle_exists(st->fd2, 1)) {
		igt_assert_f(err == EFAULT,
			     "import failed with %s at injection point %u but made handle 1\n",
			     strerror(err), st->n);
		cur_result->late++;
	} else {
		imp = NULL;
	}

	if (imp) {
		/* Written and synced through the import, read by the exporter. */
		tbo_init(imp, st->fd2, 1);
		memcpy(imp->shadow, st->bo.shadow, bo_size);
		tbo_assert_usable(imp, seed_of(st) + 3);
		memcpy(st->bo.shadow, imp->shadow, bo_size);
		tbo_assert_device(&st->bo);
		tbo_close(imp);
	}
	close(st->dmabuf);
	tbo_assert_usable(&st->bo, seed_of(st));
	tbo_close(&st->bo);
}

/*
 * open() of the device node: the DRM core allocates the file's state.
 * Success: a descriptor, the lowest free, on which a BO works. Failure:
 * no descriptor.
 */

static void init_open(struct fstate *st)
{
	char link[64];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", st->fd);
	len = readlink(link, st->path, sizeof(st->path) - 1);
	igt_assert_lt(0, len);
	st->path[len] = '\0';
}

static void prepare_open(struct fstate *st)
{
	st->want_fd = next_fd();
}

static int call_open(struct fstate *st)
{
	st->fd2 = open(st->path, O_RDWR | O_CLOEXEC);

	return st->fd2 < 0 ? errno : 0;
}

static void verify_open(struct fstate *st, int err)
{
	if (err) {
		igt_assert(!fd_is_open(st->want_fd));
		return;
	}
	igt_assert_eq(st->fd2, st->want_fd);
	tbo_create(&st->bo2, st->fd2, VTTM_METHOD_AUTO);
	tbo_assert_usable(&st->bo2, seed_of(st));
	tbo_close(&st->bo2);
	close(st->fd2);
	st->fd2 = -1;
}

/*
 * mmap() of the DRM file and of an exported dma-buf. A failed mmap()
 * leaves the BO as it was, and no mapping behind.
 */

static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int lines = 0, c;

	igt_assert(f);
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);

	return lines;
}

static void init_mmap_dmabuf(struct fstate *st)
{
	init_one_bo(st);
	st->dmabuf = prime_handle_to_fd_for_mmap(st->fd, st->bo.handle);
	igt_assert_fd(st->dmabuf);
}

static void fini_mmap_dmabuf(struct fstate *st)
{
	close(st->dmabuf);
	fini_one_bo(st);
}

static void prepare_mmap(struct fstate *st)
{
	st->maps = count_mappings();
	st->ptr = MAP_FAILED;
}

static int call_mmap(struct fstate *st)
{
	st->ptr = mmap(NULL, bo_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       st->fd, st->offset);

	return st->ptr == MAP_FAILED ? errno : 0;
}

static int call_mmap_dmabuf(struct fstate *st)
{
	st->ptr = mmap(NULL, bo_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       st->dmabuf, 0);

	return st->ptr == MAP_FAILED ? errno : 0;
}

static void verify_mmap(struct fstate *st, int err)
{
	if (!err) {
		/* The new mapping, in place of the BO's usual one. */
		uint32_t *map = st->bo.map;

		st->bo.map = st->ptr;
		tbo_assert_usable(&st->bo, seed_of(st));
		tbo_unmap(&st->bo);
		st->bo.map = map;
	} else {
		igt_assert_eq(count_mappings(), st->maps);
	}
	verify_usable(st, err);
}

/*
 * The first write to a new mapping of a new BO, by a plain store: the
 * fault allocates the page tables (the mapping is placed where there are
 * none yet), populates the BO and maps the page. A fault that fails an
 * allocation returns VM_FAULT_OOM, which for a user-mode fault makes the
 * kernel retry the store (pagefault_out_of_memory(), with a "Huh
 * VM_FAULT_OOM leaked out" warning); SIGBUS or SIGSEGV would be a
 * failure. So the store, the call, always succeeds.
 */

static sigjmp_buf store_jmp;
static int store_sig;
static struct sigaction old_sigbus, old_sigsegv;

static void store_handler(int sig)
{
	__atomic_store_n(&store_sig, sig, __ATOMIC_RELAXED);
	siglongjmp(store_jmp, 1);
}

#define SZ_1G	(1ul << 30)

/*
 * Map @st->bo in a 1 GiB-aligned range nothing else maps, so that no page
 * table below the PUD exists there yet.
 */
static void map_in_fresh_tables(struct fstate *st)
{
	struct drm_vttm_gem_mmap_offset arg = { .handle = st->bo.handle };
	uintptr_t addr;
	void *ptr;

	ptr = mmap(NULL, 2 * SZ_1G, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	igt_assert(ptr != MAP_FAILED);
	addr = ((uintptr_t)ptr + SZ_1G - 1) & ~(SZ_1G - 1);
	igt_assert(!munmap(ptr, 2 * SZ_1G));

	igt_assert_eq(__vttm_gem_mmap_offset(st->fd, &arg), 0);
	ptr = mmap((void *)addr, bo_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED_NOREPLACE, st->fd, arg.offset);
	igt_assert(ptr == (void *)addr);
	st->bo.map = ptr;
}

static void prepare_store(struct fstate *st)
{
	/*
	 * Not blocked in the handler, so that siglongjmp() needs not restore
	 * the mask: the call makes no system call but the fault.
	 */
	struct sigaction sa = {
		.sa_handler = store_handler,
		.sa_flags = SA_NODEFER,
	};

	tbo_create(&st->bo, st->fd, st->c->param);
	map_in_fresh_tables(st);

	__atomic_store_n(&store_sig, 0, __ATOMIC_RELAXED);
	sigemptyset(&sa.sa_mask);
	igt_assert(!sigaction(SIGBUS, &sa, &old_sigbus));
	igt_assert(!sigaction(SIGSEGV, &sa, &old_sigsegv));
}

/* As prepare_store(), then read page 0: the write then finds it mapped. */
static void prepare_store_after_read(struct fstate *st)
{
	prepare_store(st);
	igt_assert_eq_u32(st->bo.map[0], 0);
}

static int call_store(struct fstate *st)
{
	if (!sigsetjmp(store_jmp, 0))
		st->bo.map[0] = seed_of(st) | 1;

	return 0;
}

static void verify_store(struct fstate *st, int err __maybe_unused)
{
	int sig = __atomic_load_n(&store_sig, __ATOMIC_RELAXED);

	igt_assert(!sigaction(SIGBUS, &old_sigbus, NULL));
	igt_assert(!sigaction(SIGSEGV, &old_sigsegv, NULL));
	igt_assert_f(!sig, "%s: the store got signal %d at injection point %u\n",
		     st->c->name, sig, st->n);

	igt_assert_eq_u32(st->bo.map[0], seed_of(st) | 1);
	st->bo.shadow[0] = st->bo.map[0];
	vttm_gem_sync(st->fd, st->bo.handle);
	tbo_assert_device(&st->bo);
	tbo_assert_usable(&st->bo, seed_of(st));
	tbo_close(&st->bo);
}

#define ERRS_IOCTL	ERR_EFAULT

static const struct fcase ioctl_cases[] = {
	{ "gem-create", VTTM_METHOD_AUTO, ERRS_IOCTL,
	  NULL, prepare_create, call_create, verify_create, NULL },
	{ "gem-create-untracked", VTTM_METHOD_NONE, ERRS_IOCTL,
	  NULL, prepare_create, call_create, verify_create, NULL },
	{ "gem-mmap-offset", VTTM_METHOD_AUTO, ERRS_IOCTL,
	  init_offset, prepare_mmap_offset, call_mmap_offset,
	  verify_mmap_offset, fini_one_bo },
	{ "gem-sync-mkwrite", VTTM_METHOD_MKWRITE, ERRS_IOCTL,
	  init_one_bo, prepare_sync, call_sync, verify_sync, fini_one_bo },
	{ "gem-sync-pagetable", VTTM_METHOD_PAGETABLE, ERRS_IOCTL,
	  init_one_bo, prepare_sync, call_sync, verify_sync, fini_one_bo },
	{ "gem-sync-with-bitmap", VTTM_METHOD_PAGETABLE, ERRS_IOCTL,
	  init_sync_bitmap, prepare_sync, call_sync, verify_sync,
	  fini_buf },
	{ "gem-sync-unpopulated", VTTM_METHOD_NONE, ERRS_IOCTL,
	  NULL, prepare_sync_unpopulated, call_sync, verify_sync_unpopulated,
	  NULL },
	{ "device-read", VTTM_METHOD_AUTO, ERRS_IOCTL,
	  init_device_read, prepare_device_read, call_device_read,
	  verify_device_read, fini_buf },
	{ "gem-info", VTTM_METHOD_AUTO, ERRS_IOCTL,
	  init_one_bo, prepare_info, call_info, verify_info, fini_one_bo },
	{ "gem-set-method-to-pagetable", VTTM_METHOD_PAGETABLE, ERRS_IOCTL,
	  init_set_method, prepare_set_method, call_set_method,
	  verify_set_method, fini_one_bo },
	{ "gem-set-method-to-mkwrite", VTTM_METHOD_MKWRITE, ERRS_IOCTL,
	  init_set_method, prepare_set_method, call_set_method,
	  verify_set_method, fini_one_bo },
	{ "gem-move-to-device", VTTM_PLACEMENT_DEVICE, ERRS_IOCTL,
	  init_move, prepare_move, call_move, verify_move, fini_one_bo },
	{ "gem-move-to-system", VTTM_PLACEMENT_SYSTEM, ERRS_IOCTL,
	  init_move, prepare_move, call_move, verify_move, fini_one_bo },
	{ "get-param", 0, ERRS_IOCTL,
	  NULL, prepare_get_param, call_get_param, verify_get_param, NULL },
};

static const struct fcase generic_cases[] = {
	{ "gem-close", 0, ERRS_IOCTL,
	  NULL, prepare_close, call_close, verify_closed, NULL },
	{ "prime-export", 0, ERRS_IOCTL,
	  NULL, prepare_export, call_export, verify_export, NULL },
	{ "prime-import", 0, ERRS_IOCTL,
	  init_import, prepare_import, call_import, verify_import,
	  fini_import },
	{ "open", 0, ERR_EFAULT,	/* the path is copied in */
	  init_open, prepare_open, call_open, verify_open, NULL },
	{ "mmap", VTTM_METHOD_AUTO, 0,
	  init_offset, prepare_mmap, call_mmap, verify_mmap, fini_one_bo },
	{ "mmap-dma-buf", VTTM_METHOD_AUTO, 0,
	  init_mmap_dmabuf, prepare_mmap, call_mmap_dmabuf, verify_mmap,
	  fini_mmap_dmabuf },
	{ "dumb-create", 0, ERRS_IOCTL,
	  NULL, prepare_create_dumb, call_create_dumb, verify_create_dumb,
	  NULL },
	{ "dumb-map", 0, ERRS_IOCTL,
	  init_map_dumb, prepare_map_dumb, call_map_dumb, verify_map_dumb,
	  fini_one_bo },
	{ "dumb-destroy", 0, ERRS_IOCTL,
	  NULL, prepare_destroy_dumb, call_destroy_dumb, verify_closed, NULL },
};

static const struct fcase fault_cases[] = {
	{ "first-write-mkwrite", VTTM_METHOD_MKWRITE, 0,
	  NULL, prepare_store, call_store, verify_store, NULL },
	{ "first-write-pagetable", VTTM_METHOD_PAGETABLE, 0,
	  NULL, prepare_store, call_store, verify_store, NULL },
	{ "first-write-untracked", VTTM_METHOD_NONE, 0,
	  NULL, prepare_store, call_store, verify_store, NULL },
	{ "write-after-read-mkwrite", VTTM_METHOD_MKWRITE, 0,
	  NULL, prepare_store_after_read, call_store, verify_store, NULL },
};

/* ------------------------------------------------------------------ */
/* The injection loop                                                 */
/* ------------------------------------------------------------------ */

static bool clean_errno(const struct fcase *c, int err)
{
	if (err == ENOMEM)
		return true;
	return err == EFAULT && (c->errs & ERR_EFAULT);
}

/*
 * One call and the checks after it. Returns whether an armed call reached
 * its point, or how many checks a counted call made.
 */
static unsigned int run_once(struct fstate *st, struct fresult *res,
			     int base, unsigned int n)
{
	const struct fcase *c = st->c;
	unsigned int ret = 0;
	bool hit = false;
	int err;

	st->n = n == RUN_COUNTED ? 0 : n;
	c->prepare(st);
	if (kmsg_fd >= 0 && n != RUN_COUNTED)
		kmsg_mark(c->name, n);
	if (n != RUN_PLAIN)
		fault_arm(n == RUN_COUNTED ? COUNT_BASE : n);
	err = c->call(st);
	if (n == RUN_COUNTED)
		ret = fault_count();
	else if (n != RUN_PLAIN)
		hit = fault_disarm();
	if (n != RUN_COUNTED)
		ret = hit;

	igt_debug("%s: point %u: %s, %s\n", c->name, st->n,
		  hit ? "reached" : "not reached", err ? strerror(err) : "ok");
	if (!hit)
		igt_assert_f(!err, "%s fails with %s, nothing injected (point %u)\n",
			     c->name, strerror(err), st->n);
	else if (err)
		igt_assert_f(clean_errno(c, err),
			     "%s fails with %s (%d) at injection point %u\n",
			     c->name, strerror(err), err, n);

	if (hit && err)
		res->failed++;
	else if (hit)
		res->survived++;

	c->verify(st, err);
	assert_bo_count(base + st->held, c->name, st->n);

	return ret;
}

/*
 * Point n is the nth check of the call, as long as the call makes the same
 * checks each time. A failure the kernel absorbs can change that for the
 * next call: an IDR node allocation that fails takes a node from the
 * per-CPU preload, which the next handle creation then refills, one check
 * more, and every later point of that call shifts by one. So after each
 * armed call, the same call runs counted: that makes the refills, and
 * shows how many checks a call makes. Points run up to the most any
 * counted call made, whatever an armed call in between reached.
 */
static void run_case(int fd, const struct fcase *c, struct fresult *res)
{
	struct fstate st = { .c = c, .fd2 = -1, .dmabuf = -1 };
	int base = bo_count();
	unsigned int n, checks, most, least;
	cpu_set_t cpus, one;
	bool hit;

	/*
	 * Per-CPU caches (slab, IDR preloads) decide some checks: stay on
	 * one CPU, so that the state a call finds is the one the call
	 * before it left.
	 */
	igt_assert(!sched_getaffinity(0, sizeof(cpus), &cpus));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	igt_assert(!sched_setaffinity(0, sizeof(one), &one));

	memset(res, 0, sizeof(*res));
	cur_result = res;
	st.fd = reopen(fd);
	if (c->init)
		c->init(&st);

	/*
	 * Once without injection: checks the case, and faults in every page
	 * of code and data the armed call runs through, so that no fault on
	 * them uses up a point.
	 */
	run_once(&st, res, base, RUN_PLAIN);
	most = run_once(&st, res, base, RUN_COUNTED);
	least = most;
	for (n = 1;; n++) {
		igt_assert_f(n <= MAX_POINTS,
			     "%s: more than %u injection points\n",
			     c->name, MAX_POINTS);
		hit = run_once(&st, res, base, n);
		res->points += hit;
		checks = run_once(&st, res, base, RUN_COUNTED);
		if (checks > most)
			most = checks;
		if (checks < least)
			least = checks;
		/* Past every check any call made, and this one ended too. */
		if (!hit && n > most)
			break;
	}

	if (c->fini)
		c->fini(&st);
	close(st.fd);
	assert_bo_count(base, c->name, n);
	igt_assert(!sched_setaffinity(0, sizeof(cpus), &cpus));

	igt_info("%s: %u injection points (%u to %u checks a call), %u failed cleanly, %u succeeded, %u EFAULT after taking effect\n",
		 c->name, res->points, least, most, res->failed,
		 res->survived, res->late);
}

/* ------------------------------------------------------------------ */

#define NUM_CASES \
	(ARRAY_SIZE(ioctl_cases) + ARRAY_SIZE(generic_cases) + \
	 ARRAY_SIZE(fault_cases))

static struct fresult results[NUM_CASES];
static const struct fcase *result_case[NUM_CASES];
static unsigned int num_results;

static void run_cases(int fd, const struct fcase *cases, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		igt_dynamic(cases[i].name) {
			struct fresult *res = &results[num_results];

			run_case(fd, &cases[i], res);
			result_case[num_results++] = &cases[i];
		}
	}
}

static void print_summary(void)
{
	char line[2048];
	unsigned int total = 0;
	int len;

	if (!num_results)
		return;

	len = snprintf(line, sizeof(line), "faults:");
	for (unsigned int i = 0; i < num_results; i++) {
		total += results[i].points;
		len += snprintf(line + len, sizeof(line) - len, " %s %u%s,",
				result_case[i]->name, results[i].points,
				i ? "" : " points");
		igt_assert_lt(len, (int)sizeof(line));
	}
	igt_info("%s total %u\n", line, total);
}

igt_main
{
	int fd = -1;

	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		bo_size = BO_PAGES * page_size;
		fd = drm_open_vttm();

		nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
		igt_require_f(nth_fd >= 0,
			      "no %s: kernel without CONFIG_FAULT_INJECTION\n",
			      FAIL_NTH);
		igt_require_f(!access(DEBUGFS "/failslab", F_OK) &&
			      !access(DEBUGFS "/fail_page_alloc", F_OK) &&
			      !access(DEBUGFS "/fail_usercopy", F_OK),
			      "needs failslab, fail_page_alloc and fail_usercopy in debugfs\n");
		igt_require_f(!access(BO_COUNT, R_OK), "no %s\n", BO_COUNT);

		igt_install_exit_handler(knobs_restore_on_exit);
		knobs_set(getenv("VTTM_FAULTS_VERBOSE"));
		if (getenv("VTTM_FAULTS_VERBOSE"))
			kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

		/* Fault in the arming code before it first runs armed. */
		fault_arm(COUNT_BASE);
		igt_assert_eq(fault_count(), 0);
		fault_arm(COUNT_BASE);
		igt_assert(!fault_disarm());
	}

	igt_describe("Every vttm ioctl fails cleanly, or succeeds, at each injection point.");
	igt_subtest_with_dynamic("ioctls-fail-cleanly-at-every-injection-point")
		run_cases(fd, ioctl_cases, ARRAY_SIZE(ioctl_cases));

	igt_describe("open, GEM close, PRIME, mmap and dumb buffers fail cleanly at each point.");
	igt_subtest_with_dynamic("generic-paths-fail-cleanly-at-every-injection-point")
		run_cases(fd, generic_cases, ARRAY_SIZE(generic_cases));

	igt_describe("The first write to a mapping survives a failure at each point of its fault.");
	igt_subtest_with_dynamic("first-write-survives-every-injection-point")
		run_cases(fd, fault_cases, ARRAY_SIZE(fault_cases));

	igt_fixture {
		print_summary();
		knobs_restore();
		if (kmsg_fd >= 0)
			close(kmsg_fd);
		close(nth_fd);
		close(fd);
	}
}
