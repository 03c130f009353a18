// SPDX-License-Identifier: MIT
/*
 * Lifetime races and memory pressure for vttm's write tracking.
 *
 * Races: a mapping, a file, a handle or a whole process goes away, or a
 * process forks, while another thread or process syncs the BO. Each sync
 * must succeed or fail with the errno the uAPI documents, what was written
 * before must reach the device, and nothing may leak.
 *
 * Memory pressure: BOs written and not yet synced are evicted from device
 * memory or swapped out (TTM's swap-out to shmem, through its debugfs
 * shrinker or its page limit); the next sync still copies exactly the
 * pages written, and the device copy equals what was written.
 *
 * Every loop is bounded by a count; nothing asserts on timing.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Lifetime races (munmap, close, GEM close, exit, fork against a " \
	"sync) and memory pressure (eviction, swap-out) lose no write."
IGT_TEST_DESCRIPTION(DESCRIPTION);

static uint64_t page_size;
static uint64_t words_per_page;	/* 8-byte words */

/* Methods the races cycle through, one per round. */
static const uint32_t race_methods[] = {
	VTTM_METHOD_MKWRITE, VTTM_METHOD_PAGETABLE, VTTM_METHOD_AUTO,
};

/* Bounds every wait on another thread or process; never reached. */
#define WAIT_MS		(60 * 1000)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Small seeded PRNG (xorshift64*), so that a failure can be replayed. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;

	return x * 0x2545f4914f6cdd1dull;
}

static void *alloc_bytes(uint64_t size, int fill)
{
	void *p = malloc(size);

	igt_assert(p);
	memset(p, fill, size);

	return p;
}

static void *shared_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	igt_assert(p != MAP_FAILED);

	return p;
}

static void bit_set(uint8_t *bits, uint64_t n)
{
	bits[n / 8] |= 1u << (n % 8);
}

/* Plain stores of the pattern into page @page of @map. */
static void write_page(uint8_t *map, uint64_t page, uint32_t seed)
{
	uint32_t *p = (uint32_t *)map;
	uint64_t words = page_size / 4;

	for (uint64_t w = page * words; w < (page + 1) * words; w++)
		p[w] = vttm_pattern_word(seed, w);
}

static void pipe_post(int wfd)
{
	igt_assert_eq(write(wfd, "", 1), 1);
}

/* Wait for one byte; false when the writer went away or time ran out. */
static bool pipe_wait(int rfd)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char byte;

	return poll(&pfd, 1, WAIT_MS) == 1 && read(rfd, &byte, 1) == 1;
}

