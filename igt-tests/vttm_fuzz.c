// SPDX-License-Identifier: MIT
/*
 * A bounded fuzzer of the ioctls a vttm client can reach.
 *
 * Every call gets random, but reproducible, arguments: ioctl numbers in
 * the driver's range with random direction and size bits, handles that
 * exist and ones that do not, sizes, offsets and flags at and around
 * every limit, and pointers that are NULL, unmapped, in the kernel's half,
 * non-canonical, at the top of user space, read-only, misaligned, into a
 * BO's own mapping, or good. Each call must return 0 or fail with an
 * errno from a fixed set; the process must survive; BOs made before the
 * fuzz must come out with their contents, and once everything the fuzz
 * made is closed, the client's BO memory is back to exactly those BOs.
 * The kernel log must not gain a report (WARNING, BUG, KASAN...), and
 * make check-debug looks for leaks with kmemleak afterwards.
 *
 * The seed is fixed and printed; --seed and --iterations change it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Bounded fuzzing of the vttm and DRM core ioctls and of mmap with " \
	"random arguments and pointers: only expected errnos, no lost " \
	"data, no kernel report, everything released."
IGT_TEST_DESCRIPTION(DESCRIPTION);

#define DEFAULT_SEED		0x76f7a2d3c1b40517ull
#define DEFAULT_ITERATIONS	20000

#define MIB			(1ull << 20)
#define CLIENT_MEM_MB		"/sys/module/vttm/parameters/client_mem_mb"
/* The fuzz runs under this cap, so no random size can use up the guest. */
#define FUZZ_CLIENT_MEM_MB	64

#define DRV_NR_COUNT		0x20	/* DRM_COMMAND_BASE .. + 0x1f */
#define DRV_KNOWN		8	/* vttm ioctls 0x00 .. 0x07 */
#define ARGBUF_SIZE		(16 * 1024)	/* _IOC_SIZE is 14 bits */
#define DATA_SIZE		(256 * 1024)
#define HOLE_SIZE		(64 * MIB)
#define SCRATCH_SIZE		(64 * 1024)
#define MAX_KNOWN		256
#define SWEEP_EVERY		256
#define NUM_KEEP		3
#define MAX_ERRNO		256

static uint64_t page_size;
static uint64_t opt_seed = DEFAULT_SEED;
static unsigned long opt_iterations = DEFAULT_ITERATIONS;

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, the same sequence for the same seed    */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0; the bias of the modulo does not matter. */
static uint64_t rnd(uint64_t n)
{
	return rnd64() % n;
}

/* True with a probability of @percent in 100. */
static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

/* ------------------------------------------------------------------ */
/* Statistics: calls, successes and errnos per ioctl                  */
/* ------------------------------------------------------------------ */

enum {
	ST_DRV,				/* + nr - DRM_COMMAND_BASE */
	ST_GEM_CLOSE = ST_DRV + DRV_NR_COUNT,
	ST_PRIME_TO_FD,
	ST_PRIME_TO_HANDLE,
	ST_CREATE_DUMB,
	ST_MAP_DUMB,
	ST_DESTROY_DUMB,
	ST_FLINK,
	ST_GEM_OPEN,
	ST_VERSION,
	ST_GET_CAP,
	ST_MMAP,
	ST_COUNT,
};

static const char *const drv_names[DRV_KNOWN] = {
	"VTTM_GEM_CREATE", "VTTM_GEM_MMAP_OFFSET", "VTTM_GEM_SYNC",
	"VTTM_DEVICE_READ", "VTTM_GEM_INFO", "VTTM_GEM_SET_METHOD",
	"VTTM_GEM_MOVE", "VTTM_GET_PARAM",
};

static const char *const core_names[] = {
	"GEM_CLOSE", "PRIME_HANDLE_TO_FD", "PRIME_FD_TO_HANDLE",
	"MODE_CREATE_DUMB", "MODE_MAP_DUMB", "MODE_DESTROY_DUMB",
	"GEM_FLINK", "GEM_OPEN", "VERSION", "GET_CAP", "mmap",
};

struct stat_line {
	unsigned long calls;
	unsigned long ok;
	unsigned long err[MAX_ERRNO];
};

static struct stat_line stats[ST_COUNT];

static void stat_name(unsigned int st, char *buf, size_t len)
{
	unsigned int nr = st - ST_DRV;

	if (st >= ST_GEM_CLOSE)
		snprintf(buf, len, "%s", core_names[st - ST_GEM_CLOSE]);
	else if (nr < DRV_KNOWN)
		snprintf(buf, len, "%s", drv_names[nr]);
	else
		snprintf(buf, len, "driver nr 0x%02x", DRM_COMMAND_BASE + nr);
}

static void print_stats(unsigned long iterations)
{
	unsigned long calls = 0;

	for (unsigned int st = 0; st < ST_COUNT; st++) {
		struct stat_line *s = &stats[st];
		char name[32], errs[256] = "";
		size_t used = 0;

		if (!s->calls)
			continue;
		calls += s->calls;
		for (int e = 1; e < MAX_ERRNO; e++) {
			if (!s->err[e] || used >= sizeof(errs))
				continue;
			used += snprintf(errs + used, sizeof(errs) - used,
					 " %s:%lu", strerrorname_np(e),
					 s->err[e]);
		}
		stat_name(st, name, sizeof(name));
		igt_info("  %-22s %6lu calls %6lu ok%s\n", name, s->calls,
			 s->ok, errs);
	}
	igt_info("%lu iterations, %lu calls\n", iterations, calls);
}

/* ------------------------------------------------------------------ */
/* The fuzzing state                                                  */
/* ------------------------------------------------------------------ */

