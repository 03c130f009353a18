// SPDX-License-Identifier: MIT
/*
 * vttm_bench - what keeping a device copy coherent with CPU writes costs,
 * per method, on a vttm device and, for comparison, with the tricks a
 * user-space tool has to play without the kernel's help.
 *
 * A cell is one buffer size, one write pattern, one method and one
 * placement. Each cycle of a cell writes the pattern (the write phase)
 * and then brings the device copy up to date (the sync phase); both are
 * timed separately with CLOCK_MONOTONIC and the medians are reported,
 * along with per-cycle averages of the pages written, the pages copied
 * and the tracking work (faults, scans, switches of method), and the
 * mean cost of a cycle: where the pattern changes, the median shows the
 * steady state and the mean also the cycles a method takes to adapt.
 *
 * A cell is measured in rounds, each on a buffer of its own, the rounds
 * of the methods of one pattern taking turns, and the times reported are
 * those of its cycles taken one by one as the median over the rounds
 * (the counts are averages). Under an emulator a hiccup of the host or
 * guest can add 200 us to one cycle, and two buffers doing the same work
 * can differ by a tenth or more for the whole of their life (where their
 * pages fall in the emulator's TLB, for one): one buffer, measured once,
 * would hand that luck to a method. The hiccups drop out; placement
 * varies only as much as the allocator varies it from round to round
 * (at 64 KiB the rounds' medians agree within a few percent). What every
 * round pays, such as a change of pattern and the cycles a method takes
 * to adapt to it, stays.
 *
 * Methods:
 *   none, mkwrite, pagetable, auto, vmwgfx  a vttm BO created with that
 *        VTTM_METHOD_*, in system placement or moved to device memory;
 *        the sync is DRM_IOCTL_VTTM_GEM_SYNC.
 *   split      hot-region only: the hot region is a BO of its own, mapped
 *        over the rest, and both are AUTO: what tracking each 2 MiB
 *        region of a BO apart could at best achieve.
 *   mprotect   a memfd mapping kept read-only; a SIGSEGV handler records
 *        the page and makes it writable again.
 *   softdirty  the soft-dirty bits: /proc/self/pagemap says which pages
 *        were written, /proc/self/clear_refs ("4") resets them.
 *   uffd-wp    userfaultfd write protection on the memfd mapping; a
 *        thread records the page and lifts the protection.
 *   floor      memcpy of exactly the pages the pattern wrote, from one
 *        buffer to another: what no tracking at all would cost.
 * The user-space methods and the floor keep their own device copy.
 *
 * Every pattern writes one 8-byte word into each page it touches, since
 * tracking costs per page and not per byte, except sequential-all and
 * ring, which fill every page they touch completely, as a streaming
 * upload would. read-mostly reads one word of every page, then writes
 * one page. hot-region fills one 2 MiB region (an eighth of a smaller
 * buffer) whole and writes 0.1% of the other pages, as a BO holding a
 * streamed vertex buffer beside rarely changed data would. All methods
 * see the same page sequence for a given size and pattern: the PRNG is
 * reseeded with a fixed seed for each cell.
 *
 * At the end of each cell the device copy is compared with the buffer;
 * a mismatch is fatal, as the numbers of a method that loses writes
 * mean nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if __has_include("x86intrin.h")
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

#include <drm.h>

#include "vttm_drm.h"
#include "vttm_tool.h"

#define MAX_SIZES	16
#define MAX_ROUNDS	32
#define STRINGIFY(x)	#x
#define TO_STRING(x)	STRINGIFY(x)
#define READ_CHUNK	(16ul << 20)
#define PM_SOFT_DIRTY	(1ull << 55)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

enum pattern {
	PAT_ONE_PAGE,
	PAT_SPARSE,
	PAT_CLUSTERED,
	PAT_SEQUENTIAL,
	PAT_RING,
	PAT_READ_MOSTLY,
	PAT_PHASE_CHANGE,
	PAT_HOT_REGION,
	NR_PATTERNS
};

static const char *const pattern_names[NR_PATTERNS] = {
	"one-page", "sparse-1pct", "clustered-10pct", "sequential-all",
	"ring", "read-mostly", "phase-change", "hot-region",
};

/* In the order cells run: the floor and none first, the references. */
enum method {
	M_FLOOR,
	M_NONE,
	M_MKWRITE,
	M_PAGETABLE,
	M_AUTO,
	M_VMWGFX,
	M_SPLIT,
	M_MPROTECT,
	M_SOFTDIRTY,
	M_UFFD_WP,
	NR_METHODS
};

static const char *const method_names[NR_METHODS] = {
	"floor", "none", "mkwrite", "pagetable", "auto", "vmwgfx", "split",
	"mprotect", "softdirty", "uffd-wp",
};

static const uint32_t vttm_methods[NR_METHODS] = {
	[M_NONE] = VTTM_METHOD_NONE,
	[M_MKWRITE] = VTTM_METHOD_MKWRITE,
	[M_PAGETABLE] = VTTM_METHOD_PAGETABLE,
	[M_AUTO] = VTTM_METHOD_AUTO,
	[M_VMWGFX] = VTTM_METHOD_AUTO_VMWGFX,
	[M_SPLIT] = VTTM_METHOD_AUTO,
};

static bool is_kernel_method(enum method m)
{
	return m >= M_NONE && m <= M_SPLIT;
}

enum placement { PL_SYSTEM, PL_DEVICE, PL_MEMFD };

static const char *const placement_names[] = { "system", "device", "memfd" };

struct options {
	uint64_t sizes[MAX_SIZES];
	unsigned int nr_sizes;
	unsigned int patterns;		/* bit mask of enum pattern */
	unsigned int methods;		/* bit mask of enum method */
	bool system, device;
	unsigned int cycles;		/* 0: by size */
	unsigned int rounds;		/* 0: by size */
	bool quick;
	const char *label;
	const char *csv;
	const char *trace;
};

/* The pages one cycle touches, and how. */
struct plan {
	uint32_t *pages;
	size_t count;
	size_t nr_fill;		/* the first nr_fill pages written whole */
	bool read_all;		/* read one word of every page first */
};

struct counters {
	uint64_t faults, scans, switches;
};

struct cell {
	enum method method;
	enum placement placement;
	unsigned int round;
	size_t size, npages;
	uint8_t *buf;		/* what the CPU writes */
	uint8_t *copy;		/* device copy of the user-space methods */
	uint8_t *copy_map;	/* the mapping it lies in, a page larger */
	uint64_t scan_ns, copy_ns;	/* GEM_INFO's, at the last trace row */
	uint32_t handle;
	/* split: the BO mapped over the hot region, at hot_first */
	uint32_t hot_handle;
	size_t hot_first, hot_count;
	int memfd;
	/* pages recorded dirty by mprotect and uffd-wp */
	uint8_t *dirty;
	uint32_t *list;
	size_t nr_listed;
	uint64_t faults, scans;
	/* softdirty */
	int pagemap_fd, clear_fd;
	uint64_t *pagemap;
	/* uffd-wp */
	int uffd, stop_fd;
	pthread_t thread;
	bool thread_started;
	/* floor: the pages of the current cycle */
	const struct plan *plan;
};

static long page_size;
static int vttm_fd = -1;
static uint64_t device_mem;

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vttm_bench: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory");
	return p;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", size, strerror(errno));
	return p;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Nanoseconds per TSC tick; zero while CLOCK_MONOTONIC is used. */
static double tsc_ns;

static uint64_t now_ns(void)
{
#ifdef HAVE_TSC
	if (tsc_ns)
		return (uint64_t)(__rdtsc() * tsc_ns);
#endif
	return mono_ns();
}

/* The smallest step CLOCK_MONOTONIC takes, watched for up to 50 ms. */
static uint64_t clock_step(void)
{
	uint64_t start = mono_ns(), prev = start, step = UINT64_MAX;

	while (prev - start < 50000000ull) {
		uint64_t t = mono_ns();

		if (t != prev && t - prev < step)
			step = t - prev;
		prev = t;
	}

	return step;
}