/* Sleep @us microseconds, for the bounded polls below. */
static void pause_us(unsigned int us)
{
	struct timespec ts = { .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

/* A BO with its own mapping and a shadow of what it should hold. */
struct bo {
	const char *name;
	uint32_t method;
	uint32_t handle;
	uint64_t npages;
	uint64_t size;
	uint8_t *map;
	uint8_t *shadow;
	uint8_t *want;		/* pages written since the last sync */
};

static void bo_init(int fd, struct bo *bo, const char *name,
		    uint64_t npages, uint32_t method)
{
	bo->name = name;
	bo->method = method;
	bo->npages = npages;
	bo->size = npages * page_size;
	bo->handle = vttm_gem_create_method(fd, bo->size, method);
	bo->map = vttm_gem_mmap(fd, bo->handle, bo->size,
				PROT_READ | PROT_WRITE);
	bo->shadow = alloc_bytes(bo->size, 0);
	bo->want = alloc_bytes(vttm_bitmap_bytes(npages), 0);
}

static void bo_fini(int fd, struct bo *bo)
{
	munmap(bo->map, bo->size);
	gem_close(fd, bo->handle);
	free(bo->shadow);
	free(bo->want);
}

/* Write page @page through the mapping and the shadow; mark it wanted. */
static void bo_write(struct bo *bo, uint64_t page, uint32_t seed)
{
	write_page(bo->map, page, seed);
	write_page(bo->shadow, page, seed);
	bit_set(bo->want, page);
}

static void bo_write_random(struct bo *bo, unsigned int count,
			    uint64_t *state, uint32_t seed)
{
	for (unsigned int i = 0; i < count; i++)
		bo_write(bo, prng_next(state) % bo->npages, seed);
}

/*
 * Sync and check: exactly the pages written since the last sync were
 * copied (every page for an untracked BO), and the device copy equals
 * the shadow. A dirty page lost to an eviction or a swap-out, or one
 * reported that nobody wrote, fails here.
 */
static void bo_sync_expect(int fd, struct bo *bo)
{
	uint64_t bytes = vttm_bitmap_bytes(bo->npages);
	uint8_t *got = alloc_bytes(bytes, 0);
	bool all = bo->method == VTTM_METHOD_NONE;
	uint64_t copied, set = 0;

	copied = vttm_gem_sync_bitmap(fd, bo->handle, got, bytes);
	for (uint64_t n = 0; n < bo->npages; n++) {
		bool want = all || vttm_bitmap_test(bo->want, n);
		bool g = vttm_bitmap_test(got, n);

		igt_assert_f(g == want,
			     "%s: sync bitmap bit for page %llu is %d, want %d\n",
			     bo->name, (unsigned long long)n, g, want);
		set += g;
	}
	igt_assert_eq_u64(copied, set);
	vttm_assert_device_eq(fd, bo->handle, bo->shadow, bo->size);
	memset(bo->want, 0, bytes);
	free(got);
}

/* A set of BOs, one per method, for the memory pressure tests. */
static const struct {
	const char *name;
	uint64_t npages;
	uint32_t method;
} set_cfg[] = {
	{ "mkwrite", 64, VTTM_METHOD_MKWRITE },
	{ "pagetable", 64, VTTM_METHOD_PAGETABLE },
	{ "auto", 32, VTTM_METHOD_AUTO },
	{ "auto-large", 1024, VTTM_METHOD_AUTO },	/* starts MKWRITE */
	{ "none", 8, VTTM_METHOD_NONE },
};

#define NSET	ARRAY_SIZE(set_cfg)

static uint64_t set_init(int fd, struct bo *set)
{
	uint64_t pages = 0;

	for (unsigned int i = 0; i < NSET; i++) {
		bo_init(fd, &set[i], set_cfg[i].name, set_cfg[i].npages,
			set_cfg[i].method);
		pages += set[i].npages;
	}

	return pages;
}

static void set_fini(int fd, struct bo *set)
{
	for (unsigned int i = 0; i < NSET; i++)
		bo_fini(fd, &set[i]);
}

/* Some pages written and synced, then more written and left dirty. */
static void set_dirty(int fd, struct bo *set, uint64_t *state, uint32_t seed)
{
	for (unsigned int i = 0; i < NSET; i++) {
		bo_write_random(&set[i], 3, state, seed);
		bo_sync_expect(fd, &set[i]);
		bo_write_random(&set[i], 3, state, seed + 1);
	}
}

static void set_write_and_sync(int fd, struct bo *set, uint64_t *state,
			       uint32_t seed)
{
	for (unsigned int i = 0; i < NSET; i++) {
		bo_write_random(&set[i], 2, state, seed);
		vttm_assert_bytes_eq(set[i].map, set[i].shadow, set[i].size,
				     set[i].name);
		bo_sync_expect(fd, &set[i]);
	}
}

static void set_sync_expect(int fd, struct bo *set)
{
	for (unsigned int i = 0; i < NSET; i++)
		bo_sync_expect(fd, &set[i]);
}

/* ------------------------------------------------------------------ */
/* Kernel state: TTM's debugfs, its page limit, shmem, DRM clients    */
/* ------------------------------------------------------------------ */

#define TTM_DEBUGFS	"/sys/kernel/debug/ttm"
#define TT_SHRINK	TTM_DEBUGFS "/tt_shrink"
#define TTM_BO_COUNT	TTM_DEBUGFS "/buffer_objects"
#define PAGES_LIMIT	"/sys/module/ttm/parameters/pages_limit"

/* Read a file holding one number. */
static long long read_number(const char *path)
{
	char buf[64] = "";
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	igt_assert_f(n > 0, "%s: nothing read\n", path);

	return strtoll(buf, NULL, 10);
}

static void write_number(const char *path, unsigned long long value)
{
	char buf[32];
	int fd, len;

	len = snprintf(buf, sizeof(buf), "%llu", value);
	fd = open(path, O_WRONLY);
	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	igt_assert_eq(write(fd, buf, len), len);
	close(fd);
}

/* TTM buffer objects alive in the whole system (vttm's, here). */
static long long ttm_bo_count(void)
{
	return read_number(TTM_BO_COUNT);
}

/*
 * TTM destroys a BO at its last reference unless it is busy or locked at
 * that moment (a shrinker holding it, say), in which case its delayed
 * work does it some ticks later: wait for that, boundedly.
 */
static void assert_bo_count(long long want)
{
	long long got = ttm_bo_count();

	for (unsigned int i = 0; got != want && i < 1000; i++) {
		pause_us(10 * 1000);
		got = ttm_bo_count();
	}
	igt_assert_f(got == want, "%lld TTM BOs alive, want %lld\n", got,
		     want);
}

static void require_ttm_debugfs(void)
{
	igt_require_f(!access(TT_SHRINK, R_OK) && !access(TTM_BO_COUNT, R_OK),
		      "needs TTM's debugfs (root, CONFIG_DEBUG_FS, debugfs mounted)\n");
}

/*
 * Swap out up to @max BOs, as TTM's shrinker does under memory pressure:
 * each read of tt_shrink swaps out one and prints its pages, 0 once none
 * is left. Returns the pages swapped out; *@all tells whether none was
 * left at the end.
 */
static uint64_t swap_out(unsigned int max, bool *all)
{
	uint64_t pages = 0;
	long long n;

	*all = false;
	for (unsigned int i = 0; i < max; i++) {
		n = read_number(TT_SHRINK);
		igt_assert_f(n >= 0, "tt_shrink: %s\n", strerror(-n));
		if (!n) {
			*all = true;
			break;
		}
		pages += n;
	}

	return pages;
}

/* Swap out every BO TTM can; nothing else is running to bring one back. */
static uint64_t swap_out_all(void)
{
	uint64_t pages;
	bool all;

	pages = swap_out(256, &all);
	igt_assert_f(all, "tt_shrink still swapping after 256 BOs\n");

	return pages;
}

/*
 * Shmem in use, in pages: where TTM puts what it swaps out. The counter
 * is kept per CPU and folded now and then: have it folded first, else it
 * lags by up to a few dozen pages.
 */
#define STAT_REFRESH	"/proc/sys/vm/stat_refresh"

static uint64_t shmem_pages(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f;

	write_number(STAT_REFRESH, 1);
	f = fopen("/proc/meminfo", "r");
	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %llu kB", &kb) == 1)
			break;
	fclose(f);

	return kb * 1024 / page_size;
}

static unsigned long long saved_pages_limit;

static void restore_pages_limit(int sig)
{
	char buf[32];
	int fd, len;

	(void)sig;
	if (!saved_pages_limit)
		return;
	/* Also runs from a signal handler: nothing to report failure to. */
	len = snprintf(buf, sizeof(buf), "%llu", saved_pages_limit);
	fd = open(PAGES_LIMIT, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, buf, len) != len)
			len = -1;
		close(fd);
	}
}

/* Lines of the DRM debugfs file listing the open files of @fd's device. */
static int drm_clients(int fd)
{
	char path[64], line[256];
	struct stat st;
	int lines = 0;
	FILE *f;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/clients",
		 minor(st.st_rdev));
	f = fopen(path, "r");
	igt_assert_f(f, "%s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);

	return lines;
}

/* ------------------------------------------------------------------ */
/* A thread that syncs a BO over and over                             */
/* ------------------------------------------------------------------ */

struct syncer {
	pthread_t thread;
	int fd;
	uint32_t handle;
	int end_errno;		/* an errno that ends the loop, or 0 */
	int stop;
	uint64_t syncs;		/* that succeeded */
	int ended_with;		/* 0, end_errno, or an unexpected errno */
	uint64_t max_syncs;
};

static void *syncer_fn(void *arg)
{
	struct syncer *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) &&
	       s->syncs < s->max_syncs) {
		struct drm_vttm_gem_sync sync = { .handle = s->handle };
		int err = __vttm_gem_sync(s->fd, &sync);

		if (err) {
			s->ended_with = -err;
			break;
		}
		__atomic_store_n(&s->syncs, s->syncs + 1, __ATOMIC_RELEASE);
	}

	return NULL;
}

static void syncer_start(struct syncer *s, int fd, uint32_t handle,
			 int end_errno)
{
	*s = (struct syncer){
		.fd = fd,
		.handle = handle,
		.end_errno = end_errno,
		.max_syncs = 1000000,
	};
	igt_assert_eq(pthread_create(&s->thread, NULL, syncer_fn, s), 0);
}