/* A BO made before the fuzz, whose contents must come out unchanged. */
struct keep {
	uint32_t handle;
	uint64_t size;
	uint32_t method;
	void *map;
	void *want;
};

struct fuzz {
	int render;		/* the client under test */
	int card;		/* the primary node, for what only it has */
	int fds[2];		/* both, to pick from */

	struct keep keep[NUM_KEEP];
	uint64_t keep_bytes;

	/* A BO that device reads may target through its own mapping. */
	uint32_t scratch;
	uint8_t *scratch_map;
	int scratch_dmabuf;

	uint8_t *argbuf;	/* ARGBUF_SIZE, guard page after */
	uint8_t *data;		/* DATA_SIZE, guard pages around */
	uint8_t *ro;		/* one read-only page */
	uint8_t *hole;		/* HOLE_SIZE, never accessible */
	bool top_page_free;	/* nothing mapped at the top of user space */

	/* Handles the fuzz made, per fd index, and flink names. */
	uint32_t made[2][MAX_KNOWN];
	unsigned int nmade[2];
	uint32_t names[16];
	unsigned int nnames;

	unsigned int since_sweep;
	int kmsg;		/* /dev/kmsg, read from the fuzz's start */
	bool fd_known[1024];	/* fds open before the fuzz */
};

static bool is_kept(const struct fuzz *f, int fd, uint32_t handle)
{
	if (fd != f->render)
		return false;
	if (handle == f->scratch)
		return true;
	for (int i = 0; i < NUM_KEEP; i++)
		if (f->keep[i].handle == handle)
			return true;
	return false;
}

static void remember(struct fuzz *f, int fd, uint32_t handle)
{
	int i = fd == f->card;

	if (!handle || is_kept(f, fd, handle))
		return;
	if (f->nmade[i] < MAX_KNOWN)
		f->made[i][f->nmade[i]++] = handle;
	else
		f->made[i][rnd(MAX_KNOWN)] = handle;
}

/* ------------------------------------------------------------------ */
/* Random values                                                      */
/* ------------------------------------------------------------------ */

static uint64_t rnd_interesting(void)
{
	const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 255, 256,
		page_size - 1, page_size, page_size + 1, 2 * page_size,
		SCRATCH_SIZE, MIB, 2 * MIB,
		DRM_VTTM_MAX_BO_SIZE - 1, DRM_VTTM_MAX_BO_SIZE,
		DRM_VTTM_MAX_BO_SIZE + 1, DRM_VTTM_MAX_BO_SIZE + page_size,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		1ull << 63, ~0ull, ~0ull - 1, ~0ull - page_size + 2,
		~0ull - page_size + 1, ~0ull << 32,
	};

	return v[rnd(ARRAY_SIZE(v))];
}

static uint64_t rnd_value(void)
{
	switch (rnd(6)) {
	case 0:
		return rnd64();
	case 1:
		return (uint32_t)rnd64();
	case 2:
		return rnd(4096);
	default:
		return rnd_interesting();
	}
}

/* Sizes for a create: mostly small and valid, some at every limit. */
static uint64_t rnd_bo_size(void)
{
	switch (rnd(10)) {
	case 0:
	case 1:
		return rnd_interesting();
	case 2:
		return rnd64();
	case 3:
		return 1 + rnd(4 * MIB);
	default:
		return 1 + rnd(64 * 1024);
	}
}

static uint32_t rnd_flags(void)
{
	switch (rnd(6)) {
	case 0:
		return rnd64();
	case 1:
		return 1u << rnd(32);
	case 2:
		return rnd(VTTM_METHOD_AUTO_VMWGFX + 2);
	default:
		return 0;
	}
}

/* The handle of a BO: made by the fuzz, kept, or naming nothing. */
static uint32_t rnd_handle(const struct fuzz *f, int fd)
{
	int i = fd == f->card;

	switch (rnd(10)) {
	case 0:
		return 0;
	case 1:
		return rnd64();
	case 2:
		return ~0u;
	case 3:
		return 1 + rnd(64);
	case 4:
	case 5:
		if (fd == f->render)
			return f->keep[rnd(NUM_KEEP)].handle;
		break;
	case 6:
		if (fd == f->render)
			return f->scratch;
		break;
	default:
		break;
	}
	if (f->nmade[i])
		return f->made[i][rnd(f->nmade[i])];
	return 1 + rnd(8);
}

/* A handle the fuzz may close: never one of the kept BOs. */
static uint32_t rnd_closable(const struct fuzz *f, int fd)
{
	uint32_t h = rnd_handle(f, fd);

	return is_kept(f, fd, h) ? h + 1000 : h;
}

#define TASK_SIZE_X86_64	0x7ffffffff000ull	/* 4-level paging */

/*
 * A pointer to nothing the caller may touch: NULL and low addresses,
 * unmapped memory, the kernel's half, non-canonical addresses, the end
 * of user space. Whatever its length, no access through it succeeds.
 */
static uint64_t rnd_bad_ptr(const struct fuzz *f)
{
	const uint64_t bad[] = {
		0, 1, 0xfff, 0x10000,
		0xffff888000000000ull,	/* direct map */
		0xffffc90000000000ull,	/* vmalloc */
		0xffffffff81000000ull,	/* kernel text */
		0xfffffffffffff000ull, ~0ull,
		0x0000800000000000ull,	/* non-canonical */
		0x8000000000000000ull,
		TASK_SIZE_X86_64, TASK_SIZE_X86_64 - 8,
	};

	switch (rnd(4)) {
	case 0:
		return to_user_pointer(f->hole) + rnd(HOLE_SIZE);
	case 1:
		if (f->top_page_free)
			return TASK_SIZE_X86_64 - page_size + rnd(page_size);
		return to_user_pointer(f->hole);
	default:
		return bad[rnd(ARRAY_SIZE(bad))];
	}
}