/*
 * A guest that found its TSC unstable runs CLOCK_MONOTONIC on jiffies,
 * whose steps of milliseconds hide every cost measured here. Then the
 * cycles are timed with the TSC, scaled against CLOCK_MONOTONIC over
 * 400 ms measured from one clock step to another; the TSC only has to
 * advance at a steady rate for the few milliseconds of a cycle.
 */
static void pick_timer(uint64_t *step)
{
#ifdef HAVE_TSC
	uint64_t t0, t1, prev, c0, c1;
#endif

	*step = clock_step();
	if (*step <= 10000)
		return;
#ifdef HAVE_TSC
	t0 = mono_ns();
	while ((t1 = mono_ns()) == t0)
		;
	c0 = __rdtsc();
	t0 = t1;
	prev = t1;
	for (;;) {
		t1 = mono_ns();
		c1 = __rdtsc();
		if (t1 != prev && t1 - t0 >= 400000000ull)
			break;
		prev = t1;
	}
	if (c1 > c0)
		tsc_ns = (double)(t1 - t0) / (c1 - c0);
#endif
}

/* xorshift64*: small, fast and the same everywhere. */
static uint64_t rng_state;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t rng_next(void)
{
	return xorshift(&rng_state);
}

static size_t rng_below(size_t n)
{
	return rng_next() % n;
}

/* ---- patterns ---- */

/* Marks @page in @seen and appends it to @plan unless already there. */
static void plan_add(struct plan *plan, uint8_t *seen, size_t page)
{
	if (seen[page])
		return;
	seen[page] = 1;
	plan->pages[plan->count++] = page;
}

static void plan_random(struct plan *plan, uint8_t *seen, size_t npages,
			size_t want)
{
	while (plan->count < want)
		plan_add(plan, seen, rng_below(npages));
}

/*
 * The hot region of hot-region: 2 MiB (or an eighth of a smaller buffer),
 * aligned to its size, in the middle of the buffer. The rest of the buffer
 * is cold: 0.1% of it (at least a page) is written per cycle. Where each
 * region is best tracked by another method, the cold part must be too
 * sparse for a scan of its PTEs to pay, and 1% is not, here.
 */
static void hot_region(size_t npages, size_t *first, size_t *count)
{
	size_t n = (2ul << 20) / page_size;

	if (n > npages / 8)
		n = npages / 8 ? npages / 8 : 1;
	*count = n;
	*first = npages / 2 / n * n;
}

/*
 * Fills @plan with the pages cycle @index of @nr (negative: a warm-up
 * cycle) writes. Random page sets hold no duplicates, so "pages written"
 * is exact for every pattern.
 */
static void make_plan(enum pattern pat, int index, unsigned int nr,
		      size_t npages, size_t *ring_pos, uint8_t *seen,
		      struct plan *plan)
{
	size_t want, i, first, count;

	plan->count = 0;
	plan->nr_fill = 0;
	plan->read_all = false;
	memset(seen, 0, npages);

	if (pat == PAT_PHASE_CHANGE) {
		/* thirds: sparse, then sequential, then sparse again */
		if (index >= (int)nr / 3 && index < 2 * (int)nr / 3)
			pat = PAT_SEQUENTIAL;
		else
			pat = PAT_SPARSE;
	}

	switch (pat) {
	case PAT_ONE_PAGE:
		plan_random(plan, seen, npages, 1);
		break;
	case PAT_READ_MOSTLY:
		plan->read_all = true;
		plan_random(plan, seen, npages, 1);
		break;
	case PAT_SPARSE:
		want = npages / 100;
		plan_random(plan, seen, npages, want ? want : 1);
		break;
	case PAT_CLUSTERED:
		/*
		 * 10% of the pages (at least one), in runs of 16 at random
		 * starts; the last run is cut short to hit the count, and
		 * runs may overlap, in which case more runs are added.
		 */
		want = npages / 10;
		if (!want)
			want = 1;
		while (plan->count < want) {
			size_t run = npages < 16 ? npages : 16;
			size_t start = rng_below(npages - run + 1);

			for (i = 0; i < run && plan->count < want; i++)
				plan_add(plan, seen, start + i);
		}
		break;
	case PAT_SEQUENTIAL:
		for (i = 0; i < npages; i++)
			plan->pages[plan->count++] = i;
		plan->nr_fill = plan->count;
		break;
	case PAT_RING:
		/* appends 1/16 of the buffer where the last cycle stopped */
		want = npages / 16;
		if (!want)
			want = 1;
		for (i = 0; i < want; i++) {
			plan->pages[plan->count++] = *ring_pos;
			*ring_pos = (*ring_pos + 1) % npages;
		}
		plan->nr_fill = plan->count;
		break;
	case PAT_HOT_REGION:
		/* the hot region whole, then 0.1% of the rest, a word each */
		hot_region(npages, &first, &count);
		for (i = first; i < first + count; i++)
			plan_add(plan, seen, i);
		plan->nr_fill = plan->count;
		want = (npages - count) / 1000;
		plan_random(plan, seen, npages, count + (want ? want : 1));
		break;
	default:
		die("bad pattern %d", pat);
	}
}

/*
 * The host that runs our emulator is shared, and now and then, for tens
 * to hundreds of milliseconds, it runs everything 1.3 to 1.5 times
 * slower: a loop of register arithmetic as much as a cycle's stores,
 * scans and copies. Such spells decided cells: at 256 MiB sparse-1pct in
 * system memory AUTO's cycles fell in them two to three times as often
 * as PAGETABLE's in three runs, which made it 1.15x to 1.2x slower, while
 * their cycles between fast probes cost the same (2774 and 2771 us). So
 * each cycle (of those long enough, below) is framed by two probes of the
 * host's speed, a fixed loop that touches no memory and costs the same
 * under every method, and is run again, once the host is back at speed,
 * if either probe took 1.25 times as long as the fastest of the last two
 * seconds: at most as many times in a round as the round has cycles, and
 * never on phase-change (below).
 */
#define HOST_PROBE_LOOPS	10000
#define HOST_SLOW_PCT		125
#define HOST_WAIT_NS		50000000ull
/*
 * Only a cycle this many times as long as a probe is followed by one. To
 * AUTO the time from one sync to the next is the BO's, against which it
 * weighs what measuring the other method costs: 26 us of probes beside
 * each 6 us cycle made it probe four times as soon, and a 64 KiB BO's
 * phase-change cost 1.13x PAGETABLE's where it had cost 0.96x. Short
 * cycles are many, and their median needs no guard.
 */
#define HOST_FRAME_RATIO	20

/*
 * The fastest probe of the last two seconds, kept per 100 ms. The host's
 * speed drifts over a run (the first probes of one run took 13.2 us, of
 * another 14.9), and a reference that only ever fell had cycles run again
 * 30 times over at probes a few percent slower than a fast moment long
 * before. Counting probes instead of time fails the other way: a slow
 * spell outlasts 64 probes of one-page cycles, which take 20 us each, and
 * the whole spell became the reference (whole rounds ran 1.5x slower,
 * unseen).
 */
#define HOST_BUCKET_NS		100000000ull
#define HOST_BUCKETS		20

static struct {
	uint64_t id;
	uint64_t fastest;
} host_bucket[HOST_BUCKETS];
static uint64_t host_last, host_fastest;
/* Off where the clock is too coarse to time a probe. */
static bool host_guard;