/* Wait until the syncer has done @n more syncs, so that it is running. */
static void syncer_wait(struct syncer *s, uint64_t n)
{
	uint64_t target = __atomic_load_n(&s->syncs, __ATOMIC_ACQUIRE) + n;

	for (unsigned int i = 0; i < WAIT_MS; i++) {
		if (__atomic_load_n(&s->syncs, __ATOMIC_ACQUIRE) >= target ||
		    __atomic_load_n(&s->ended_with, __ATOMIC_ACQUIRE))
			return;
		pause_us(1000);
	}
}

/*
 * Stop (or, with an end errno, wait for it to see it) and check how it
 * ended: no error at all, or exactly the expected one.
 */
static void syncer_finish(struct syncer *s)
{
	if (!s->end_errno)
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	igt_assert_eq(pthread_join(s->thread, NULL), 0);
	igt_assert_f(s->ended_with == s->end_errno,
		     "a sync failed with %s after %llu syncs, want %s\n",
		     s->ended_with ? strerror(s->ended_with) : "nothing",
		     (unsigned long long)s->syncs,
		     s->end_errno ? strerror(s->end_errno) : "no error");
}

/* ------------------------------------------------------------------ */
/* Races in one process                                               */
/* ------------------------------------------------------------------ */

/*
 * Map, write, munmap over and over, through GEM and dma-buf mappings,
 * whole or a piece at a time, while another thread syncs: each sync
 * succeeds, and every write made through a mapping since gone is on the
 * device after the last sync, which leaves nothing behind.
 */
static void test_munmap_race(int fd)
{
	const uint64_t npages = 64, size = npages * page_size;
	uint64_t state = 0x3a3a0001;

	for (unsigned int m = 0; m < ARRAY_SIZE(race_methods); m++) {
		uint8_t *shadow = alloc_bytes(size, 0);
		struct syncer s;
		uint32_t handle;
		int dmabuf;

		handle = vttm_gem_create_method(fd, size, race_methods[m]);
		dmabuf = prime_handle_to_fd_for_mmap(fd, handle);
		igt_assert_fd(dmabuf);
		syncer_start(&s, fd, handle, 0);
		syncer_wait(&s, 1);

		for (unsigned int round = 0; round < 30; round++) {
			uint8_t *map;

			map = round % 2 ?
				mmap(NULL, size, PROT_READ | PROT_WRITE,
				     MAP_SHARED, dmabuf, 0) :
				vttm_gem_mmap(fd, handle, size,
					      PROT_READ | PROT_WRITE);
			igt_assert(map != MAP_FAILED);

			for (unsigned int i = 0; i < 4; i++) {
				uint64_t p = prng_next(&state) % npages;

				write_page(map, p, 0x3a00 + round);
				write_page(shadow, p, 0x3a00 + round);
			}
			vttm_assert_bytes_eq(map, shadow, size, "mapping");

			if (round % 3 == 2) {
				/* A piece from the middle first: a split. */
				igt_assert_eq(munmap(map + 16 * page_size,
						     16 * page_size), 0);
				igt_assert_eq(munmap(map, 16 * page_size), 0);
				igt_assert_eq(munmap(map + 32 * page_size,
						     size - 32 * page_size), 0);
			} else {
				igt_assert_eq(munmap(map, size), 0);
			}
		}

		syncer_finish(&s);
		igt_assert_lt_u64(0, s.syncs);
		vttm_gem_sync(fd, handle);
		vttm_assert_device_eq(fd, handle, shadow, size);
		/* Nothing mapped, nothing written: nothing left to copy. */
		igt_assert_eq_u64(vttm_gem_sync(fd, handle), 0);
		igt_debug("method %u: %llu syncs during 30 munmaps\n",
			  race_methods[m], (unsigned long long)s.syncs);

		close(dmabuf);
		gem_close(fd, handle);
		free(shadow);
	}
}

struct switcher {
	pthread_t thread;
	int fd;
	uint32_t handle;
	int stop;
	uint64_t switches;
};

/* PAGETABLE, MKWRITE, PAGETABLE, ... as fast as it can. */
static void *switcher_fn(void *arg)
{
	struct switcher *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct drm_vttm_gem_set_method m = {
			.handle = w->handle,
			.method = w->switches % 2 ? VTTM_METHOD_MKWRITE :
						    VTTM_METHOD_PAGETABLE,
		};

		if (__vttm_gem_set_method(w->fd, &m))
			break;
		w->switches++;
	}

	return NULL;
}

/*
 * munmap() zaps the PTEs, dropping their dirty bits, before the mapping's
 * close records a PAGETABLE BO's range as written. A switch to MKWRITE in
 * between must not lose those pages: round after round, a write made
 * just before the munmap must be on the device after the next sync.
 */
static void test_munmap_switch_race(int fd)
{
	const uint64_t npages = 2048, size = npages * page_size;
	uint8_t dev[64];
	unsigned int lost = 0, first = 0;
	struct switcher w = { .fd = fd };

	w.handle = vttm_gem_create_method(fd, size, VTTM_METHOD_PAGETABLE);
	igt_assert_eq(pthread_create(&w.thread, NULL, switcher_fn, &w), 0);

	for (unsigned int round = 1; round <= 400; round++) {
		uint8_t *map = vttm_gem_mmap(fd, w.handle, size,
					     PROT_READ | PROT_WRITE);

		/* Mapped here and there: the zap has some work to do. */
		for (uint64_t p = 0; p < npages; p += 64)
			igt_assert_eq(map[p * page_size + 64], 0);
		memset(map, round & 0xff, sizeof(dev));
		igt_assert_eq(munmap(map, size), 0);

		vttm_gem_sync(fd, w.handle);
		vttm_device_read(fd, w.handle, 0, dev, sizeof(dev));
		if (dev[0] != (round & 0xff) && !lost++)
			first = round;
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	igt_assert_eq(pthread_join(w.thread, NULL), 0);

	igt_info("%u of 400 writes lost, the first in round %u; %llu switches\n",
		 lost, first, (unsigned long long)w.switches);
	igt_assert_eq(lost, 0);
	gem_close(fd, w.handle);
}

/*
 * A second DRM file imports a BO, maps it and syncs it from a thread
 * while the main thread closes the file descriptor. The in-flight sync
 * completes and the next ones fail with EBADF; the mapping still works,
 * its writes before and after the close reach the device through the
 * first file, and the second file is released once unmapped.
 */
static void test_close_fd_race(int fd)
{
	const uint64_t npages = 64, size = npages * page_size;
	uint8_t *shadow = alloc_bytes(size, 0);
	uint64_t state = 0xc105e001;
	uint32_t handle;
	int clients, dmabuf;

	handle = vttm_gem_create_method(fd, size, VTTM_METHOD_AUTO);
	dmabuf = prime_handle_to_fd(fd, handle);
	clients = drm_clients(fd);

	for (unsigned int round = 0; round < 12; round++) {
		uint32_t method = race_methods[round % ARRAY_SIZE(race_methods)];
		struct syncer s;
		uint32_t h2;
		uint8_t *map;
		int fd2;

		vttm_gem_set_method(fd, handle, method);
		fd2 = drm_open_vttm();
		h2 = prime_fd_to_handle(fd2, dmabuf);
		map = vttm_gem_mmap(fd2, h2, size, PROT_READ | PROT_WRITE);
		igt_assert_eq(drm_clients(fd), clients + 1);

		for (unsigned int i = 0; i < 3; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0xc100 + round);
			write_page(shadow, p, 0xc100 + round);
		}

		syncer_start(&s, fd2, h2, EBADF);
		syncer_wait(&s, 1);
		for (unsigned int i = 0; i < 3; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0xc200 + round);
			write_page(shadow, p, 0xc200 + round);
		}
		/*
		 * Nothing may be opened until the syncer has seen EBADF:
		 * the number could come back for another file.
		 */
		igt_assert_eq(close(fd2), 0);
		for (unsigned int i = 0; i < 3; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0xc300 + round);
			write_page(shadow, p, 0xc300 + round);
		}
		syncer_finish(&s);

		vttm_assert_bytes_eq(map, shadow, size, "mapping");
		/* The file lives as long as the mapping; then it goes. */
		igt_assert_eq(drm_clients(fd), clients + 1);
		if (round % 2)
			igt_assert_eq(munmap(map, size), 0);
		vttm_gem_sync(fd, handle);
		vttm_assert_device_eq(fd, handle, shadow, size);
		if (!(round % 2))
			igt_assert_eq(munmap(map, size), 0);
		igt_assert_eq(drm_clients(fd), clients);
	}

	close(dmabuf);
	gem_close(fd, handle);
	free(shadow);
}