/*
 * A user pointer the kernel writes @len bytes to, or reads them from. A
 * good one lies in memory of ours that nothing else uses (never in a
 * kept BO's mapping) and ends in a guard page, so that what the kernel
 * writes there harms nothing.
 */
static uint64_t rnd_ptr(const struct fuzz *f, uint64_t len)
{
	uint64_t data = to_user_pointer(f->data);

	switch (rnd(16)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return rnd_bad_ptr(f);
	case 4:
		return to_user_pointer(f->ro) + rnd(page_size);
	case 5:
		return to_user_pointer(f->scratch_map) + rnd(SCRATCH_SIZE);
	case 6:
		/* Ends exactly at the guard page, or runs into it. */
		if (len && len <= DATA_SIZE)
			return data + DATA_SIZE - len + rnd(2) * 8;
		return data + DATA_SIZE - 8;
	case 7:
		return data + rnd(DATA_SIZE) + 1 + rnd(7);	/* misaligned */
	case 8:
		return rnd64();
	default:
		return data + (rnd(DATA_SIZE) & ~7ull);
	}
}

/* ------------------------------------------------------------------ */
/* Driver ioctls                                                      */
/* ------------------------------------------------------------------ */

static const unsigned int drv_sizes[DRV_KNOWN] = {
	sizeof(struct drm_vttm_gem_create),
	sizeof(struct drm_vttm_gem_mmap_offset),
	sizeof(struct drm_vttm_gem_sync),
	sizeof(struct drm_vttm_device_read),
	sizeof(struct drm_vttm_gem_info),
	sizeof(struct drm_vttm_gem_set_method),
	sizeof(struct drm_vttm_gem_move),
	sizeof(struct drm_vttm_get_param),
};

static const unsigned int drv_dirs[DRV_KNOWN] = {
	_IOC_READ | _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	_IOC_READ | _IOC_WRITE, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	_IOC_WRITE, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
};

static uint32_t rnd_pad(void)
{
	return chance(85) ? 0 : rnd_value();
}

/* Bytes of a sync bitmap for some BO: exact, short, zero or anything. */
static uint64_t rnd_bitmap_size(void)
{
	switch (rnd(5)) {
	case 0:
		return 0;
	case 1:
		return rnd_value();
	default:
		return vttm_bitmap_bytes(rnd(2) ? SCRATCH_SIZE / page_size :
					 rnd(1024));
	}
}

/* Fill @buf with arguments that look like those of vttm ioctl @nr. */
static void build_drv_args(struct fuzz *f, int fd, unsigned int nr,
			   uint8_t *buf)
{
	switch (nr) {
	case DRM_VTTM_GEM_CREATE: {
		struct drm_vttm_gem_create *a = (void *)buf;

		a->size = rnd_bo_size();
		a->flags = rnd_flags();
		a->handle = rnd_value();
		break;
	}
	case DRM_VTTM_GEM_MMAP_OFFSET: {
		struct drm_vttm_gem_mmap_offset *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->pad = rnd_pad();
		a->offset = rnd_value();
		break;
	}
	case DRM_VTTM_GEM_SYNC: {
		struct drm_vttm_gem_sync *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->flags = chance(85) ? 0 : rnd_flags();
		a->bitmap_size = rnd_bitmap_size();
		a->bitmap_ptr = chance(30) ? 0 : rnd_ptr(f, a->bitmap_size);
		a->pages_copied = rnd_value();
		break;
	}
	case DRM_VTTM_DEVICE_READ: {
		struct drm_vttm_device_read *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->pad = rnd_pad();
		a->offset = chance(50) ? rnd(SCRATCH_SIZE + 1) :
			rnd_interesting();
		a->size = chance(60) ? rnd(SCRATCH_SIZE + 1) :
			rnd_interesting();
		a->data_ptr = rnd_ptr(f, a->size);
		break;
	}
	case DRM_VTTM_GEM_INFO: {
		struct drm_vttm_gem_info *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->pad = rnd_pad();
		a->pad2 = rnd_pad();
		break;
	}
	case DRM_VTTM_GEM_SET_METHOD: {
		struct drm_vttm_gem_set_method *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->method = chance(80) ? rnd(VTTM_METHOD_AUTO_VMWGFX + 2) :
			rnd_value();
		break;
	}
	case DRM_VTTM_GEM_MOVE: {
		struct drm_vttm_gem_move *a = (void *)buf;

		a->handle = rnd_handle(f, fd);
		a->placement = chance(80) ? rnd(3) : rnd_value();
		a->flags = chance(85) ? 0 : rnd_flags();
		a->pad = rnd_pad();
		break;
	}
	case DRM_VTTM_GET_PARAM: {
		struct drm_vttm_get_param *a = (void *)buf;

		a->param = chance(80) ? rnd(5) : rnd_value();
		a->pad = rnd_pad();
		a->value = rnd_value();
		break;
	}
	default:
		break;
	}
}

static void random_bytes(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = rnd64();
}

/*
 * Flip a few random bytes: arguments that no builder would make. Never
 * those of a pointer: a pointer a byte away from a good one could point
 * into this process's own heap or stack, and the kernel would rightly
 * write there.
 */
static void mutate(uint8_t *buf, size_t len, size_t ptr_at)
{
	unsigned int n = 1 + rnd(3);

	while (len && n--) {
		size_t at = rnd(len);

		if (!ptr_at || at < ptr_at || at >= ptr_at + 8)
			buf[at] = rnd64();
	}
}