static uint64_t host_probe_loop(unsigned int loops)
{
	uint64_t x = 1, t0 = now_ns();

	for (unsigned int i = 0; i < loops; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return now_ns() - t0;
}

/* Record a probe, and set host_fastest to the window's fastest. */
static void host_window_add(uint64_t probe_ns)
{
	/* Bucket 0 would read as empty. */
	uint64_t id = now_ns() / HOST_BUCKET_NS + HOST_BUCKETS;
	unsigned int slot = id % HOST_BUCKETS;

	if (host_bucket[slot].id != id) {
		host_bucket[slot].id = id;
		host_bucket[slot].fastest = probe_ns;
	} else if (probe_ns < host_bucket[slot].fastest) {
		host_bucket[slot].fastest = probe_ns;
	}

	host_fastest = probe_ns;
	for (unsigned int i = 0; i < HOST_BUCKETS; i++)
		if (host_bucket[i].id + HOST_BUCKETS > id &&
		    host_bucket[i].fastest < host_fastest)
			host_fastest = host_bucket[i].fastest;
}

/* Returns true if the host ran at full speed just now. */
static bool host_at_speed(void)
{
	if (!host_guard)
		return true;
	/*
	 * A short run first: after a TLB flush the emulator finds even
	 * this loop's code the slow way, once, whatever flushed it.
	 */
	host_probe_loop(16);
	host_last = host_probe_loop(HOST_PROBE_LOOPS);
	host_window_add(host_last);
	return host_last * 100 <= host_fastest * HOST_SLOW_PCT;
}

/*
 * Before a cycle is run again: wait, probing, for the host to be back at
 * speed. Not for long: idle or not, QEMU's TLB shrinks after 100 ms of
 * little use, and a cycle then pays for growing it back.
 */
static void host_wait_for_speed(void)
{
	uint64_t end = now_ns() + HOST_WAIT_NS;
	unsigned int fast = 0;

	while (fast < 4 && now_ns() < end)
		fast = host_at_speed() ? fast + 1 : 0;
}

/* --trace: one line per cycle, warm-up included, or NULL. */
static FILE *trace_file;

/* Keeps the reads of read-mostly from being optimized away. */
static uint64_t read_sink;

/* One load from each page: maps the lot without writing any of it. */
static void read_every_page(const uint8_t *buf, size_t npages)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < npages; i++)
		sum += __atomic_load_n((const uint64_t *)(buf + i * page_size),
				       __ATOMIC_RELAXED);
	read_sink = sum;
}

static void run_writes(uint8_t *buf, size_t npages, const struct plan *plan,
		       uint64_t cycle)
{
	uint64_t val = (cycle + 1) * 0x9e3779b97f4a7c15ull;
	size_t words = page_size / sizeof(uint64_t);
	size_t i;

	if (plan->read_all)
		read_every_page(buf, npages);

	for (i = 0; i < plan->count; i++) {
		uint8_t *page = buf + (size_t)plan->pages[i] * page_size;

		if (i < plan->nr_fill) {
			memset(page, (int)((val >> 56) ^ i) & 0xff,
			       page_size);
		} else {
			uint64_t *w = (uint64_t *)page + cycle % words;

			__atomic_store_n(w, val ^ plan->pages[i],
					 __ATOMIC_RELAXED);
		}
	}
}

/* ---- vttm ---- */

static void gem_info(uint32_t handle, struct drm_vttm_gem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_INFO, info))
		die("GEM_INFO: %s", strerror(errno));
}

/*
 * A BO of @size bytes with the cell's method and placement, mapped at
 * @addr (anywhere if NULL), every page faulted in by a read, and synced
 * once so that its device copy equals it.
 *
 * A fault maps at most 16 pages of a BO in system memory, so a pattern
 * that writes 1% of 256 MiB at random would otherwise spend its first
 * twenty cycles mostly on faults that map pages, not on write tracking,
 * and a method's median would depend on how many cycles a cell runs.
 * A read maps each page as its method wants it (read-only for MKWRITE,
 * writable and clean for PAGETABLE) and dirties nothing. A memfd's
 * buffer, likewise, is populated before its first cycle.
 *
 * Returns the mapping, or NULL with errno set if the create failed; every
 * later failure is fatal.
 */
static void *bo_create_mapped(struct cell *c, size_t size, void *addr,
			      uint32_t *handle)
{
	struct drm_vttm_gem_create create = {
		.size = size,
		.flags = VTTM_CREATE_METHOD(vttm_methods[c->method]),
	};
	struct drm_vttm_gem_mmap_offset mo = {};
	struct drm_vttm_gem_sync sync = {};
	void *map;

	if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_CREATE, &create))
		return NULL;
	*handle = create.handle;

	if (c->placement == PL_DEVICE) {
		struct drm_vttm_gem_move move = {
			.handle = create.handle,
			.placement = VTTM_PLACEMENT_DEVICE,
		};

		if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_MOVE, &move))
			die("GEM_MOVE of %zu bytes to device: %s", size,
			    strerror(errno));
	}

	mo.handle = create.handle;
	if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_MMAP_OFFSET, &mo))
		die("GEM_MMAP_OFFSET: %s", strerror(errno));
	map = mmap(addr, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | (addr ? MAP_FIXED : 0), vttm_fd, mo.offset);
	if (map == MAP_FAILED)
		die("mmap of a BO: %s", strerror(errno));
	read_every_page(map, size / page_size);

	sync.handle = create.handle;
	if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_SYNC, &sync))
		die("GEM_SYNC: %s", strerror(errno));

	return map;
}

static int kernel_setup(struct cell *c)
{
	c->buf = bo_create_mapped(c, c->size, NULL, &c->handle);
	if (!c->buf)
		return -errno;
	if (c->method != M_SPLIT)
		return 0;

	/*
	 * What tracking each 2 MiB region of a BO by itself could at best
	 * achieve: the hot region is a BO of its own, mapped over the big
	 * one's pages there, each BO with its own AUTO.
	 */
	hot_region(c->npages, &c->hot_first, &c->hot_count);
	if (!bo_create_mapped(c, c->hot_count * page_size,
			      c->buf + c->hot_first * page_size,
			      &c->hot_handle))
		die("GEM_CREATE of the hot region: %s", strerror(errno));
	return 0;
}

static uint64_t bo_sync(uint32_t handle)
{
	struct drm_vttm_gem_sync sync = { .handle = handle };

	if (xioctl(vttm_fd, DRM_IOCTL_VTTM_GEM_SYNC, &sync))
		die("GEM_SYNC: %s", strerror(errno));
	return sync.pages_copied;
}

static uint64_t kernel_sync(struct cell *c)
{
	uint64_t n = bo_sync(c->handle);

	if (c->hot_handle)
		n += bo_sync(c->hot_handle);
	return n;
}

/* Whether @len bytes of a BO's device copy at @off equal @mem. */
static bool device_matches(uint32_t handle, size_t off, const uint8_t *mem,
			   size_t len)
{
	size_t chunk = len < READ_CHUNK ? len : READ_CHUNK;
	uint8_t *tmp;
	bool ok = true;

	if (!len)
		return true;
	tmp = map_anon(chunk);
	for (size_t done = 0; done < len && ok; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;
		struct drm_vttm_device_read rd = {
			.handle = handle,
			.offset = off + done,
			.size = n,
			.data_ptr = (uintptr_t)tmp,
		};

		if (xioctl(vttm_fd, DRM_IOCTL_VTTM_DEVICE_READ, &rd))
			die("DEVICE_READ: %s", strerror(errno));
		ok = !memcmp(tmp, mem + done, n);
	}
	munmap(tmp, chunk);

	return ok;
}

static bool kernel_verify(struct cell *c)
{
	size_t first, end;

	if (!c->hot_handle)
		return device_matches(c->handle, 0, c->buf, c->size);

	/* split: the big BO outside the hot region, the small one inside */
	first = c->hot_first * page_size;
	end = first + c->hot_count * page_size;
	return device_matches(c->handle, 0, c->buf, first) &&
	       device_matches(c->handle, end, c->buf + end, c->size - end) &&
	       device_matches(c->hot_handle, 0, c->buf + first, end - first);
}

static void kernel_teardown(struct cell *c)
{
	struct drm_gem_close cl = { .handle = c->handle };

	/* one munmap for both BOs of split */
	if (c->buf)
		munmap(c->buf, c->size);
	if (c->handle)
		xioctl(vttm_fd, DRM_IOCTL_GEM_CLOSE, &cl);
	cl.handle = c->hot_handle;
	if (c->hot_handle)
		xioctl(vttm_fd, DRM_IOCTL_GEM_CLOSE, &cl);
}

/* ---- user space: common ---- */

static void record_dirty(struct cell *c, size_t page)
{
	size_t n = __atomic_load_n(&c->nr_listed, __ATOMIC_RELAXED);

	c->faults++;
	if (c->dirty[page])
		return;
	c->dirty[page] = 1;
	c->list[n] = page;
	__atomic_store_n(&c->nr_listed, n + 1, __ATOMIC_RELEASE);
}