/*
 * GEM close of a BO's only handle while another thread syncs it: the
 * syncs succeed until the handle is gone and then fail with ENOENT. The
 * mapping keeps the BO alive and usable. When a dma-buf still holds it,
 * importing that gives a new handle, whose sync brings every write, from
 * before and after the close, to the device; when nothing else does, the
 * BO goes with the munmap and not before.
 */
static void test_gem_close_race(int fd)
{
	const uint64_t npages = 128, size = npages * page_size;
	uint8_t *shadow = alloc_bytes(size, 0);
	uint64_t state = 0x6c05e001;
	long long bos = ttm_bo_count();

	for (unsigned int round = 0; round < 12; round++) {
		uint32_t method = race_methods[round % ARRAY_SIZE(race_methods)];
		bool keep_dmabuf = round % 2;
		struct syncer s;
		uint32_t handle;
		uint8_t *map;
		int dmabuf = -1;

		memset(shadow, 0, size);
		handle = vttm_gem_create_method(fd, size, method);
		map = vttm_gem_mmap(fd, handle, size, PROT_READ | PROT_WRITE);
		if (keep_dmabuf)
			dmabuf = prime_handle_to_fd(fd, handle);
		igt_assert_eq(ttm_bo_count(), bos + 1);

		for (unsigned int i = 0; i < 4; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0x6c00 + round);
			write_page(shadow, p, 0x6c00 + round);
		}
		syncer_start(&s, fd, handle, ENOENT);
		syncer_wait(&s, 1);
		for (unsigned int i = 0; i < 4; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0x6d00 + round);
			write_page(shadow, p, 0x6d00 + round);
		}
		/* No BO may be created until the syncer saw ENOENT. */
		gem_close(fd, handle);
		for (unsigned int i = 0; i < 4; i++) {
			uint64_t p = prng_next(&state) % npages;

			write_page(map, p, 0x6e00 + round);
			write_page(shadow, p, 0x6e00 + round);
		}
		syncer_finish(&s);
		vttm_assert_bytes_eq(map, shadow, size, "mapping");

		if (keep_dmabuf) {
			handle = prime_fd_to_handle(fd, dmabuf);
			close(dmabuf);
			vttm_gem_sync(fd, handle);
			vttm_assert_device_eq(fd, handle, shadow, size);
			igt_assert_eq(munmap(map, size), 0);
			igt_assert_eq(ttm_bo_count(), bos + 1);
			gem_close(fd, handle);
		} else {
			/* Only the mapping holds it now. */
			igt_assert_eq(ttm_bo_count(), bos + 1);
			igt_assert_eq(munmap(map, size), 0);
		}
		assert_bo_count(bos);
	}
	free(shadow);
}

/*
 * Fork, again and again, while another thread syncs. Each child writes
 * through the mapping it inherited (shared: vttm refuses private
 * writable mappings), syncs through the inherited file and checks that
 * the device has its writes: the child's copy of the mapping is tracked
 * like the parent's, whatever the sync in flight at the fork did. The
 * parent then finds every child's writes on the device.
 */
static void test_fork_race(int fd)
{
	const uint64_t npages = 64, size = npages * page_size;
	uint64_t state = 0xf02c0001;
	uint32_t probe;
	void *ptr;

	/*
	 * A child can only inherit shared mappings: TTM refuses every
	 * private one, read-only too (it may become writable, copy on
	 * write), so no child ever holds a copy the tracking cannot see.
	 */
	probe = vttm_gem_create(fd, page_size);
	ptr = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE, fd,
		   vttm_gem_mmap_offset(fd, probe));
	igt_assert(ptr == MAP_FAILED);
	igt_assert_eq(errno, EINVAL);
	gem_close(fd, probe);

	for (unsigned int m = 0; m < ARRAY_SIZE(race_methods); m++) {
		uint8_t *shadow = alloc_bytes(size, 0);
		uint8_t *dev = alloc_bytes(page_size, 0);
		struct syncer s;
		uint32_t handle;
		uint8_t *map;

		handle = vttm_gem_create_method(fd, size, race_methods[m]);
		map = vttm_gem_mmap(fd, handle, size, PROT_READ | PROT_WRITE);
		syncer_start(&s, fd, handle, 0);
		syncer_wait(&s, 1);

		for (unsigned int round = 0; round < 8; round++) {
			uint64_t mine = prng_next(&state) % npages;
			uint64_t child[3];
			uint32_t seed = 0xf000 + m * 0x100 + round;
			int status;
			pid_t pid;

			write_page(map, mine, seed);
			write_page(shadow, mine, seed);
			for (unsigned int i = 0; i < 3; i++)
				child[i] = prng_next(&state) % npages;

			pid = fork();
			igt_assert(pid >= 0);
			if (!pid) {
				/* No IGT asserts in a raw child: exit codes. */
				struct drm_vttm_gem_sync sync = {
					.handle = handle,
				};

				if (memcmp(map + mine * page_size,
					   shadow + mine * page_size, page_size))
					_exit(2);
				for (unsigned int i = 0; i < 3; i++)
					write_page(map, child[i], seed + 0x80);
				if (__vttm_gem_sync(fd, &sync))
					_exit(3);
				for (unsigned int i = 0; i < 3; i++) {
					struct drm_vttm_device_read rd = {
						.handle = handle,
						.offset = child[i] * page_size,
						.size = page_size,
						.data_ptr = to_user_pointer(dev),
					};

					if (__vttm_device_read(fd, &rd))
						_exit(4);
					if (memcmp(dev, map + child[i] * page_size,
						   page_size))
						_exit(5);
				}
				_exit(0);
			}
			igt_assert_eq(waitpid(pid, &status, 0), pid);
			igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
				     "child of round %u: status %#x (2: parent's write unseen, 3: sync failed, 4: device read failed, 5: its writes not on the device after its sync)\n",
				     round, status);
			for (unsigned int i = 0; i < 3; i++)
				write_page(shadow, child[i], seed + 0x80);
		}

		syncer_finish(&s);
		vttm_gem_sync(fd, handle);
		vttm_assert_bytes_eq(map, shadow, size, "mapping");
		vttm_assert_device_eq(fd, handle, shadow, size);

		munmap(map, size);
		gem_close(fd, handle);
		free(dev);
		free(shadow);
	}
}