/* Where vttm ioctl @nr has its pointer, or 0 for none. */
static size_t drv_ptr_at(unsigned int nr)
{
	switch (nr) {
	case DRM_VTTM_GEM_SYNC:
		return offsetof(struct drm_vttm_gem_sync, bitmap_ptr);
	case DRM_VTTM_DEVICE_READ:
		return offsetof(struct drm_vttm_device_read, data_ptr);
	default:
		return 0;
	}
}

static bool errno_in(int err, const int *allowed, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		if (allowed[i] == err)
			return true;
	return false;
}

/*
 * Record the outcome of one call and fail on an errno outside @allowed,
 * saying which call it was.
 */
static void check_result(unsigned int st, int ret, int err,
			 const int *allowed, unsigned int count,
			 unsigned long iteration, const char *what)
{
	char name[32];

	stats[st].calls++;
	if (ret == 0) {
		stats[st].ok++;
		return;
	}
	stat_name(st, name, sizeof(name));
	igt_assert_f(ret == -1, "%s returned %d at iteration %lu (%s)\n",
		     name, ret, iteration, what);
	igt_assert_f(errno_in(err, allowed, count),
		     "%s failed with %s at iteration %lu (%s)\n", name,
		     strerrorname_np(err), iteration, what);
	stats[st].err[err < MAX_ERRNO ? err : 0]++;
}

/*
 * One call of a random ioctl number of the driver's range, with random
 * direction and size bits, and arguments that are mostly well formed.
 */
static void fuzz_driver_ioctl(struct fuzz *f, unsigned long it)
{
	/*
	 * EINVAL: bad arguments, or a number vttm has no ioctl for.
	 * ENOENT: no such handle. EFAULT: a bad pointer. ENOMEM: no room
	 * (a move to device memory of a BO larger than all of it, or an
	 * allocation). ENOSPC: the client's BO memory is at its limit.
	 */
	static const int allowed[] = { EINVAL, ENOENT, EFAULT, ENOMEM, ENOSPC };
	int fd = f->fds[rnd(2)];
	unsigned int nr = chance(85) ? rnd(DRV_KNOWN) : rnd(DRV_NR_COUNT);
	unsigned int dir, size, real = nr < DRV_KNOWN ? drv_sizes[nr] : 0;
	unsigned long cmd;
	uint8_t *buf;
	char what[96];
	uint64_t arg;
	int ret, err;

	dir = nr < DRV_KNOWN && chance(80) ? drv_dirs[nr] : rnd(4);
	switch (rnd(10)) {
	case 0:
		size = rnd(ARGBUF_SIZE);
		break;
	case 1:
		size = real ? real - 1 - rnd(real) : 0;	/* short or 0 */
		break;
	case 2:
		size = real + 8 * (1 + rnd(8));		/* longer */
		break;
	default:
		size = real ? real : rnd(256);
	}

	/* Where the arguments are: mostly good memory, in a few places. */
	switch (rnd(20)) {
	case 0:
		/* Readable, not writable: an _IOWR ioctl acts, then EFAULT. */
		buf = f->ro;
		arg = to_user_pointer(buf);
		if (size < page_size && chance(50))
			arg += rnd(page_size - size + 1);
		break;
	case 1:
		arg = rnd_bad_ptr(f);
		buf = NULL;
		break;
	case 2:
		/* Right at the guard page: the kernel copies past the end. */
		buf = f->argbuf + ARGBUF_SIZE - (real ? real : 8);
		arg = to_user_pointer(buf);
		break;
	default:
		buf = f->argbuf;
		arg = to_user_pointer(buf);
	}

	if (buf == f->argbuf) {
		random_bytes(buf, size);
		if (nr < DRV_KNOWN) {
			memset(buf, 0, real);
			build_drv_args(f, fd, nr, buf);
		}
		if (chance(10))
			mutate(buf, real, drv_ptr_at(nr));
	} else if (buf) {
		/* Past the argbuf, a few bytes cross into the guard page. */
		if (buf > f->argbuf && buf < f->argbuf + ARGBUF_SIZE) {
			memset(buf, 0, real ? real : 8);
			if (nr < DRV_KNOWN)
				build_drv_args(f, fd, nr, buf);
		}
	}

	cmd = _IOC(dir, DRM_IOCTL_BASE, DRM_COMMAND_BASE + nr, size);
	ret = ioctl(fd, cmd, from_user_pointer(arg));
	err = errno;
	snprintf(what, sizeof(what), "%s fd, cmd %#lx, arg %#llx",
		 fd == f->card ? "primary" : "render", cmd,
		 (unsigned long long)arg);
	check_result(ST_DRV + nr, ret, err, allowed, ARRAY_SIZE(allowed),
		     it, what);

	/* A handle the kernel gave back goes to the pool. */
	if (!ret && nr == DRM_VTTM_GEM_CREATE && buf == f->argbuf &&
	    (dir & _IOC_READ) && size >= real)
		remember(f, fd, ((struct drm_vttm_gem_create *)buf)->handle);
}

/* ------------------------------------------------------------------ */
/* DRM core ioctls a client can reach                                 */
/* ------------------------------------------------------------------ */

/* A dma-buf, another file, or no file at all. */
static int rnd_fd(const struct fuzz *f)
{
	switch (rnd(6)) {
	case 0:
		return -1;
	case 1:
		return 1000 + rnd(1000);
	case 2:
		return f->fds[rnd(2)];
	case 3:
		return 0;	/* stdin: not a dma-buf */
	default:
		return f->scratch_dmabuf;
	}
}