/* Copies the listed pages to the device copy and empties the list. */
static uint64_t copy_listed(struct cell *c)
{
	size_t n = __atomic_load_n(&c->nr_listed, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < n; i++) {
		size_t off = (size_t)c->list[i] * page_size;

		memcpy(c->copy + off, c->buf + off, page_size);
		c->dirty[c->list[i]] = 0;
	}
	__atomic_store_n(&c->nr_listed, 0, __ATOMIC_RELEASE);
	c->scans++;

	return n;
}

/*
 * The device copy of a user-space method, zeroed, on a page of the other
 * parity than @c->buf's: the driver's device copy does the same, for the
 * reason given in vttm_bo.c (under emulation, page i of both would share
 * a TLB slot and every load of a copy evict its store's entry).
 */
static void map_copy(struct cell *c)
{
	size_t pb = (uintptr_t)c->buf / page_size;

	c->copy_map = map_anon(c->size + page_size);
	c->copy = c->copy_map;
	if (((uintptr_t)c->copy / page_size & 1) == (pb & 1))
		c->copy += page_size;
	memset(c->copy, 0, c->size);
}

/* A memfd of the cell's size, mapped shared and populated. */
static void memfd_setup(struct cell *c)
{
	void *map;

	c->memfd = memfd_create("vttm_bench", MFD_CLOEXEC);
	if (c->memfd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(c->memfd, c->size))
		die("ftruncate: %s", strerror(errno));
	map = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   c->memfd, 0);
	if (map == MAP_FAILED)
		die("mmap of a memfd: %s", strerror(errno));
	c->buf = map;
	memset(c->buf, 0, c->size);
	map_copy(c);
	c->dirty = xcalloc(c->npages, 1);
	c->list = xcalloc(c->npages, sizeof(*c->list));
}

/* ---- mprotect ---- */

static struct cell *segv_cell;

static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	struct cell *c = segv_cell;
	uint8_t *addr = si->si_addr;
	size_t page;

	(void)uctx;
	if (!c || addr < c->buf || addr >= c->buf + c->size) {
		/* not ours: crash for real on the retried access */
		signal(sig, SIG_DFL);
		return;
	}
	page = (addr - c->buf) / page_size;
	record_dirty(c, page);
	if (mprotect(c->buf + page * page_size, page_size,
		     PROT_READ | PROT_WRITE)) {
		/* e.g. more mappings than vm.max_map_count allows */
		static const char msg[] =
			"vttm_bench: FATAL: mprotect in the SIGSEGV handler failed\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(2);
		_exit(1);
	}
}

static int mprotect_setup(struct cell *c)
{
	struct sigaction sa = {};

	memfd_setup(c);
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	segv_cell = c;
	if (sigaction(SIGSEGV, &sa, NULL))
		die("sigaction: %s", strerror(errno));
	if (mprotect(c->buf, c->size, PROT_READ))
		die("mprotect: %s", strerror(errno));

	return 0;
}

static uint64_t mprotect_sync(struct cell *c)
{
	uint64_t n = copy_listed(c);

	if (mprotect(c->buf, c->size, PROT_READ))
		die("mprotect: %s", strerror(errno));
	return n;
}

static void mprotect_teardown(struct cell *c)
{
	signal(SIGSEGV, SIG_DFL);
	if (segv_cell == c)
		segv_cell = NULL;
}

/* ---- softdirty ---- */

static void clear_soft_dirty(struct cell *c)
{
	if (pwrite(c->clear_fd, "4", 1, 0) != 1)
		die("writing /proc/self/clear_refs: %s", strerror(errno));
}

static int softdirty_setup(struct cell *c)
{
	memfd_setup(c);
	c->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (c->pagemap_fd < 0)
		return -errno;
	c->clear_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (c->clear_fd < 0)
		return -errno;
	c->pagemap = xcalloc(c->npages, sizeof(*c->pagemap));

	/*
	 * Without CONFIG_MEM_SOFT_DIRTY clear_refs accepts "4" and pagemap
	 * never reports a page dirty: check that a write shows.
	 */
	clear_soft_dirty(c);
	__atomic_store_n((uint64_t *)c->buf, 0, __ATOMIC_RELAXED);
	if (pread(c->pagemap_fd, c->pagemap, sizeof(uint64_t),
		  (uintptr_t)c->buf / page_size * sizeof(uint64_t)) !=
	    sizeof(uint64_t))
		return errno ? -errno : -EIO;
	if (!(c->pagemap[0] & PM_SOFT_DIRTY))
		return -EOPNOTSUPP;
	clear_soft_dirty(c);

	return 0;
}

static uint64_t softdirty_sync(struct cell *c)
{
	size_t len = c->npages * sizeof(uint64_t);
	off_t off = (uintptr_t)c->buf / page_size * sizeof(uint64_t);
	uint64_t n = 0;

	if (pread(c->pagemap_fd, c->pagemap, len, off) != (ssize_t)len)
		die("reading /proc/self/pagemap: %s", strerror(errno));
	for (size_t i = 0; i < c->npages; i++) {
		if (!(c->pagemap[i] & PM_SOFT_DIRTY))
			continue;
		memcpy(c->copy + i * page_size, c->buf + i * page_size,
		       page_size);
		n++;
	}
	clear_soft_dirty(c);
	c->scans++;

	return n;
}

static void softdirty_teardown(struct cell *c)
{
	if (c->pagemap_fd > 0)
		close(c->pagemap_fd);
	if (c->clear_fd > 0)
		close(c->clear_fd);
	free(c->pagemap);
}

/* ---- uffd-wp ---- */

static int uffd_protect(struct cell *c, size_t off, size_t len, bool wp)
{
	struct uffdio_writeprotect arg = {
		.range = { .start = (uintptr_t)c->buf + off, .len = len },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return xioctl(c->uffd, UFFDIO_WRITEPROTECT, &arg) ? -errno : 0;
}

static void *uffd_thread(void *arg)
{
	struct cell *c = arg;
	struct pollfd fds[2] = {
		{ .fd = c->uffd, .events = POLLIN },
		{ .fd = c->stop_fd, .events = POLLIN },
	};

	for (;;) {
		struct uffd_msg msg;
		size_t page;
		ssize_t n;
		int err;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll on a userfaultfd: %s", strerror(errno));
		}
		if (fds[1].revents)
			return NULL;
		n = read(c->uffd, &msg, sizeof(msg));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n != sizeof(msg))
			die("reading a userfaultfd: %s", strerror(errno));
		if (msg.event != UFFD_EVENT_PAGEFAULT ||
		    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
			die("unexpected userfaultfd event %u flags %llx",
			    msg.event,
			    (unsigned long long)msg.arg.pagefault.flags);
		page = ((uint8_t *)(uintptr_t)msg.arg.pagefault.address -
			c->buf) / page_size;
		record_dirty(c, page);
		err = uffd_protect(c, page * page_size, page_size, false);
		if (err)
			die("UFFDIO_WRITEPROTECT off: %s", strerror(-err));
	}
}