/* ------------------------------------------------------------------ */
/* Processes exiting while a sibling syncs                            */
/* ------------------------------------------------------------------ */

#define EXIT_BOS	6
#define EXIT_PAGES	64

struct exit_shared {
	int stop;
	uint64_t sibling_syncs;
	uint64_t done[EXIT_BOS];	/* records a writer has stored */
};

/* Record @seq (from 1) goes to a page in turn, then the next word. */
static uint64_t record_slot(uint64_t seq)
{
	uint64_t k = seq - 1;

	return k % EXIT_PAGES * words_per_page +
		k / EXIT_PAGES % words_per_page;
}

static uint64_t record(unsigned int bo, uint64_t seq)
{
	return (uint64_t)(bo + 1) << 48 | seq;
}

/* What a BO holds once records 1..@n of writer @bo are stored. */
static void records_expected(uint64_t *want, unsigned int bo, uint64_t n)
{
	uint64_t slots = EXIT_PAGES * words_per_page;

	memset(want, 0, EXIT_PAGES * page_size);
	for (uint64_t seq = n > slots ? n - slots + 1 : 1; seq <= n; seq++)
		want[record_slot(seq)] = record(bo, seq);
}

/*
 * A raw child process (fork(), no IGT in it) with its own DRM file: it
 * imports the BO, maps it and stores records, @count of them or until it
 * is killed, publishing how many it stored; then it exits with the file,
 * the handle and the mapping still open, for the exit to tear down.
 */
static void __attribute__((noreturn))
record_writer(const char *node, int dmabuf, unsigned int bo,
	      uint64_t count, uint64_t *done)
{
	struct drm_prime_handle import = { .fd = dmabuf };
	struct drm_vttm_gem_mmap_offset off = {};
	uint64_t *map;
	int cfd;

	cfd = open(node, O_RDWR);
	if (cfd < 0 || igt_ioctl(cfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &import))
		_exit(2);
	off.handle = import.handle;
	if (__vttm_gem_mmap_offset(cfd, &off))
		_exit(2);
	map = mmap(NULL, EXIT_PAGES * page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, cfd, off.offset);
	if (map == MAP_FAILED)
		_exit(3);

	for (uint64_t seq = 1; !count || seq <= count; seq++) {
		__atomic_store_n(&map[record_slot(seq)], record(bo, seq),
				 __ATOMIC_RELAXED);
		__atomic_store_n(done, seq, __ATOMIC_RELEASE);
	}
	_exit(0);
}

/*
 * The sibling: another process with its own file and handles, syncing
 * every BO in turn, and reading the device copy back, until told to stop.
 * Every sync must succeed whatever the writers' exits do.
 */
static void exit_sibling(const int *dmabuf, struct exit_shared *sh)
{
	uint8_t *buf = alloc_bytes(EXIT_PAGES * page_size, 0);
	uint32_t handle[EXIT_BOS];
	int sfd = drm_open_vttm();

	for (unsigned int b = 0; b < EXIT_BOS; b++)
		handle[b] = prime_fd_to_handle(sfd, dmabuf[b]);

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned int b = 0; b < EXIT_BOS; b++) {
			vttm_gem_sync(sfd, handle[b]);
			vttm_device_read(sfd, handle[b], 0, buf,
					 EXIT_PAGES * page_size);
			__atomic_add_fetch(&sh->sibling_syncs, 1,
					   __ATOMIC_RELAXED);
		}
	}

	for (unsigned int b = 0; b < EXIT_BOS; b++)
		gem_close(sfd, handle[b]);
	close(sfd);
	free(buf);
}

/*
 * One writer process per BO, each exiting (after @kill, killed by
 * SIGKILL in the middle of its stores) while the sibling syncs; then every
 * record stored is in the BO and, after one sync, on the device.
 */