static void fuzz_core_ioctl(struct fuzz *f, unsigned long it)
{
	int fd = f->fds[rnd(2)];
	bool render = fd == f->render;
	union {
		struct drm_gem_close close;
		struct drm_prime_handle prime;
		struct drm_mode_create_dumb dumb;
		struct drm_mode_map_dumb map;
		struct drm_mode_destroy_dumb destroy;
		struct drm_gem_flink flink;
		struct drm_gem_open open;
		struct drm_version version;
		struct drm_get_cap cap;
	} *a = (void *)f->argbuf;
	unsigned int st = ST_GEM_CLOSE + rnd(ST_MMAP - ST_GEM_CLOSE);
	unsigned long cmd;
	int allowed[8], n = 0, ret, err;
	uint64_t arg = to_user_pointer(a);
	char what[96];

	memset(a, 0, sizeof(*a));
	/* Every one of them copies its arguments in: EFAULT for bad ones. */
	allowed[n++] = EFAULT;

	switch (st) {
	case ST_GEM_CLOSE:
		cmd = DRM_IOCTL_GEM_CLOSE;
		a->close.handle = rnd_closable(f, fd);
		a->close.pad = rnd_pad();
		allowed[n++] = EINVAL;		/* no such handle */
		break;
	case ST_PRIME_TO_FD:
		cmd = DRM_IOCTL_PRIME_HANDLE_TO_FD;
		a->prime.handle = rnd_handle(f, fd);
		a->prime.flags = chance(70) ? DRM_CLOEXEC | DRM_RDWR * rnd(2) :
			rnd_flags();
		a->prime.fd = rnd_value();
		allowed[n++] = ENOENT;
		allowed[n++] = EINVAL;		/* unknown flags */
		break;
	case ST_PRIME_TO_HANDLE:
		cmd = DRM_IOCTL_PRIME_FD_TO_HANDLE;
		a->prime.fd = rnd_fd(f);
		a->prime.flags = chance(70) ? 0 : rnd_flags();
		a->prime.handle = rnd_value();
		allowed[n++] = EBADF;
		allowed[n++] = EINVAL;		/* not a dma-buf */
		break;
	case ST_CREATE_DUMB:
		cmd = DRM_IOCTL_MODE_CREATE_DUMB;
		a->dumb.width = chance(60) ? 1 + rnd(512) : rnd_value();
		a->dumb.height = chance(60) ? 1 + rnd(512) : rnd_value();
		a->dumb.bpp = chance(60) ? 8 * (1 + rnd(4)) : rnd_value();
		a->dumb.flags = chance(80) ? 0 : rnd_flags();
		allowed[n++] = EINVAL;
		allowed[n++] = ENOSPC;
		allowed[n++] = ENOMEM;
		allowed[n++] = EACCES;		/* not on render nodes */
		break;
	case ST_MAP_DUMB:
		cmd = DRM_IOCTL_MODE_MAP_DUMB;
		a->map.handle = rnd_handle(f, fd);
		a->map.pad = rnd_pad();
		allowed[n++] = ENOENT;
		allowed[n++] = EACCES;
		break;
	case ST_DESTROY_DUMB:
		cmd = DRM_IOCTL_MODE_DESTROY_DUMB;
		a->destroy.handle = rnd_closable(f, fd);
		allowed[n++] = EINVAL;
		allowed[n++] = EACCES;
		break;
	case ST_FLINK:
		cmd = DRM_IOCTL_GEM_FLINK;
		a->flink.handle = rnd_handle(f, fd);
		allowed[n++] = ENOENT;
		allowed[n++] = EACCES;		/* render nodes have no names */
		break;
	case ST_GEM_OPEN:
		cmd = DRM_IOCTL_GEM_OPEN;
		a->open.name = f->nnames && chance(60) ?
			f->names[rnd(f->nnames)] : rnd_value();
		allowed[n++] = ENOENT;
		allowed[n++] = EACCES;
		break;
	case ST_VERSION:
		cmd = DRM_IOCTL_VERSION;
		a->version.name_len = rnd_value();
		a->version.name = from_user_pointer(rnd_ptr(f, 64));
		a->version.date_len = chance(50) ? rnd(16) : rnd_value();
		a->version.date = from_user_pointer(rnd_ptr(f, 16));
		a->version.desc_len = chance(50) ? rnd(64) : rnd_value();
		a->version.desc = from_user_pointer(rnd_ptr(f, 64));
		break;
	default:
		cmd = DRM_IOCTL_GET_CAP;
		a->cap.capability = chance(70) ? rnd(0x20) : rnd_value();
		allowed[n++] = EINVAL;
		/* Capabilities of modesetting drivers: vttm is not one. */
		allowed[n++] = EOPNOTSUPP;
		break;
	}

	/* VERSION is all pointers and lengths: leave it be. */
	if (st != ST_VERSION && chance(5))
		mutate(f->argbuf, _IOC_SIZE(cmd), 0);
	if (chance(5))
		arg = rnd_bad_ptr(f);

	ret = ioctl(fd, cmd, from_user_pointer(arg));
	err = errno;
	snprintf(what, sizeof(what), "%s fd, arg %#llx",
		 render ? "render" : "primary", (unsigned long long)arg);
	check_result(st, ret, err, allowed, n, it, what);
	if (ret || arg != to_user_pointer(a))
		return;

	switch (st) {
	case ST_PRIME_TO_FD:
		close(a->prime.fd);
		break;
	case ST_PRIME_TO_HANDLE:
		remember(f, fd, a->prime.handle);
		break;
	case ST_CREATE_DUMB:
		remember(f, fd, a->dumb.handle);
		break;
	case ST_FLINK:
		if (f->nnames < ARRAY_SIZE(f->names))
			f->names[f->nnames++] = a->flink.name;
		break;
	case ST_GEM_OPEN:
		remember(f, fd, a->open.handle);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* mmap with random offsets, lengths, protections and flags           */
/* ------------------------------------------------------------------ */

static uint64_t rnd_offset(const struct fuzz *f, int fd, int *src)
{
	struct drm_vttm_gem_mmap_offset mo = { .handle = rnd_handle(f, fd) };

	*src = fd;
	switch (rnd(8)) {
	case 0:
		return rnd64() & ~(page_size - 1);
	case 1:
		return rnd_interesting() & ~(page_size - 1);
	case 2:
		/* The dma-buf: offsets count from the start of the BO. */
		*src = f->scratch_dmabuf;
		return rnd(2 * SCRATCH_SIZE / page_size) * page_size;
	default:
		/* A BO's offset, maybe that of another client, maybe moved. */
		if (__vttm_gem_mmap_offset(f->render, &mo) &&
		    __vttm_gem_mmap_offset(f->card, &mo))
			return rnd64() & ~(page_size - 1);
		return mo.offset + (chance(70) ? 0 : (rnd(5) - 2) * page_size);
	}
}

static void fuzz_mmap(struct fuzz *f, unsigned long it)
{
	/*
	 * EINVAL: no BO there, or too long, or MAP_PRIVATE and writable.
	 * EACCES: another client's BO, or a read-only dma-buf mapped
	 * writable. ENOMEM: no room for the length. EOVERFLOW: offset and
	 * length wrap. EPERM: PROT_EXEC on a noexec mount.
	 */
	static const int allowed[] = {
		EINVAL, EACCES, ENOMEM, EOVERFLOW, EPERM,
	};
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_NONE,
		PROT_READ | PROT_EXEC,
	};
	int fd = f->fds[rnd(2)], src, prot = prots[rnd(ARRAY_SIZE(prots))];
	int flags = chance(80) ? MAP_SHARED : MAP_PRIVATE;
	uint64_t off = rnd_offset(f, fd, &src), len;
	char what[96];
	void *p;
	int err;

	switch (rnd(6)) {
	case 0:
		len = rnd_interesting();
		break;
	case 1:
		len = rnd(SCRATCH_SIZE * 2);
		break;
	default:
		len = page_size * (1 + rnd(16));
	}
	if (len > 1ull << 40)
		len = 1ull << 40;
	if (!len)
		len = page_size;

	p = mmap(NULL, len, prot, flags, src, off);
	err = errno;
	snprintf(what, sizeof(what), "fd %d, offset %#llx, length %#llx",
		 src, (unsigned long long)off, (unsigned long long)len);
	check_result(ST_MMAP, p == MAP_FAILED ? -1 : 0, err, allowed,
		     ARRAY_SIZE(allowed), it, what);
	if (p == MAP_FAILED)
		return;

	/* Fault a page in, at either end: reads change nothing. */
	if (prot & PROT_READ) {
		uint8_t *b = p;

		__atomic_load_n(&b[0], __ATOMIC_RELAXED);
		__atomic_load_n(&b[(len - 1) & ~(page_size - 1)],
				__ATOMIC_RELAXED);
	}
	igt_assert_eq(munmap(p, len), 0);
}

/* ------------------------------------------------------------------ */
/* Setting up, sweeping, checking                                     */
/* ------------------------------------------------------------------ */

static long saved_client_mem_mb = -1;

/* Also runs from a signal handler: no asserts, no stdio. */
static int write_client_mem_mb(long mb)
{
	char buf[32];
	int fd, len, ret = -1;

	len = snprintf(buf, sizeof(buf), "%ld", mb);
	fd = open(CLIENT_MEM_MB, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, buf, len) == len)
			ret = 0;
		close(fd);
	}
	return ret;
}