static int uffd_setup(struct cell *c)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = {};
	int err;

	memfd_setup(c);
	c->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (c->uffd < 0)
		return -errno;
	if (xioctl(c->uffd, UFFDIO_API, &api))
		return -errno;
	if (!(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP))
		return -EOPNOTSUPP;
	reg.range.start = (uintptr_t)c->buf;
	reg.range.len = c->size;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (xioctl(c->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	if (!(reg.ioctls & (1ull << _UFFDIO_WRITEPROTECT)))
		return -EOPNOTSUPP;
	err = uffd_protect(c, 0, c->size, true);
	if (err)
		return err;

	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (c->stop_fd < 0)
		die("eventfd: %s", strerror(errno));
	err = pthread_create(&c->thread, NULL, uffd_thread, c);
	if (err)
		die("pthread_create: %s", strerror(err));
	c->thread_started = true;

	return 0;
}

static uint64_t uffd_sync(struct cell *c)
{
	uint64_t n = copy_listed(c);
	int err = uffd_protect(c, 0, c->size, true);

	if (err)
		die("UFFDIO_WRITEPROTECT on: %s", strerror(-err));
	return n;
}

static void uffd_teardown(struct cell *c)
{
	uint64_t one = 1;

	if (c->thread_started) {
		if (write(c->stop_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write: %s", strerror(errno));
		pthread_join(c->thread, NULL);
	}
	if (c->stop_fd > 0)
		close(c->stop_fd);
	if (c->uffd > 0)
		close(c->uffd);
}

/* ---- floor ---- */

static int floor_setup(struct cell *c)
{
	c->buf = map_anon(c->size);
	memset(c->buf, 0, c->size);
	map_copy(c);

	return 0;
}

static uint64_t floor_sync(struct cell *c)
{
	const struct plan *plan = c->plan;

	for (size_t i = 0; i < plan->count; i++) {
		size_t off = (size_t)plan->pages[i] * page_size;

		memcpy(c->copy + off, c->buf + off, page_size);
	}

	return plan->count;
}

/* ---- dispatch ---- */

static int cell_setup(struct cell *c)
{
	c->memfd = -1;
	c->uffd = -1;
	c->stop_fd = -1;
	c->pagemap_fd = -1;
	c->clear_fd = -1;

	switch (c->method) {
	case M_FLOOR:
		return floor_setup(c);
	case M_MPROTECT:
		return mprotect_setup(c);
	case M_SOFTDIRTY:
		return softdirty_setup(c);
	case M_UFFD_WP:
		return uffd_setup(c);
	default:
		return kernel_setup(c);
	}
}

static uint64_t cell_sync(struct cell *c)
{
	switch (c->method) {
	case M_FLOOR:
		return floor_sync(c);
	case M_MPROTECT:
		return mprotect_sync(c);
	case M_SOFTDIRTY:
		return softdirty_sync(c);
	case M_UFFD_WP:
		return uffd_sync(c);
	default:
		return kernel_sync(c);
	}
}

static void cell_counters(struct cell *c, struct counters *out)
{
	struct drm_vttm_gem_info info;
	struct rusage ru;

	memset(out, 0, sizeof(*out));
	if (is_kernel_method(c->method)) {
		gem_info(c->handle, &info);
		out->faults = info.faults;
		out->scans = info.scans;
		out->switches = info.switches;
		if (c->hot_handle) {
			gem_info(c->hot_handle, &info);
			out->faults += info.faults;
			out->scans += info.scans;
			out->switches += info.switches;
		}
	} else if (c->method == M_SOFTDIRTY) {
		/* soft-dirty faults are invisible; count all minor faults */
		getrusage(RUSAGE_SELF, &ru);
		out->faults = ru.ru_minflt;
		out->scans = c->scans;
	} else {
		out->faults = c->faults;
		out->scans = c->scans;
	}
}

static bool cell_verify(struct cell *c)
{
	if (is_kernel_method(c->method))
		return kernel_verify(c);
	return !memcmp(c->copy, c->buf, c->size);
}

static void cell_teardown(struct cell *c)
{
	switch (c->method) {
	case M_MPROTECT:
		mprotect_teardown(c);
		break;
	case M_SOFTDIRTY:
		softdirty_teardown(c);
		break;
	case M_UFFD_WP:
		uffd_teardown(c);
		break;
	default:
		break;
	}
	if (is_kernel_method(c->method)) {
		kernel_teardown(c);
		return;
	}
	if (c->buf)
		munmap(c->buf, c->size);
	if (c->copy_map)
		munmap(c->copy_map, c->size + page_size);
	if (c->memfd >= 0)
		close(c->memfd);
	free(c->dirty);
	free(c->list);
}

/* ---- one cell ---- */

struct result {
	unsigned int cycles;
	uint64_t median_ns, write_ns, sync_ns;
	/* the median hides how many cycles a change of pattern costs */
	uint64_t mean_ns;
	double pages_written, pages_copied, faults, scans, switches;
	double redone;
};

/* What one round of a cell measured: each cycle, and the sums. */
struct round {
	unsigned int cycles;
	uint64_t *total, *write, *sync;
	uint64_t written, copied, faults, scans, switches;
	unsigned int redone;	/* cycles the host slowed, run again */
};

static void round_free(struct round *rd)
{
	free(rd->total);
	free(rd->write);
	free(rd->sync);
	memset(rd, 0, sizeof(*rd));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * What the per-cycle averages of a cell hide: when AUTO switched, and
 * what each cycle cost under which method. Read outside the timed part.
 */
static void trace_cycle(struct cell *c, enum pattern pat, int index,
			uint64_t write_ns, uint64_t sync_ns, uint64_t copied,
			bool redo)
{
	struct drm_vttm_gem_info info = { 0 };

	if (is_kernel_method(c->method) && c->handle)
		gem_info(c->handle, &info);
	fprintf(trace_file,
		"%s,%zu,%s,%s,%d,%llu,%llu,%llu,%llu,%llu,%u,%u,%llu,%llu,%d,%llu\n",
		placement_names[c->placement], c->size, pattern_names[pat],
		method_names[c->method], index,
		(unsigned long long)write_ns, (unsigned long long)sync_ns,
		(unsigned long long)copied, (unsigned long long)info.faults,
		(unsigned long long)info.switches, info.active_method,
		c->round, (unsigned long long)(info.scan_ns - c->scan_ns),
		(unsigned long long)(info.copy_ns - c->copy_ns), redo,
		(unsigned long long)host_last);
	c->scan_ns = info.scan_ns;
	c->copy_ns = info.copy_ns;
}

/*
 * Under TCG the guest's TLB is QEMU's, which grows at once when a flush
 * finds most of it in use and shrinks only at a flush 100 ms or more
 * after it last changed. Setting up a 256 MiB cell touches all of its
 * pages and grows the TLB; it then shrank in the middle of the measured
 * cycles, making every later copy slower, and earlier in a cell whose
 * cycles were slower. Two idle spells, each ended by a flush (an
 * mprotect() of 256 pages, beyond what the kernel flushes page by page),
 * let it shrink before the first cycle instead.
 */
#define SETTLE_MIN_SIZE	(64ull << 20)
#define SETTLE_US	150000
#define SETTLE_PAGES	256

static void settle_tlb(void)
{
	static uint8_t *scratch;
	size_t len = SETTLE_PAGES * page_size;

	if (!scratch) {
		scratch = map_anon(len);
		memset(scratch, 1, len);
	}
	for (int i = 0; i < 2; i++) {
		usleep(SETTLE_US);
		if (mprotect(scratch, len, PROT_READ) ||
		    mprotect(scratch, len, PROT_READ | PROT_WRITE))
			die("mprotect: %s", strerror(errno));
	}
}

/* Returns 0, or a negative errno if the method cannot run here. */
static int run_cell(enum method m, enum placement pl, size_t size,
		    enum pattern pat, unsigned int round, unsigned int warmup,
		    unsigned int nr, struct round *rd)
{
	struct cell c = {
		.method = m,
		.placement = pl,
		.round = round,
		.size = size,
		.npages = size / page_size,
	};
	uint8_t *seen = xcalloc(c.npages, 1);
	struct plan plan = {
		.pages = xcalloc(c.npages, sizeof(*plan.pages)),
	};
	struct counters before, after;
	size_t ring_pos = 0;
	uint64_t stamp = 0;
	bool fast_before, fast_after, redo = false;
	/*
	 * Not phase-change: it measures how a policy adapts, and a cycle run
	 * again is one more for the policy to adapt in, unmeasured (with
	 * them, the vmwgfx rules' switch at the dense phase went unseen).
	 */
	bool may_redo = pat != PAT_PHASE_CHANGE;
	int err;

	memset(rd, 0, sizeof(*rd));
	/* the same page sequence for every method of a size and pattern */
	rng_state = 0x5eed0000ull ^ (size * 0x9e3779b97f4a7c15ull) ^
		    ((uint64_t)pat << 48);
	if (!rng_state)
		rng_state = 1;

	c.plan = &plan;
	err = cell_setup(&c);
	if (err)
		goto out;
	if (size >= SETTLE_MIN_SIZE)
		settle_tlb();
	/* The first trace row is its own sync's, not the setup's too. */
	if (trace_file && is_kernel_method(m) && c.handle) {
		struct drm_vttm_gem_info info;

		gem_info(c.handle, &info);
		c.scan_ns = info.scan_ns;
		c.copy_ns = info.copy_ns;
	}
	rd->cycles = nr;
	rd->total = xcalloc(nr, sizeof(*rd->total));
	rd->write = xcalloc(nr, sizeof(*rd->write));
	rd->sync = xcalloc(nr, sizeof(*rd->sync));

	fast_before = host_at_speed();
	for (int i = -(int)warmup; i < (int)nr; fast_before = fast_after) {
		uint64_t t0, t1, t2, n;

		/* A cycle run again writes the same pages, new values. */
		if (!redo)
			make_plan(pat, i, nr, c.npages, &ring_pos, seen, &plan);
		if (i == 0 && !redo)
			cell_counters(&c, &before);
		t0 = now_ns();
		run_writes(c.buf, c.npages, &plan, stamp++);
		t1 = now_ns();
		n = cell_sync(&c);
		t2 = now_ns();
		host_last = 0;
		fast_after = t2 - t0 < HOST_FRAME_RATIO * host_fastest ||
			     host_at_speed();
		redo = may_redo && i >= 0 && !(fast_before && fast_after) &&
		       rd->redone < nr;
		if (trace_file)
			trace_cycle(&c, pat, i, t1 - t0, t2 - t1, n, redo);
		if (redo) {
			host_wait_for_speed();
			fast_after = host_at_speed();
			rd->redone++;
			rd->written += plan.count;
			rd->copied += n;
			continue;
		}
		if (i < 0) {
			i++;
			continue;
		}
		rd->total[i] = t2 - t0;
		rd->write[i] = t1 - t0;
		rd->sync[i] = t2 - t1;
		rd->written += plan.count;
		rd->copied += n;
		i++;
	}
	cell_counters(&c, &after);

	if (!cell_verify(&c))
		die("%s %s %zu bytes %s: the device copy differs from the buffer",
		    method_names[m], placement_names[pl], size,
		    pattern_names[pat]);

	rd->faults = after.faults - before.faults;
	rd->scans = after.scans - before.scans;
	rd->switches = after.switches - before.switches;
out:
	cell_teardown(&c);
	free(seen);
	free(plan.pages);
	return err;
}

/* ---- options and output ---- */

static const char usage_text[] =
"usage: vttm_bench [options]\n"
"  --sizes LIST      e.g. 64K,1M,16M,256M (the default)\n"
"  --patterns LIST   one-page,sparse-1pct,clustered-10pct,sequential-all,\n"
"                    ring,read-mostly,phase-change,hot-region\n"
"                    (default: all)\n"
"  --methods LIST    none,mkwrite,pagetable,auto,vmwgfx,split,mprotect,\n"
"                    softdirty,uffd-wp,floor (default: all)\n"
"  --placements LIST system,device (default: both)\n"
"  --cycles N        measured cycles per round (default: by size)\n"
"  --rounds N        rounds per cell, each on a new buffer, 1 to " TO_STRING(MAX_ROUNDS) "\n"
"                    (default: by size)\n"
"  --quick           64K and 1M only, few cycles (a smoke test)\n"
"  --label NAME      first CSV column (default: vttm)\n"
"  --csv FILE        append one CSV row per cell to FILE\n"
"  --trace FILE      append one CSV row per cycle to FILE: placement,\n"
"                    size,pattern,method,cycle (negative: warm-up),\n"
"                    write_ns,sync_ns,pages_copied and, of a vttm BO,\n"
"                    faults,switches (so far), the method in use, the\n"
"                    round, the sync's scan_ns and copy_ns, 1 if the\n"
"                    host slowed and the cycle is run again, and the\n"
"                    host speed probe's ns after it (0: a cycle too\n"
"                    short to probe)\n";

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

static unsigned int parse_names(char *list, const char *const *names,
				unsigned int nr)
{
	unsigned int mask = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		for (i = 0; i < nr; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nr) {
			fprintf(stderr, "vttm_bench: unknown name '%s'\n", tok);
			usage();
		}
		mask |= 1u << i;
	}

	return mask;
}

static void parse_sizes(char *list, struct options *o)
{
	char *tok, *save = NULL;

	o->nr_sizes = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		static const char suffixes[] = "KMG";
		char *end;
		uint64_t v = strtoull(tok, &end, 0);
		const char *sfx = *end ? strchr(suffixes, *end) : NULL;

		if (sfx) {
			v <<= 10 * (sfx - suffixes + 1);
			end++;
		}
		if (*end || !v || v % page_size || v > DRM_VTTM_MAX_BO_SIZE ||
		    o->nr_sizes == MAX_SIZES) {
			fprintf(stderr, "vttm_bench: bad size '%s'\n", tok);
			usage();
		}
		o->sizes[o->nr_sizes++] = v;
	}
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const uint64_t default_sizes[] = {
		64ull << 10, 1ull << 20, 16ull << 20, 256ull << 20,
	};
	bool sizes_given = false;

	o->patterns = (1u << NR_PATTERNS) - 1;
	o->methods = (1u << NR_METHODS) - 1;
	o->system = true;
	o->device = true;
	o->label = "vttm";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			o->quick = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h") || !v)
			usage();
		i++;
		if (!strcmp(a, "--sizes")) {
			parse_sizes(v, o);
			sizes_given = true;
		} else if (!strcmp(a, "--patterns")) {
			o->patterns = parse_names(v, pattern_names,
						  NR_PATTERNS);
		} else if (!strcmp(a, "--methods")) {
			o->methods = parse_names(v, method_names, NR_METHODS);
		} else if (!strcmp(a, "--placements")) {
			unsigned int m = parse_names(v, placement_names, 2);

			o->system = m & 1;
			o->device = m & 2;
		} else if (!strcmp(a, "--cycles")) {
			o->cycles = strtoul(v, NULL, 0);
			if (!o->cycles)
				usage();
		} else if (!strcmp(a, "--rounds")) {
			o->rounds = strtoul(v, NULL, 0);
			if (!o->rounds || o->rounds > MAX_ROUNDS)
				usage();
		} else if (!strcmp(a, "--label")) {
			o->label = v;
		} else if (!strcmp(a, "--csv")) {
			o->csv = v;
		} else if (!strcmp(a, "--trace")) {
			o->trace = v;
		} else {
			usage();
		}
	}

	if (!sizes_given) {
		unsigned int n = o->quick ? 2 : ARRAY_LEN(default_sizes);

		for (unsigned int i = 0; i < n; i++)
			o->sizes[i] = default_sizes[i];
		o->nr_sizes = n;
	}
}

/*
 * Measured cycles for a round. Small buffers cost microseconds a cycle,
 * where a timer tick or a TLB refill under TCG moves one cycle by tens of
 * percent: 150 cycles make their medians steady and cost seconds. 16 MiB
 * gets 24 and 256 MiB 8, which is what a full run under TCG affords for
 * copying all of a BO (none) or tracking it from user space, 0.2 to 1.4 s
 * a cycle. The kernel's tracking methods get 32 at 256 MiB: AUTO's first
 * decisions about a new BO and its first probe take it about eight
 * cycles, all of an 8-cycle cell, where a BO that lives for more than a
 * few frames sees them once; the fixed methods it is compared with get
 * the same. phase-change measures adaptation, so its phases keep one
 * length for every size: three of 10 cycles.
 */
static unsigned int cycles_for(const struct options *o, uint64_t size,
			       enum pattern pat, enum method m)
{
	unsigned int n;

	if (o->cycles)
		n = o->cycles;
	else if (o->quick)
		n = 6;
	else if (pat == PAT_PHASE_CHANGE)
		n = 30;
	else if (size <= (1ull << 20))
		n = 150;
	else if (size <= (16ull << 20))
		n = 24;
	else if (is_kernel_method(m) && m != M_NONE)
		n = 32;
	else
		n = 8;

	if (pat == PAT_PHASE_CHANGE)
		n = (n + 2) / 3 * 3;

	return n;
}

/*
 * Rounds for a cell. What decides a small BO's cycles is its luck: under
 * TCG two BOs running MKWRITE for one page a cycle at 16 MiB took 35 and
 * 127 us a cycle, each for its whole life, and five rounds leave a median
 * a tenth off. So eleven rounds where a round is cheap, every method up
 * to 1 MiB and the kernel's tracking methods at 16 MiB, and 31 for those
 * at 16 MiB of the patterns that write a page or a few a cycle, whose
 * rounds are mostly setting up the BO (0.13 s), for a median within a
 * few percent; five for the whole copies and user-space trackers at
 * 16 MiB (up to 3 s a round). At 256 MiB a cycle spans many of the
 * hiccups that decide a small BO's, but a BO's placement still weighs:
 * two PAGETABLE BOs of hot-region there synced in 1.73 and 2.09 ms a
 * cycle, with the same instruction counts, and a cycle of none on 1%
 * sparse took 410 ms in one run and 160 in the next. So three rounds for
 * what the targets compare (the kernel's methods, none and the floor)
 * and one for the user-space trackers, which take most of the time of a
 * 256 MiB round. Seven for the tracking methods, but for the patterns
 * that write the whole BO: what differs between BOs can be more than
 * what differs between methods (reading a 256 MiB BO took 9 ms a cycle
 * on one and 16 on the next, both MKWRITE; five PAGETABLE BOs took 15 to
 * 26 ms a cycle on ring, bimodally), so three rounds left a cell to the
 * luck of one of them. Writing whole, a cycle takes a second or more and
 * copying dominates it.
 */
static unsigned int rounds_for(const struct options *o, uint64_t size,
			       enum pattern pat, enum method m)
{
	bool tracking = is_kernel_method(m) && m != M_NONE;
	bool few = pat == PAT_ONE_PAGE || pat == PAT_SPARSE ||
		   pat == PAT_READ_MOSTLY;
	bool whole = pat == PAT_SEQUENTIAL || pat == PAT_PHASE_CHANGE;

	if (o->rounds)
		return o->rounds;
	if (o->quick)
		return 1;
	if (size <= (1ull << 20))
		return 11;
	if (size <= (16ull << 20) && tracking)
		return few ? 31 : 11;
	if (size <= (16ull << 20))
		return 5;
	if (tracking && !whole)
		return 7;
	return is_kernel_method(m) || m == M_FLOOR ? 3 : 1;
}

/* Two: the first cycle after settle_tlb() refills a shrunk TLB. */
static unsigned int warmup_for(const struct options *o)
{
	return o->quick ? 1 : 2;
}

static void size_name(uint64_t size, char *out, size_t len)
{
	unsigned long long v = size;

	if (v >= (1ull << 30) && !(v % (1ull << 30)))
		snprintf(out, len, "%lluG", v >> 30);
	else if (v >= (1ull << 20) && !(v % (1ull << 20)))
		snprintf(out, len, "%lluM", v >> 20);
	else if (!(v % 1024))
		snprintf(out, len, "%lluK", v >> 10);
	else
		snprintf(out, len, "%llu", v);
}

static void print_ratio(uint64_t num, uint64_t den)
{
	if (den)
		printf(" %8.2f", (double)num / den);
	else
		printf(" %8s", "-");
}

static const char *const csv_columns[] = {
	"label", "placement", "size_bytes", "pattern", "method", "cycles",
	"median_ns", "write_ns", "sync_ns", "pages_written", "pages_copied",
	"faults", "scans", "switches", "mean_ns", "rounds",
	"round_median_ns", "round_mean_ns", "redone",
};

static FILE *open_csv(const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || ftell(f) < 0)
		die("cannot seek in %s: %s", path, strerror(errno));
	if (ftell(f) == 0) {
		for (size_t i = 0; i < ARRAY_LEN(csv_columns); i++)
			fprintf(f, "%s%c", csv_columns[i],
				i + 1 < ARRAY_LEN(csv_columns) ? ',' : '\n');
	}

	return f;
}