static void test_exit_race(int fd, bool kill_it)
{
	struct exit_shared *sh = shared_alloc(sizeof(*sh));
	uint64_t size = EXIT_PAGES * page_size;
	uint64_t *want = alloc_bytes(size, 0);
	uint64_t *want_next = alloc_bytes(size, 0);
	uint64_t state = 0xe417 + kill_it;
	uint32_t handle[EXIT_BOS];
	int dmabuf[EXIT_BOS];
	uint8_t *map[EXIT_BOS];
	char link[64], node[256];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, node, sizeof(node) - 1);
	igt_assert_lt(0, len);
	node[len] = 0;
	for (unsigned int b = 0; b < EXIT_BOS; b++) {
		uint32_t method = race_methods[b % ARRAY_SIZE(race_methods)];

		handle[b] = vttm_gem_create_method(fd, size, method);
		dmabuf[b] = prime_handle_to_fd(fd, handle[b]);
		map[b] = vttm_gem_mmap(fd, handle[b], size, PROT_READ);
	}

	igt_fork(child, 1)
		exit_sibling(dmabuf, sh);
	/* Let the sibling get going: every exit below races with it. */
	for (unsigned int i = 0; i < WAIT_MS &&
	     !__atomic_load_n(&sh->sibling_syncs, __ATOMIC_ACQUIRE); i++)
		pause_us(1000);

	for (unsigned int b = 0; b < EXIT_BOS; b++) {
		uint64_t count = kill_it ? 0 :
			EXIT_PAGES * 3 + prng_next(&state) % EXIT_PAGES;
		int status;
		pid_t pid;

		pid = fork();
		igt_assert(pid >= 0);
		if (!pid)
			record_writer(node, dmabuf[b], b, count, &sh->done[b]);

		if (kill_it) {
			/* Past the first faults, then at a random point. */
			uint64_t until = EXIT_PAGES * 2 +
				prng_next(&state) % (EXIT_PAGES * 4);

			for (unsigned int i = 0; i < WAIT_MS &&
			     __atomic_load_n(&sh->done[b], __ATOMIC_ACQUIRE) <
			     until; i++) {
				if (waitpid(pid, &status, WNOHANG) == pid)
					igt_assert_f(false, "writer %u exited early: %#x\n",
						     b, status);
				pause_us(1000);
			}
			igt_assert_eq(kill(pid, SIGKILL), 0);
		}
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		if (kill_it)
			igt_assert_f(WIFSIGNALED(status) &&
				     WTERMSIG(status) == SIGKILL,
				     "writer %u: status %#x\n", b, status);
		else
			igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
				     "writer %u: status %#x\n", b, status);
	}

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	igt_waitchildren_timeout(WAIT_MS / 1000, "sibling");
	igt_info("%llu syncs by the sibling while %u writers %s\n",
		 (unsigned long long)sh->sibling_syncs, EXIT_BOS,
		 kill_it ? "were killed" : "exited");

	for (unsigned int b = 0; b < EXIT_BOS; b++) {
		uint64_t n = sh->done[b];

		/*
		 * A killed writer may have stored one record more than it
		 * published.
		 */
		records_expected(want, b, n);
		records_expected(want_next, b, n + 1);
		if (kill_it && memcmp(map[b], want, size))
			memcpy(want, want_next, size);
		vttm_assert_bytes_eq(map[b], want, size, "BO");
		vttm_gem_sync(fd, handle[b]);
		vttm_assert_device_eq(fd, handle[b], want, size);

		munmap(map[b], size);
		close(dmabuf[b]);
		gem_close(fd, handle[b]);
	}
	free(want_next);
	free(want);
	munmap(sh, sizeof(*sh));
}

/*
 * Another process maps a BO through GEM and through its dma-buf, then
 * every handle goes, the parent's and its own, and then the dma-buf: the
 * BO outlives them all in the remaining mapping, which stays readable and
 * writable (the writes go nowhere a sync can reach, but must not fault or
 * oops), until its munmap destroys it.
 */
static void test_destroyed_while_mapped(int fd)
{
	const uint64_t npages = 32, size = npages * page_size;
	uint8_t *first = alloc_bytes(size, 0);
	long long bos = ttm_bo_count();
	int ready[2], go[2];
	uint32_t handle;
	int dmabuf;

	for (uint64_t p = 0; p < npages; p++)
		write_page(first, p, 0xde00);
	handle = vttm_gem_create_method(fd, size, VTTM_METHOD_MKWRITE);
	dmabuf = prime_handle_to_fd_for_mmap(fd, handle);
	igt_assert_fd(dmabuf);
	igt_assert_eq(pipe(ready), 0);
	igt_assert_eq(pipe(go), 0);

	igt_fork(child, 1) {
		uint8_t *want = alloc_bytes(size, 0);
		uint8_t *gmap, *dmap;
		uint32_t h;
		int cfd;

		close(ready[0]);
		close(go[1]);
		cfd = drm_open_vttm();
		h = prime_fd_to_handle(cfd, dmabuf);
		gmap = vttm_gem_mmap(cfd, h, size, PROT_READ | PROT_WRITE);
		dmap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    dmabuf, 0);
		igt_assert(dmap != MAP_FAILED);
		close(dmabuf);

		/* Half through each mapping. */
		for (uint64_t p = 0; p < npages; p++)
			write_page(p % 2 ? gmap : dmap, p, 0xde00);
		pipe_post(ready[1]);
		igt_assert(pipe_wait(go[0]));	/* the parent's handle is gone */

		gem_close(cfd, h);		/* and now the last one */
		for (uint64_t p = 0; p < npages; p += 3) {
			write_page(gmap, p, 0xde01);
			write_page(want, p, 0xde01);
		}
		for (uint64_t p = 1; p < npages; p += 3) {
			write_page(dmap, p, 0xde02);
			write_page(want, p, 0xde02);
		}
		for (uint64_t p = 2; p < npages; p += 3)
			write_page(want, p, 0xde00);
		vttm_assert_bytes_eq(gmap, want, size, "GEM mapping");
		vttm_assert_bytes_eq(dmap, want, size, "dma-buf mapping");

		/* The dma-buf held the last GEM reference. */
		igt_assert_eq(munmap(dmap, size), 0);
		for (uint64_t p = 2; p < npages; p += 3) {
			write_page(gmap, p, 0xde03);
			write_page(want, p, 0xde03);
		}
		vttm_assert_bytes_eq(gmap, want, size, "GEM mapping");
		pipe_post(ready[1]);
		igt_assert(pipe_wait(go[0]));	/* the BO is still counted */

		igt_assert_eq(munmap(gmap, size), 0);
		pipe_post(ready[1]);
		igt_assert(pipe_wait(go[0]));	/* and now it is gone */
		close(cfd);
		free(want);
	}
	close(ready[1]);
	close(go[0]);

	igt_assert(pipe_wait(ready[0]));
	/* What the other process wrote while the BO had handles arrived. */
	vttm_gem_sync(fd, handle);
	vttm_assert_device_eq(fd, handle, first, size);
	gem_close(fd, handle);
	close(dmabuf);
	pipe_post(go[1]);

	igt_assert(pipe_wait(ready[0]));
	igt_assert_eq(ttm_bo_count(), bos + 1);
	pipe_post(go[1]);

	igt_assert(pipe_wait(ready[0]));
	assert_bo_count(bos);
	pipe_post(go[1]);

	igt_waitchildren();
	close(ready[0]);
	close(go[1]);
	free(first);
}

/* ------------------------------------------------------------------ */
/* Memory pressure                                                    */
/* ------------------------------------------------------------------ */

static void set_expect_placement(int fd, struct bo *set, uint32_t placement)
{
	for (unsigned int i = 0; i < NSET; i++)
		igt_assert_f(vttm_gem_placement(fd, set[i].handle) == placement,
			     "%s is in placement %u, want %u\n", set[i].name,
			     vttm_gem_placement(fd, set[i].handle), placement);
}