static void restore_client_mem_mb(int sig)
{
	(void)sig;
	if (saved_client_mem_mb >= 0)
		write_client_mem_mb(saved_client_mem_mb);
}

static long read_client_mem_mb(void)
{
	FILE *f = fopen(CLIENT_MEM_MB, "r");
	long mb = -1;

	igt_assert_f(f, "%s: %s\n", CLIENT_MEM_MB, strerror(errno));
	igt_assert_eq(fscanf(f, "%ld", &mb), 1);
	fclose(f);
	return mb;
}

/* Memory with inaccessible pages around it, so overruns fault. */
static uint8_t *guarded(size_t size)
{
	uint8_t *p = mmap(NULL, size + 2 * page_size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(p != MAP_FAILED);
	igt_assert_eq(mprotect(p + page_size, size, PROT_READ | PROT_WRITE),
		      0);
	return p + page_size;
}

static void unguard(uint8_t *p, size_t size)
{
	munmap(p - page_size, size + 2 * page_size);
}

/* Whether anything is mapped in the last page of user space. */
static bool top_page_mapped(void)
{
	unsigned long long start, end;
	char line[512];
	bool mapped = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	igt_assert(maps);
	while (fgets(line, sizeof(line), maps))
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 &&
		    end > 0x7ffffffff000ull - page_size)
			mapped = true;
	fclose(maps);
	return mapped;
}

static const uint32_t keep_methods[NUM_KEEP] = {
	VTTM_METHOD_MKWRITE, VTTM_METHOD_PAGETABLE, VTTM_METHOD_NONE,
};