struct run {
	struct options o;
	FILE *csv;
	unsigned int nr_cells, nr_skipped;
	double cycles, redone;
};

/*
 * Each round's own median or mean cycle, separated by ';': how much BOs
 * doing the same work differ, which tells a difference between two
 * methods from the luck of their BOs.
 */
static void csv_rounds(FILE *f, const struct round *rds, unsigned int n,
		       bool mean)
{
	for (unsigned int k = 0; k < n; k++) {
		const struct round *rd = &rds[k];
		uint64_t *v = xcalloc(rd->cycles, sizeof(*v));
		uint64_t sum = 0;

		for (unsigned int i = 0; i < rd->cycles; i++) {
			v[i] = rd->total[i];
			sum += v[i];
		}
		fprintf(f, "%s%llu", k ? ";" : "", (unsigned long long)
			(mean ? sum / rd->cycles : median(v, rd->cycles)));
		free(v);
	}
}

static void csv_row(struct run *run, enum placement where, uint64_t size,
		    enum pattern pat, enum method m, const struct round *rds,
		    unsigned int rounds, const struct result *r)
{
	FILE *f = run->csv;

	fprintf(f, "%s,%s,%llu,%s,%s,%u,", run->o.label,
		placement_names[where], (unsigned long long)size,
		pattern_names[pat], method_names[m], r->cycles);
	fprintf(f, "%llu,%llu,%llu,", (unsigned long long)r->median_ns,
		(unsigned long long)r->write_ns,
		(unsigned long long)r->sync_ns);
	fprintf(f, "%.2f,%.2f,%.2f,%.2f,%.2f,", r->pages_written,
		r->pages_copied, r->faults, r->scans, r->switches);
	/* last, so that readers of the older columns keep working */
	fprintf(f, "%llu,%u,", (unsigned long long)r->mean_ns, rounds);
	csv_rounds(f, rds, rounds, false);
	fputc(',', f);
	csv_rounds(f, rds, rounds, true);
	fprintf(f, ",%.3f\n", r->redone);
	fflush(f);
}