static void set_move(int fd, struct bo *set, uint32_t placement)
{
	for (unsigned int i = 0; i < NSET; i++)
		vttm_gem_move(fd, set[i].handle, placement);
}

/*
 * Fill device memory with other BOs, evicting whatever was there: two
 * of a quarter each, which evict what they must, then one as large as
 * all of it, which evicts everything else, the first two included.
 */
#define FILLERS	3

static void fill_device(int fd, uint32_t *fillers, uint64_t dev_size)
{
	for (unsigned int i = 0; i < FILLERS; i++) {
		uint64_t size = i + 1 < FILLERS ? dev_size / 4 : dev_size;

		fillers[i] = vttm_gem_create_method(fd, size, VTTM_METHOD_NONE);
		vttm_gem_move(fd, fillers[i], VTTM_PLACEMENT_DEVICE);
	}
	igt_assert_eq_u32(vttm_gem_placement(fd, fillers[FILLERS - 1]),
			  VTTM_PLACEMENT_DEVICE);
}

static void close_fillers(int fd, uint32_t *fillers)
{
	for (unsigned int i = 0; i < FILLERS; i++)
		gem_close(fd, fillers[i]);
}

static uint64_t device_mem(int fd, uint64_t need)
{
	vttm_require_device_mem(fd, need);

	return vttm_get_param(fd, VTTM_PARAM_DEVICE_MEM_SIZE);
}

/*
 * BOs in device memory, written since their last sync, are evicted to
 * system memory when other BOs fill device memory; written again, and
 * moved back in, evicting those. Each sync copies exactly the pages
 * written, from before and after every eviction.
 */
static void test_eviction(int fd)
{
	uint64_t state = 0xe71c0001;
	uint32_t fillers[FILLERS];
	struct bo set[NSET];
	uint64_t dev_size, pages;

	pages = set_init(fd, set);
	dev_size = device_mem(fd, pages * page_size);

	set_move(fd, set, VTTM_PLACEMENT_DEVICE);
	set_dirty(fd, set, &state, 0xe700);

	fill_device(fd, fillers, dev_size);
	set_expect_placement(fd, set, VTTM_PLACEMENT_SYSTEM);
	set_write_and_sync(fd, set, &state, 0xe702);

	/* Dirty again, then back in: the fillers make room. */
	for (unsigned int i = 0; i < NSET; i++)
		bo_write_random(&set[i], 3, &state, 0xe703);
	set_move(fd, set, VTTM_PLACEMENT_DEVICE);
	set_expect_placement(fd, set, VTTM_PLACEMENT_DEVICE);
	set_write_and_sync(fd, set, &state, 0xe704);

	close_fillers(fd, fillers);
	set_fini(fd, set);
}

/*
 * Written BOs are swapped out to shmem before their next sync, as TTM's
 * shrinker does under memory pressure. The sync brings them back and
 * copies exactly the pages written; so does one after writes that fault
 * a swapped-out BO back in.
 */
static void test_swapout(int fd)
{
	uint64_t state = 0x5a900001, pages, swapped, shmem;
	struct bo set[NSET];

	require_ttm_debugfs();
	pages = set_init(fd, set);
	set_dirty(fd, set, &state, 0x5a00);

	shmem = shmem_pages();
	swapped = swap_out_all();
	igt_info("swapped out %llu pages, shmem grew by %lld\n",
		 (unsigned long long)swapped,
		 (long long)(shmem_pages() - shmem));
	/* Every one of ours was populated, idle and in system memory. */
	igt_assert_lte_u64(pages, swapped);
	igt_assert_lte_u64(shmem + pages, shmem_pages());

	/* The sync populates from the swapped-out copy. */
	set_sync_expect(fd, set);

	/* Out again; then the writes themselves fault them back in. */
	swapped = swap_out_all();
	igt_assert_lte_u64(pages, swapped);
	set_write_and_sync(fd, set, &state, 0x5a02);

	set_fini(fd, set);
}

/*
 * The same through TTM's page limit: with it lowered, populating another
 * BO swaps the written ones out, and each sync, populating its own BO,
 * swaps the others out in turn. Nothing written is lost.
 */
static void test_page_limit(int fd)
{
	uint64_t state = 0x9a6e0001, pages, shmem;
	struct bo set[NSET];
	uint32_t other;

	igt_require_f(!access(PAGES_LIMIT, W_OK),
		      "needs TTM's pages_limit parameter writable\n");
	pages = set_init(fd, set);
	set_dirty(fd, set, &state, 0x9a00);

	saved_pages_limit = read_number(PAGES_LIMIT);
	igt_assert_lt_u64(0, saved_pages_limit);
	igt_install_exit_handler(restore_pages_limit);

	shmem = shmem_pages();
	write_number(PAGES_LIMIT, 1);
	/* A sync populates a BO in system memory: past the limit now. */
	other = vttm_gem_create_method(fd, 4 * page_size, VTTM_METHOD_NONE);
	vttm_gem_sync(fd, other);
	igt_info("page limit: shmem grew by %lld pages\n",
		 (long long)(shmem_pages() - shmem));
	igt_assert_lte_u64(shmem + pages, shmem_pages());

	/* Still under the limit: each sync swaps the others out. */
	set_sync_expect(fd, set);
	set_write_and_sync(fd, set, &state, 0x9a02);

	restore_pages_limit(0);
	igt_assert_eq_u64(read_number(PAGES_LIMIT), saved_pages_limit);
	saved_pages_limit = 0;

	gem_close(fd, other);
	set_fini(fd, set);
}

/*
 * Evicted from device memory while dirty, then swapped out while still
 * dirty: the sync after both copies exactly what was written.
 */
static void test_evict_then_swapout(int fd)
{
	uint64_t state = 0xe5a90001, dev_size, pages, swapped;
	uint32_t fillers[FILLERS];
	struct bo set[NSET];

	require_ttm_debugfs();
	pages = set_init(fd, set);
	dev_size = device_mem(fd, pages * page_size);

	set_move(fd, set, VTTM_PLACEMENT_DEVICE);
	set_dirty(fd, set, &state, 0xe500);
	fill_device(fd, fillers, dev_size);
	set_expect_placement(fd, set, VTTM_PLACEMENT_SYSTEM);
	for (unsigned int i = 0; i < NSET; i++)
		bo_write_random(&set[i], 2, &state, 0xe502);

	swapped = swap_out_all();
	igt_assert_lte_u64(pages, swapped);
	set_sync_expect(fd, set);

	close_fillers(fd, fillers);
	set_fini(fd, set);
}