static void setup(struct fuzz *f, uint64_t seed, unsigned long iterations)
{
	memset(f, 0, sizeof(*f));
	memset(stats, 0, sizeof(stats));
	rng_state = seed;

	for (int fd = 0; fd < (int)ARRAY_SIZE(f->fd_known); fd++)
		f->fd_known[fd] = fcntl(fd, F_GETFD) != -1;

	f->render = drm_open_vttm_render();
	f->card = drm_open_vttm();
	f->fds[0] = f->render;
	f->fds[1] = f->card;
	igt_assert_neq(f->render, f->card);

	/* Nothing the fuzz creates can reach more than this. */
	igt_assert_eq(write_client_mem_mb(FUZZ_CLIENT_MEM_MB), 0);
	igt_assert_eq(read_client_mem_mb(), FUZZ_CLIENT_MEM_MB);

	f->argbuf = guarded(ARGBUF_SIZE);
	f->data = guarded(DATA_SIZE);
	f->ro = guarded(page_size);
	/*
	 * Zeros, but for what a create read from here asks for: one page,
	 * tracked. Random bytes here could make a pointer into this process.
	 */
	memset(f->ro, 0, page_size);
	((struct drm_vttm_gem_create *)f->ro)->size = page_size;
	((struct drm_vttm_gem_create *)f->ro)->flags = 0;
	igt_assert_eq(mprotect(f->ro, page_size, PROT_READ), 0);
	f->hole = mmap(NULL, HOLE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	igt_assert(f->hole != MAP_FAILED);
	f->top_page_free = !top_page_mapped();

	/*
	 * The kept BOs: written in full and synced, then written again on
	 * every other page and not synced, so that a sync or move during
	 * the fuzz has pages to copy and writes to keep.
	 */
	for (int i = 0; i < NUM_KEEP; i++) {
		struct keep *k = &f->keep[i];

		k->size = (16 + 16 * i) * page_size;
		k->method = keep_methods[i];
		k->handle = vttm_gem_create_method(f->render, k->size,
						   k->method);
		k->map = vttm_gem_mmap(f->render, k->handle, k->size,
				       PROT_READ | PROT_WRITE);
		k->want = malloc(k->size);
		igt_assert(k->want);
		for (uint64_t w = 0; w < k->size / 4; w++)
			((uint32_t *)k->map)[w] =
				vttm_pattern_word(0xf0220 + i, w);
		vttm_gem_sync(f->render, k->handle);
		for (uint64_t pg = 0; pg < k->size / page_size; pg += 2)
			for (uint64_t w = pg * page_size / 4;
			     w < (pg + 1) * page_size / 4; w++)
				((uint32_t *)k->map)[w] =
					vttm_pattern_word(0xf0330 + i, w);
		memcpy(k->want, k->map, k->size);
		f->keep_bytes += k->size;
	}

	/* Between guard pages too: device reads into it may run past. */
	f->scratch = vttm_gem_create(f->render, SCRATCH_SIZE);
	f->scratch_map = guarded(SCRATCH_SIZE);
	igt_assert(mmap(f->scratch_map, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, f->render,
			vttm_gem_mmap_offset(f->render, f->scratch)) ==
		   f->scratch_map);
	f->scratch_dmabuf = prime_handle_to_fd_for_mmap(f->render, f->scratch);
	igt_assert_fd(f->scratch_dmabuf);
	f->keep_bytes += SCRATCH_SIZE;

	/* Reports from here on are the fuzz's. */
	f->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	igt_assert_fd(f->kmsg);
	igt_assert(lseek(f->kmsg, 0, SEEK_END) >= 0);

	igt_info("seed %#llx (from --seed), %lu iterations\n",
		 (unsigned long long)seed, iterations);
}

/*
 * Close every handle the fuzz may have made, known or not (a create
 * whose result could not be copied out leaves one nobody was told of),
 * and every dma-buf fd it may have been given. Handles are the lowest
 * free numbers, so they stay below the number of calls since the last
 * sweep plus what was there before.
 */
static void sweep(struct fuzz *f)
{
	uint32_t top = NUM_KEEP + 8 + f->since_sweep;

	for (int i = 0; i < 2; i++) {
		int fd = f->fds[i];

		for (uint32_t h = 1; h <= top; h++) {
			struct drm_gem_close cl = { .handle = h };

			if (!is_kept(f, fd, h))
				ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl);
		}
		f->nmade[i] = 0;
	}
	for (int fd = 0; fd < (int)ARRAY_SIZE(f->fd_known); fd++) {
		char link[64], target[64] = "";

		if (f->fd_known[fd] || fd == f->scratch_dmabuf)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (readlink(link, target, sizeof(target) - 1) > 0 &&
		    strstr(target, "dmabuf"))
			close(fd);
	}
	f->since_sweep = 0;
}