/* Medians of this size and pattern that the ratios compare against. */
struct refs {
	uint64_t floor_ns, none_ns;
};

/* One method in one placement: its rounds, then what they add up to. */
struct slot {
	enum method m;
	enum placement where;
	int err;		/* of the first round that failed */
	bool too_big;
	unsigned int nr_rounds;
	struct round rounds[MAX_ROUNDS];
};

/*
 * A cell's cycles, cycle by cycle the median over its rounds: a cycle
 * that one BO's luck or a hiccup of the host made slow drops out, one
 * that every round pays (a change of pattern, AUTO adapting) stays.
 * Reported are the median of those cycles and, for the changes of
 * pattern, their mean.
 */
static void combine_rounds(const struct round *rds, unsigned int n,
			   struct result *r)
{
	unsigned int nr = rds[0].cycles;
	uint64_t *tot = xcalloc(nr, sizeof(*tot));
	uint64_t *wr = xcalloc(nr, sizeof(*wr));
	uint64_t *sy = xcalloc(nr, sizeof(*sy));
	uint64_t v[MAX_ROUNDS], sum = 0;
	/* The counters count the cycles run again too. */
	double per = (double)n * nr;

	for (unsigned int k = 0; k < n; k++)
		per += rds[k].redone;

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < nr; i++) {
		for (unsigned int k = 0; k < n; k++)
			v[k] = rds[k].total[i];
		tot[i] = median(v, n);
		sum += tot[i];
		for (unsigned int k = 0; k < n; k++)
			v[k] = rds[k].write[i];
		wr[i] = median(v, n);
		for (unsigned int k = 0; k < n; k++)
			v[k] = rds[k].sync[i];
		sy[i] = median(v, n);
	}
	for (unsigned int k = 0; k < n; k++) {
		r->pages_written += rds[k].written / per;
		r->pages_copied += rds[k].copied / per;
		r->faults += rds[k].faults / per;
		r->scans += rds[k].scans / per;
		r->switches += rds[k].switches / per;
		r->redone += (double)rds[k].redone / ((double)n * nr);
	}
	r->cycles = n * nr;
	r->mean_ns = sum / nr;
	r->median_ns = median(tot, nr);
	r->write_ns = median(wr, nr);
	r->sync_ns = median(sy, nr);
	free(tot);
	free(wr);
	free(sy);
}