/* Writers for the pressure test: records into slots they own. */
#define PRESSURE_WRITERS	2
#define PRESSURE_STEPS		16
#define PRESSURE_MIN_WRITES	2000

struct pwriter {
	pthread_t thread;
	struct bo *set;
	unsigned int id;
	const int *stop;
	uint64_t writes;
};

/*
 * Store records into random pages of random BOs of the set, each into
 * this writer's own word of the page (so the shadow is exact), until the
 * main thread is done and at least PRESSURE_MIN_WRITES were made.
 */
static void *pwriter_fn(void *arg)
{
	struct pwriter *w = arg;
	uint64_t state = 0x9e55 + w->id * 0x9e3779b97f4a7c15ull;
	uint64_t seq;

	for (seq = 1; seq <= PRESSURE_MIN_WRITES ||
	     !__atomic_load_n(w->stop, __ATOMIC_ACQUIRE); seq++) {
		uint64_t r = prng_next(&state);
		struct bo *bo = &w->set[r % NSET];
		uint64_t word = (r >> 8) % bo->npages * words_per_page + w->id;
		uint64_t rec = (uint64_t)(w->id + 1) << 48 | seq;

		__atomic_store_n(&((uint64_t *)bo->map)[word], rec,
				 __ATOMIC_RELAXED);
		((uint64_t *)bo->shadow)[word] = rec;
		if (seq % 64 == 0)
			sched_yield();
	}
	w->writes = seq - 1;

	return NULL;
}

/*
 * Writer threads store into the BOs while the main thread moves them in,
 * fills device memory behind them, takes it back, swaps everything out
 * and syncs: after it all, one sync each and the device copies equal
 * what was written.
 */
static void test_pressure_under_writers(int fd)
{
	struct pwriter w[PRESSURE_WRITERS];
	uint64_t state = 0x9e550001, swapped = 0, writes = 0;
	uint32_t fillers[FILLERS];
	struct bo set[NSET];
	uint64_t dev_size, pages;
	int stop = 0;
	bool all;

	require_ttm_debugfs();
	pages = set_init(fd, set);
	dev_size = device_mem(fd, pages * page_size);

	for (unsigned int i = 0; i < PRESSURE_WRITERS; i++) {
		w[i] = (struct pwriter){ .set = set, .id = i, .stop = &stop };
		igt_assert_eq(pthread_create(&w[i].thread, NULL, pwriter_fn,
					     &w[i]), 0);
	}

	for (unsigned int step = 0; step < PRESSURE_STEPS; step++) {
		struct bo *bo = &set[prng_next(&state) % NSET];

		switch (step % 4) {
		case 0:
			set_move(fd, set, VTTM_PLACEMENT_DEVICE);
			break;
		case 1:
			fill_device(fd, fillers, dev_size);
			break;
		case 2:
			close_fillers(fd, fillers);
			break;
		case 3:
			/* The writers fault BOs back in: a round's worth. */
			swapped += swap_out(2 * NSET, &all);
			break;
		}
		vttm_gem_sync(fd, bo->handle);
	}

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < PRESSURE_WRITERS; i++) {
		igt_assert_eq(pthread_join(w[i].thread, NULL), 0);
		writes += w[i].writes;
	}
	igt_info("%llu writes against %u steps, %llu pages swapped out\n",
		 (unsigned long long)writes, PRESSURE_STEPS,
		 (unsigned long long)swapped);
	igt_assert_lt_u64(0, swapped);

	for (unsigned int i = 0; i < NSET; i++) {
		vttm_assert_bytes_eq(set[i].map, set[i].shadow, set[i].size,
				     set[i].name);
		vttm_gem_sync(fd, set[i].handle);
		vttm_assert_device_eq(fd, set[i].handle, set[i].shadow,
				      set[i].size);
	}
	set_fini(fd, set);
}

igt_main
{
	int fd = -1;

	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		words_per_page = page_size / 8;
		fd = drm_open_vttm();
	}

	igt_subtest_group {
		igt_fixture
			require_ttm_debugfs();

		igt_describe("munmap, whole or in pieces, while a thread syncs: no loss.");
		igt_subtest("munmap-while-another-thread-syncs")
			test_munmap_race(fd);

		igt_describe("munmap while the method switches: the zapped dirty bits arrive.");
		igt_subtest("munmap-while-the-method-switches")
			test_munmap_switch_race(fd);

		igt_describe("close() of a DRM fd while a thread syncs on it: EBADF, no loss.");
		igt_subtest("close-fd-while-another-thread-syncs")
			test_close_fd_race(fd);

		igt_describe("GEM close of the last handle while a thread syncs: ENOENT, no loss.");
		igt_subtest("gem-close-of-the-last-handle-while-another-thread-syncs")
			test_gem_close_race(fd);

		igt_describe("A BO mapped elsewhere lives, writable, until its munmap.");
		igt_subtest("bo-destroyed-while-mapped-in-another-process")
			test_destroyed_while_mapped(fd);
	}

	igt_describe("Fork while another thread syncs: the child's inherited mapping is tracked.");
	igt_subtest("fork-while-a-sync-runs")
		test_fork_race(fd);

	igt_describe("Writers exit, all still open, while a sibling syncs: no loss.");
	igt_subtest("exit-while-a-sibling-syncs")
		test_exit_race(fd, false);

	igt_describe("Writers killed mid-write while a sibling syncs: no loss.");
	igt_subtest("sigkill-mid-write-while-a-sibling-syncs")
		test_exit_race(fd, true);

	igt_describe("Dirty BOs evicted from device memory by others lose nothing.");
	igt_subtest("dirty-bos-evicted-from-device-memory-lose-nothing")
		test_eviction(fd);

	igt_describe("Dirty BOs swapped out by TTM's shrinker lose nothing.");
	igt_subtest("dirty-bos-swapped-out-lose-nothing")
		test_swapout(fd);

	igt_describe("Dirty BOs swapped out under TTM's page limit lose nothing.");
	igt_subtest("dirty-bos-swapped-out-by-the-page-limit-lose-nothing")
		test_page_limit(fd);

	igt_describe("Dirty BOs evicted and then swapped out lose nothing.");
	igt_subtest("dirty-bos-evicted-then-swapped-out-lose-nothing")
		test_evict_then_swapout(fd);

	igt_describe("Evictions and swap-outs while threads write lose nothing.");
	igt_subtest("evictions-and-swap-outs-under-writers-lose-nothing")
		test_pressure_under_writers(fd);

	igt_fixture {
		close(fd);
	}
}