/* No WARNING, BUG, Oops or sanitizer report since setup(). */
static void assert_kernel_log_clean(struct fuzz *f)
{
	static const char *const reports[] = {
		"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "kmemleak",
		"general protection", "Kernel panic", "INFO: task",
		"lockdep", "possible circular", "Call Trace",
	};
	char rec[2048];
	unsigned int bad = 0;
	ssize_t n;

	while ((n = read(f->kmsg, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten: read on */
				continue;
			igt_assert_eq(errno, EAGAIN);
			break;
		}
		rec[n] = '\0';
		for (unsigned int i = 0; i < ARRAY_SIZE(reports); i++) {
			if (strstr(rec, reports[i])) {
				igt_warn("kernel: %s", rec);
				bad++;
				break;
			}
		}
	}
	igt_assert_f(!bad, "%u kernel log reports during the fuzz\n", bad);
}

/*
 * After the fuzz: the kept BOs hold what was written, in their mappings
 * and, after one more sync, on the device; the client is charged for
 * them and nothing else; the kernel log is clean. Then close it all.
 */
static void finish(struct fuzz *f, unsigned long iterations)
{
	sweep(f);

	for (int i = 0; i < NUM_KEEP; i++) {
		struct keep *k = &f->keep[i];
		struct drm_vttm_gem_info info;

		vttm_gem_info(f->render, k->handle, &info);
		igt_assert_eq_u64(info.size, k->size);
		igt_assert_eq_u32(info.method == VTTM_METHOD_NONE,
				  k->method == VTTM_METHOD_NONE);
		vttm_assert_bytes_eq(k->map, k->want, k->size,
				     "kept BO's mapping after the fuzz");
		vttm_gem_sync(f->render, k->handle);
		vttm_assert_device_eq(f->render, k->handle, k->want, k->size);
	}
	igt_assert_eq_u64(vttm_get_param(f->render,
					 VTTM_PARAM_CLIENT_MEM_USED),
			  f->keep_bytes);
	igt_assert_eq_u64(vttm_get_param(f->card, VTTM_PARAM_CLIENT_MEM_USED),
			  0);
	print_stats(iterations);
	assert_kernel_log_clean(f);

	for (int i = 0; i < NUM_KEEP; i++) {
		munmap(f->keep[i].map, f->keep[i].size);
		gem_close(f->render, f->keep[i].handle);
		free(f->keep[i].want);
	}
	unguard(f->scratch_map, SCRATCH_SIZE);
	close(f->scratch_dmabuf);
	gem_close(f->render, f->scratch);
	igt_assert_eq_u64(vttm_get_param(f->render,
					 VTTM_PARAM_CLIENT_MEM_USED), 0);

	close(f->kmsg);
	close(f->card);
	close(f->render);
	munmap(f->hole, HOLE_SIZE);
	unguard(f->ro, page_size);
	unguard(f->data, DATA_SIZE);
	unguard(f->argbuf, ARGBUF_SIZE);
	restore_client_mem_mb(0);
}

static void run(uint64_t seed, unsigned long iterations,
		void (*one)(struct fuzz *f, unsigned long it))
{
	static struct fuzz f;

	setup(&f, seed, iterations);
	for (unsigned long it = 0; it < iterations; it++) {
		one(&f, it);
		if (++f.since_sweep == SWEEP_EVERY)
			sweep(&f);
	}
	finish(&f, iterations);
}

/* ------------------------------------------------------------------ */
/* Argument pointers that cannot be read                              */
/* ------------------------------------------------------------------ */

/*
 * Every vttm ioctl whose argument pointer cannot be read fails with
 * EFAULT and does nothing: no BO appears, nothing is charged.
 */
static void test_unreadable_arguments(void)
{
	uint8_t *hole = mmap(NULL, page_size, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uint64_t bad[] = {
		0, 1, to_user_pointer(hole), 0xffff888000000000ull,
		0xffffffff81000000ull, ~0ull, 0x0000800000000000ull,
		TASK_SIZE_X86_64,
	};
	int fd = drm_open_vttm_render();
	struct drm_vttm_gem_info info = { .handle = 1 };

	igt_assert(hole != MAP_FAILED);
	for (unsigned int nr = 0; nr < DRV_KNOWN; nr++) {
		unsigned long cmd = _IOC(drv_dirs[nr], DRM_IOCTL_BASE,
					 DRM_COMMAND_BASE + nr, drv_sizes[nr]);

		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
			int ret = ioctl(fd, cmd, from_user_pointer(bad[i]));

			igt_assert_f(ret == -1 && errno == EFAULT,
				     "%s with argument %#llx: %s\n",
				     drv_names[nr],
				     (unsigned long long)bad[i],
				     ret ? strerror(errno) : "success");
		}
	}
	igt_assert_eq(__vttm_gem_info(fd, &info), -ENOENT);
	igt_assert_eq_u64(vttm_get_param(fd, VTTM_PARAM_CLIENT_MEM_USED), 0);
	close(fd);
	munmap(hole, page_size);
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

static int opt_handler(int opt, int opt_index, void *data)
{
	char *end;

	(void)opt_index;
	(void)data;
	switch (opt) {
	case 's':
		opt_seed = strtoull(optarg, &end, 0);
		break;
	case 'n':
		opt_iterations = strtoul(optarg, &end, 0);
		break;
	default:
		return IGT_OPT_HANDLER_ERROR;
	}
	return *end ? IGT_OPT_HANDLER_ERROR : IGT_OPT_HANDLER_SUCCESS;
}

static const struct option long_opts[] = {
	{ "seed", required_argument, NULL, 's' },
	{ "iterations", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static const char help_str[] =
	"  --seed=N        seed of the random arguments\n"
	"  --iterations=N  calls of the driver fuzz (the others do fewer)\n";

igt_main_args("s:n:", long_opts, help_str, opt_handler, NULL)
{
	igt_fixture {
		int fd = drm_open_vttm_render();

		struct stat st;

		page_size = sysconf(_SC_PAGESIZE);
		/* The kept BOs live on the render node; there must be one. */
		igt_assert_eq(fstat(fd, &st), 0);
		igt_assert_f(minor(st.st_rdev) >= 128, "no render node\n");
		close(fd);
		saved_client_mem_mb = read_client_mem_mb();
		igt_install_exit_handler(restore_client_mem_mb);
	}

	igt_describe("Unreadable argument pointers give EFAULT and change nothing.");
	igt_subtest("unreadable-argument-pointers-fail-with-efault")
		test_unreadable_arguments();

	igt_describe("Random driver ioctls fail cleanly and lose no data.");
	igt_subtest("random-driver-ioctls-fail-cleanly")
		run(opt_seed, opt_iterations, fuzz_driver_ioctl);

	igt_describe("Random core GEM, PRIME and dumb ioctls fail cleanly.");
	igt_subtest("random-core-ioctls-fail-cleanly")
		run(opt_seed ^ 1, opt_iterations / 4, fuzz_core_ioctl);

	igt_describe("mmap of random offsets and lengths fails cleanly.");
	igt_subtest("random-mmaps-fail-cleanly")
		run(opt_seed ^ 2, opt_iterations / 10, fuzz_mmap);
}