static void measure_round(struct run *run, uint64_t size, enum pattern pat,
			  struct slot *sl, unsigned int round)
{
	if (sl->too_big || sl->err)
		return;
	if (sl->where == PL_DEVICE && size > device_mem) {
		sl->too_big = true;
		return;
	}
	sl->err = run_cell(sl->m, sl->where, size, pat, round,
			   warmup_for(&run->o),
			   cycles_for(&run->o, size, pat, sl->m),
			   &sl->rounds[round]);
	if (sl->err) {
		/* a round that fails says the method cannot run here */
		for (unsigned int k = 0; k <= round; k++)
			round_free(&sl->rounds[k]);
	}
}

static void report_slot(struct run *run, const char *sname, uint64_t size,
			enum pattern pat, const struct slot *sl,
			struct refs *refs)
{
	struct result r;

	printf("%-5s %-15s %-9s %-6s ", sname, pattern_names[pat],
	       method_names[sl->m], placement_names[sl->where]);
	if (sl->too_big) {
		printf("skipped: does not fit in %llu MiB of device memory\n",
		       (unsigned long long)device_mem >> 20);
		run->nr_skipped++;
		return;
	}
	if (sl->err) {
		printf("unsupported: %s (errno %d)\n", strerror(-sl->err),
		       -sl->err);
		run->nr_skipped++;
		return;
	}
	combine_rounds(sl->rounds, sl->nr_rounds, &r);
	run->nr_cells++;
	run->cycles += r.cycles;
	run->redone += r.redone * r.cycles;
	if (sl->m == M_FLOOR)
		refs->floor_ns = r.median_ns;
	if (sl->m == M_NONE && sl->where == PL_SYSTEM)
		refs->none_ns = r.median_ns;

	printf("%10.1f %9.1f %9.1f", r.median_ns / 1e3, r.write_ns / 1e3,
	       r.sync_ns / 1e3);
	print_ratio(r.median_ns, refs->floor_ns);
	print_ratio(r.median_ns, refs->none_ns);
	printf(" %9.1f %9.1f %7.2f %10.1f\n", r.pages_copied, r.faults,
	       r.scans, r.mean_ns / 1e3);

	if (run->csv)
		csv_row(run, sl->where, size, pat, sl->m, sl->rounds,
			sl->nr_rounds, &r);
}

/*
 * The order of the @n methods of a pattern in round @round. Under TCG a
 * cell inherits the emulator's TLB from the one before, so below 64 MiB
 * each round runs them in an order of its own, shuffled (the same in
 * every run), and over the rounds each method follows each other about
 * as often. A fixed order, even started one method later each round,
 * keeps who follows whom: AUTO's 16 MiB BOs, always run after a device
 * BO copying whole huge pages, took twice as long a cycle in 9 of 11
 * rounds, PAGETABLE's in 4. Where settle_tlb() starts every cell from
 * the same TLB the fixed order stays: it is what was measured, and in
 * the one run that rotated it AUTO's 256 MiB BOs in system memory ran 4x
 * slower in two of three rounds.
 */
static void round_order(unsigned int *order, unsigned int n, uint64_t size,
			enum pattern pat, unsigned int round)
{
	/* xorshift's state must not be zero */
	uint64_t s = (0x0bde4000ull ^ (size * 0x9e3779b97f4a7c15ull) ^
		      ((uint64_t)pat << 40) ^ ((uint64_t)round << 48)) | 1;

	for (unsigned int i = 0; i < n; i++)
		order[i] = i;
	if (size >= SETTLE_MIN_SIZE)
		return;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = xorshift(&s) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

static void one_pattern(struct run *run, uint64_t size, enum pattern pat)
{
	unsigned int nr_rounds = 0, n = 0, order[2 * NR_METHODS];
	struct slot *slots = xcalloc(2 * NR_METHODS, sizeof(*slots));
	struct refs refs = {};
	char sname[24];

	size_name(size, sname, sizeof(sname));
	for (int m = 0; m < NR_METHODS; m++) {
		if (!(run->o.methods & (1u << m)))
			continue;
		/* the bound of tracking by region, for the pattern it is for */
		if (m == M_SPLIT && pat != PAT_HOT_REGION)
			continue;
		if (!is_kernel_method(m)) {
			slots[n++] = (struct slot){ .m = m, .where = PL_MEMFD };
			continue;
		}
		if (run->o.system)
			slots[n++] = (struct slot){ .m = m, .where = PL_SYSTEM };
		if (run->o.device)
			slots[n++] = (struct slot){ .m = m, .where = PL_DEVICE };
	}

	for (unsigned int i = 0; i < n; i++) {
		slots[i].nr_rounds = rounds_for(&run->o, size, pat,
						slots[i].m);
		if (slots[i].nr_rounds > nr_rounds)
			nr_rounds = slots[i].nr_rounds;
	}
	/* Round by round, so that what changes over time hits all alike. */
	for (unsigned int r = 0; r < nr_rounds; r++) {
		round_order(order, n, size, pat, r);
		for (unsigned int j = 0; j < n; j++) {
			unsigned int i = order[j];

			if (r < slots[i].nr_rounds)
				measure_round(run, size, pat, &slots[i], r);
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		report_slot(run, sname, size, pat, &slots[i], &refs);
		for (unsigned int r = 0; r < slots[i].nr_rounds; r++)
			round_free(&slots[i].rounds[r]);
	}
	free(slots);
}

int main(int argc, char **argv)
{
	unsigned int kernel_methods = (1u << (M_SPLIT + 1)) - (1u << M_NONE);
	struct drm_vttm_get_param gp = {
		.param = VTTM_PARAM_DEVICE_MEM_SIZE,
	};
	uint64_t start = mono_ns(), step;
	struct run run = {};
	char path[300];

	page_size = sysconf(_SC_PAGESIZE);
	parse_options(argc, argv, &run.o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pick_timer(&step);

	if (run.o.methods & kernel_methods) {
		vttm_fd = open_vttm(path, sizeof(path));
		if (vttm_fd < 0)
			die("no vttm DRM node under " DRI_DIR);
		if (!xioctl(vttm_fd, DRM_IOCTL_VTTM_GET_PARAM, &gp))
			device_mem = gp.value;
	}
	if (run.o.csv)
		run.csv = open_csv(run.o.csv);
	if (run.o.trace) {
		trace_file = fopen(run.o.trace, "a");
		if (!trace_file)
			die("%s: %s", run.o.trace, strerror(errno));
	}

	printf("vttm_bench: label %s, page size %ld, device memory %llu MiB\n",
	       run.o.label, page_size, (unsigned long long)device_mem >> 20);
	if (tsc_ns)
		printf("vttm_bench: clock steps by %llu us: using the TSC (%.3f GHz)\n",
		       (unsigned long long)step / 1000, 1 / tsc_ns);
	else if (step > 10000)
		printf("vttm_bench: WARNING: clock steps by %llu us, no TSC\n",
		       (unsigned long long)step / 1000);
	host_guard = true;
	for (int i = 0; i < 2000; i++)
		host_at_speed();
	/* A probe should take microseconds: time it to a few percent. */
	host_guard = host_fastest / 50 >= (tsc_ns ? 1 : step);
	if (host_guard)
		printf("vttm_bench: host speed probe: %.1f us at full speed\n",
		       host_fastest / 1e3);
	else
		printf("vttm_bench: the clock is too coarse to probe the host's speed\n");
	printf("%-5s %-15s %-9s %-6s %10s %9s %9s %8s %8s %9s %9s %7s %10s\n",
	       "size", "pattern", "method", "place", "median us", "write",
	       "sync", "x floor", "x none", "pg copied", "faults", "scans",
	       "mean us");

	for (unsigned int s = 0; s < run.o.nr_sizes; s++) {
		for (int p = 0; p < NR_PATTERNS; p++) {
			if (run.o.patterns & (1u << p))
				one_pattern(&run, run.o.sizes[s], p);
		}
	}

	if (run.csv && fclose(run.csv))
		die("writing %s: %s", run.o.csv, strerror(errno));
	if (trace_file && fclose(trace_file))
		die("writing %s: %s", run.o.trace, strerror(errno));
	printf("vttm_bench: %u cells measured, %u skipped or unsupported, %.1f s elapsed\n",
	       run.nr_cells, run.nr_skipped, (mono_ns() - start) / 1e9);
	printf("vttm_bench: %.0f of %.0f measured cycles run again, the host slow\n",
	       run.redone, run.cycles);

	return 0;
}
