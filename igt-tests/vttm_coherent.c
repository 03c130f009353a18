// SPDX-License-Identifier: MIT
/*
 * Coherence tests for vttm's per-BO write tracking.
 *
 * A sync copies only the pages the CPU wrote since the previous one, as
 * found by the BO's tracking method (MKWRITE, PAGETABLE, or AUTO, which
 * picks and switches between the two). Every subtest runs once per method
 * and asserts the exact set of pages a sync copied (its bitmap) and the
 * device copy read back byte for byte, not only the final contents.
 * Nothing here depends on timing.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Per-BO CPU write tracking of vttm: each sync copies exactly " \
	"the pages written, for every tracking method."
IGT_TEST_DESCRIPTION(DESCRIPTION);

static uint64_t page_size;

#define BO_PAGES	64
#define LARGE_PAGES	1024	/* above the AUTO policy's PAGETABLE limit */

struct config {
	const char *name;
	uint32_t method;
	uint32_t active;	/* the method a new BO starts with */
	uint64_t npages;
	bool whole_when_dense;	/* reports whole after dense scans */
};

static const struct config configs[] = {
	{ "mkwrite", VTTM_METHOD_MKWRITE, VTTM_METHOD_MKWRITE, BO_PAGES,
	  false },
	{ "pagetable", VTTM_METHOD_PAGETABLE, VTTM_METHOD_PAGETABLE, BO_PAGES,
	  false },
	{ "auto", VTTM_METHOD_AUTO, VTTM_METHOD_PAGETABLE, BO_PAGES, true },
	{ "auto-large", VTTM_METHOD_AUTO, VTTM_METHOD_MKWRITE, LARGE_PAGES,
	  true },
	{ "auto-vmwgfx", VTTM_METHOD_AUTO_VMWGFX, VTTM_METHOD_PAGETABLE,
	  BO_PAGES, false },
};

/*
 * AUTO: dense scans in a row before it reports whole, for how many, and
 * for how many after a look that finds it written whole again; and after
 * a second such look, the longest spell.
 */
#define DENSE_SCANS	3
#define WHOLE_SCANS	7
#define WHOLE_SCANS_AGAIN	15
#define WHOLE_SCANS_MOST	31

/* ------------------------------------------------------------------ */
/* Patterns, bitmaps and checks                                       */
/* ------------------------------------------------------------------ */

/* Plain stores of the pattern into page @page of @map. */
static void write_page(uint8_t *map, uint64_t page, uint32_t seed)
{
	uint32_t *p = (uint32_t *)map;
	uint64_t words = page_size / 4;

	for (uint64_t w = page * words; w < (page + 1) * words; w++)
		p[w] = vttm_pattern_word(seed, w);
}

static void *alloc_bytes(uint64_t size, int fill)
{
	void *p = malloc(size);

	igt_assert(p);
	memset(p, fill, size);

	return p;
}

static uint8_t *bits_alloc(uint64_t npages)
{
	return alloc_bytes(vttm_bitmap_bytes(npages), 0);
}

static void bit_set(uint8_t *bits, uint64_t n)
{
	bits[n / 8] |= 1u << (n % 8);
}

/* Small seeded PRNG (xorshift64*), so a failure can be replayed. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;

	return x * 0x2545f4914f6cdd1dull;
}

/*
 * Sync with a bitmap, pre-filled with the inverse of what is wanted, and
 * check it: with @exact exactly the pages of @want (every page if NULL),
 * otherwise at least those and, if @within is set, none outside it.
 * pages_copied must count the bits. Returns pages_copied.
 */
static uint64_t __sync_expect(int fd, uint32_t handle, uint64_t npages,
			      const uint8_t *want, const uint8_t *within,
			      bool exact)
{
	uint64_t bytes = vttm_bitmap_bytes(npages);
	uint8_t *bitmap = alloc_bytes(bytes, 0);
	uint64_t copied, set = 0;

	for (uint64_t n = 0; n < npages; n++)
		if (want && !vttm_bitmap_test(want, n))
			bit_set(bitmap, n);

	copied = vttm_gem_sync_bitmap(fd, handle, bitmap, bytes);

	for (uint64_t n = 0; n < npages; n++) {
		bool w = !want || vttm_bitmap_test(want, n);
		bool got = vttm_bitmap_test(bitmap, n);

		igt_assert_f(got == w || (!exact && got),
			     "sync bitmap bit for page %llu is %d, want %d\n",
			     (unsigned long long)n, got, w);
		igt_assert_f(!got || !within || vttm_bitmap_test(within, n),
			     "sync copied page %llu, outside the range it may\n",
			     (unsigned long long)n);
		set += got;
	}
	igt_assert_eq_u64(copied, set);
	free(bitmap);

	return copied;
}

static uint64_t sync_expect(int fd, uint32_t handle, uint64_t npages,
			    const uint8_t *want)
{
	return __sync_expect(fd, handle, npages, want, NULL, true);
}

static void sync_expect_nothing(int fd, uint32_t handle, uint64_t npages)
{
	uint8_t *none = bits_alloc(npages);

	sync_expect(fd, handle, npages, none);
	free(none);
}

/* ------------------------------------------------------------------ */
/* Buffer objects                                                     */
/* ------------------------------------------------------------------ */

struct bo {
	uint32_t handle;
	uint64_t npages;
	uint64_t size;
	uint8_t *map;
};

static void bo_create(int fd, struct bo *bo, const struct config *c)
{
	struct drm_vttm_gem_info info;

	bo->npages = c->npages;
	bo->size = c->npages * page_size;
	bo->handle = vttm_gem_create_method(fd, bo->size, c->method);
	bo->map = vttm_gem_mmap(fd, bo->handle, bo->size,
				PROT_READ | PROT_WRITE);

	vttm_gem_info(fd, bo->handle, &info);
	igt_assert_eq_u32(info.method, c->method);
	igt_assert_eq_u32(info.active_method, c->active);
}

static void bo_destroy(int fd, struct bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	gem_close(fd, bo->handle);
}

static uint32_t active_method(int fd, uint32_t handle)
{
	struct drm_vttm_gem_info info;

	vttm_gem_info(fd, handle, &info);

	return info.active_method;
}

/*
 * Write @pages through @map and the same into @shadow, the expected BO
 * contents, if set; mark them in @want if set.
 */
static void write_pages(uint8_t *map, uint8_t *shadow, uint8_t *want,
			const uint64_t *pages, unsigned int count,
			uint32_t seed)
{
	for (unsigned int i = 0; i < count; i++) {
		write_page(map, pages[i], seed);
		if (shadow)
			write_page(shadow, pages[i], seed);
		if (want)
			bit_set(want, pages[i]);
	}
}

/* Write @pages, then expect a sync to copy exactly them, and only then. */
static void write_and_sync(int fd, struct bo *bo, const uint64_t *pages,
			   unsigned int count, uint32_t seed)
{
	uint8_t *want = bits_alloc(bo->npages);

	write_pages(bo->map, NULL, want, pages, count, seed);
	sync_expect(fd, bo->handle, bo->npages, want);
	vttm_assert_device_eq(fd, bo->handle, bo->map, bo->size);
	free(want);
}

/* ------------------------------------------------------------------ */
/* Subtests                                                           */
/* ------------------------------------------------------------------ */

static void test_one_page(int fd, const struct config *c)
{
	uint64_t page = c->npages / 2 + 3;
	struct bo bo;

	bo_create(fd, &bo, c);
	write_and_sync(fd, &bo, &page, 1, 0x1000);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	/* The same page written again is copied again, and alone. */
	write_and_sync(fd, &bo, &page, 1, 0x1001);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	bo_destroy(fd, &bo);
}

static void test_random_sparse(int fd, const struct config *c)
{
	uint64_t state = 0x5eed0000u + c->npages + c->method;
	uint64_t *pages = calloc(c->npages, sizeof(*pages));
	struct bo bo;

	igt_assert(pages);
	igt_info("seed %#llx\n", (unsigned long long)state);
	bo_create(fd, &bo, c);

	for (unsigned int round = 0; round < 8; round++) {
		unsigned int count = 1 + prng_next(&state) % (c->npages / 8);

		for (unsigned int i = 0; i < count; i++)
			pages[i] = prng_next(&state) % c->npages;
		write_and_sync(fd, &bo, pages, count, 0x2000 + round);
	}
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(pages);
	bo_destroy(fd, &bo);
}

static void test_contiguous_runs(int fd, const struct config *c)
{
	uint64_t *pages = calloc(c->npages, sizeof(*pages));
	uint8_t *want = bits_alloc(c->npages);
	const uint64_t starts[] = { 0, 5, c->npages / 2, c->npages - 9 };
	const uint64_t lens[] = { 3, 11, 1, 9 };
	unsigned int count = 0;
	uint64_t straddle;
	struct bo bo;

	igt_assert(pages);
	bo_create(fd, &bo, c);

	for (unsigned int r = 0; r < ARRAY_SIZE(starts); r++)
		for (uint64_t p = starts[r]; p < starts[r] + lens[r]; p++)
			pages[count++] = p;
	write_and_sync(fd, &bo, pages, count, 0x3000);

	/* One memset() across a page boundary dirties both pages. */
	straddle = c->npages / 4;
	memset(bo.map + (straddle + 1) * page_size - 16, 0x5a, 32);
	bit_set(want, straddle);
	bit_set(want, straddle + 1);
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(want);
	free(pages);
	bo_destroy(fd, &bo);
}

static void test_every_page(int fd, const struct config *c)
{
	struct bo bo;

	bo_create(fd, &bo, c);
	/* Fewer rounds than make AUTO stop looking: see test_dense(). */
	for (unsigned int round = 0; round < DENSE_SCANS - 1; round++) {
		for (uint64_t p = 0; p < bo.npages; p++)
			write_page(bo.map, p, 0x4000 + round);
		sync_expect(fd, bo.handle, bo.npages, NULL);
		vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	}
	sync_expect_nothing(fd, bo.handle, bo.npages);
	bo_destroy(fd, &bo);
}

/*
 * Every page written, sync after sync. Forced methods keep reporting
 * exactly. AUTO, after DENSE_SCANS such syncs, reports every page for
 * WHOLE_SCANS syncs without looking, written or not (over-reporting,
 * never losing), then looks again and is exact; a look that finds every
 * page written again starts a longer spell, WHOLE_SCANS_AGAIN syncs.
 */
static void test_dense(int fd, const struct config *c)
{
	struct drm_vttm_gem_info before, after;
	uint64_t page = c->npages / 3;
	struct bo bo;

	bo_create(fd, &bo, c);
	/*
	 * Whether AUTO leaves MKWRITE for dense writes depends on what
	 * faults cost on this machine; from PAGETABLE it never leaves for
	 * them, whatever the costs. So start there, then hand back.
	 */
	if (c->whole_when_dense) {
		vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_PAGETABLE);
		vttm_gem_set_method(fd, bo.handle, c->method);
	}
	vttm_gem_info(fd, bo.handle, &before);
	for (unsigned int round = 0; round < DENSE_SCANS; round++) {
		for (uint64_t p = 0; p < bo.npages; p++)
			write_page(bo.map, p, 0x4100 + round);
		sync_expect(fd, bo.handle, bo.npages, NULL);
	}
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	for (unsigned int i = 0; c->whole_when_dense && i < WHOLE_SCANS; i++)
		sync_expect(fd, bo.handle, bo.npages, NULL);

	/* A look that finds it written whole again: it waits longer. */
	for (uint64_t p = 0; p < bo.npages; p++)
		write_page(bo.map, p, 0x4180);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	for (unsigned int i = 0; c->whole_when_dense && i < WHOLE_SCANS_AGAIN;
	     i++)
		sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_gem_info(fd, bo.handle, &after);
	igt_assert_eq_u64(after.full_scans - before.full_scans,
			  c->whole_when_dense ?
			  WHOLE_SCANS + WHOLE_SCANS_AGAIN : 0);

	sync_expect_nothing(fd, bo.handle, bo.npages);
	write_and_sync(fd, &bo, &page, 1, 0x4200);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	bo_destroy(fd, &bo);
}

static void test_first_and_last(int fd, const struct config *c)
{
	uint64_t pages[] = { 0, c->npages - 1 };
	struct bo bo;

	bo_create(fd, &bo, c);
	write_and_sync(fd, &bo, &pages[0], 1, 0x5000);
	write_and_sync(fd, &bo, &pages[1], 1, 0x5001);
	write_and_sync(fd, &bo, pages, 2, 0x5002);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	bo_destroy(fd, &bo);
}

static uint64_t minor_faults(void)
{
	struct rusage ru;

	igt_assert_eq(getrusage(RUSAGE_THREAD, &ru), 0);

	return ru.ru_minflt;
}

/*
 * A first store to a page not yet mapped costs one fault, not a read-only
 * insert and then a write-protect fault. Pages 17 apart, so that no
 * PAGETABLE prefault of the previous store maps the next page. The
 * thread's own minor faults are counted, with a little room for the
 * test's own stack; two faults a page would be far outside it.
 */
static void test_first_write_one_fault(int fd, const struct config *c)
{
	struct drm_vttm_gem_info before, after;
	uint8_t *want = bits_alloc(c->npages);
	uint64_t count = 0, faults;
	struct bo bo;

	bo_create(fd, &bo, c);
	vttm_gem_info(fd, bo.handle, &before);

	faults = minor_faults();
	for (uint64_t p = 0; p < bo.npages; p += 17, count++)
		__atomic_store_n((uint32_t *)(bo.map + p * page_size),
				 0x600d0000u + p, __ATOMIC_RELAXED);
	faults = minor_faults() - faults;
	igt_info("%llu first stores, %llu minor faults\n",
		 (unsigned long long)count, (unsigned long long)faults);
	igt_assert_lte_u64(count, faults);
	igt_assert_lte_u64(faults, count + 2);

	/* MKWRITE recorded each at that one fault; PAGETABLE none. */
	vttm_gem_info(fd, bo.handle, &after);
	igt_assert_eq_u64(after.faults - before.faults,
			  c->active == VTTM_METHOD_MKWRITE ? count : 0);

	for (uint64_t p = 0; p < bo.npages; p += 17)
		bit_set(want, p);
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	free(want);
	bo_destroy(fd, &bo);
}

static uint64_t read_all(const struct bo *bo)
{
	uint32_t *p = (uint32_t *)bo->map;
	uint64_t sum = 0;

	/* Atomic loads, so that the compiler keeps every read. */
	for (uint64_t w = 0; w < bo->size / 4; w++)
		sum += __atomic_load_n(&p[w], __ATOMIC_RELAXED);

	return sum;
}

static void test_reads_only(int fd, const struct config *c)
{
	uint64_t page = 1;
	struct bo bo;

	bo_create(fd, &bo, c);

	/* Fresh BO: reads fault pages in, and that is no write. */
	igt_assert_eq_u64(read_all(&bo), 0);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	/* After a write and a sync, reads again copy nothing. */
	write_and_sync(fd, &bo, &page, 1, 0x6000);
	igt_assert_neq_u64(read_all(&bo), 0);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	igt_assert_neq_u64(read_all(&bo), 0);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	bo_destroy(fd, &bo);
}

static void test_two_mappings(int fd, const struct config *c)
{
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *second;
	struct bo bo;

	bo_create(fd, &bo, c);
	second = vttm_gem_mmap(fd, bo.handle, bo.size, PROT_READ | PROT_WRITE);

	write_page(bo.map, 2, 0x7000);
	write_page(second, 9, 0x7001);
	write_page(second, c->npages - 2, 0x7002);
	bit_set(want, 2);
	bit_set(want, 9);
	bit_set(want, c->npages - 2);
	igt_assert(!memcmp(bo.map, second, bo.size));
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	/* The same page through both, then each alone. */
	memset(want, 0, vttm_bitmap_bytes(bo.npages));
	write_page(bo.map, 4, 0x7003);
	write_page(second, 4, 0x7004);
	bit_set(want, 4);
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, second, bo.size);

	for (unsigned int round = 0; round < 2; round++) {
		uint64_t page = 20 + round;

		write_page(round ? second : bo.map, page, 0x7005 + round);
		memset(want, 0, vttm_bitmap_bytes(bo.npages));
		bit_set(want, page);
		sync_expect(fd, bo.handle, bo.npages, want);
		vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	}
	sync_expect_nothing(fd, bo.handle, bo.npages);

	munmap(second, bo.size);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * After a writable mapping went away (munmap, a child's exit), a BO that
 * was MKWRITE all along must still report exactly what was written; one
 * that is or ever was PAGETABLE (AUTO may have probed it) may report every
 * page the mapping covered (ttm_bo_dirty_vm_close()), but no other.
 */
static void sync_expect_after_close(int fd, struct bo *bo,
				    const struct config *c,
				    const uint8_t *written,
				    const uint8_t *covered)
{
	bool exact = c->method == VTTM_METHOD_MKWRITE;
	uint64_t copied;

	copied = __sync_expect(fd, bo->handle, bo->npages, written, covered,
			       exact);
	igt_debug("%s: %llu pages copied\n",
		  exact ? "mkwrite" : "pagetable",
		  (unsigned long long)copied);
	vttm_assert_device_eq(fd, bo->handle, bo->map, bo->size);
}

static void test_fork_child(int fd, const struct config *c)
{
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *all = alloc_bytes(vttm_bitmap_bytes(c->npages), 0xff);
	const uint64_t pages[] = { 3, 17, c->npages - 5 };
	struct bo bo;

	bo_create(fd, &bo, c);
	/* Some pages present and synced before the fork. */
	write_and_sync(fd, &bo, pages, 1, 0x8000);

	igt_fork(child, 1) {
		for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
			write_page(bo.map, pages[i], 0x8001);
	}
	igt_waitchildren();

	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++) {
		uint32_t *p = (uint32_t *)(bo.map + pages[i] * page_size);

		igt_assert_eq_u32(p[0],
				  vttm_pattern_word(0x8001,
						    pages[i] * page_size / 4));
		bit_set(want, pages[i]);
	}
	sync_expect_after_close(fd, &bo, c, want, all);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(all);
	free(want);
	bo_destroy(fd, &bo);
}

static void test_ro_mapping_between_writers(int fd, const struct config *c)
{
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *first, *ro, *last;
	uint32_t handle;
	uint64_t size = c->npages * page_size;
	struct bo bo;

	handle = vttm_gem_create_method(fd, size, c->method);
	first = vttm_gem_mmap(fd, handle, size, PROT_READ | PROT_WRITE);
	ro = vttm_gem_mmap(fd, handle, size, PROT_READ);
	last = vttm_gem_mmap(fd, handle, size, PROT_READ | PROT_WRITE);
	bo = (struct bo){ handle, c->npages, size, last };

	for (unsigned int round = 0; round < 3; round++) {
		uint64_t a = 1 + round * 7, b = c->npages - 2 - round * 5;

		memset(want, 0, vttm_bitmap_bytes(c->npages));
		write_page(first, a, 0x9000 + round);
		write_page(last, b, 0x9100 + round);
		bit_set(want, a);
		bit_set(want, b);
		/* Reads through the read-only mapping see both writes. */
		igt_assert(!memcmp(ro, first, size));
		igt_assert(!memcmp(ro, last, size));
		sync_expect(fd, handle, c->npages, want);
		vttm_assert_device_eq(fd, handle, ro, size);
	}
	igt_assert_neq_u64(read_all(&bo), 0);
	sync_expect_nothing(fd, handle, c->npages);

	munmap(first, size);
	munmap(ro, size);
	munmap(last, size);
	gem_close(fd, handle);
	free(want);
}

static void test_proc_self_mem(int fd, const struct config *c)
{
	uint8_t *want = bits_alloc(c->npages);
	uint64_t pages[] = { 6, c->npages - 3 };
	uint8_t *buf = alloc_bytes(page_size, 0);
	int mem;
	struct bo bo;

	mem = open("/proc/self/mem", O_RDWR);
	igt_require_fd(mem);
	bo_create(fd, &bo, c);
	/* Mapped and written before, so the pages are not fresh. */
	write_and_sync(fd, &bo, pages, 2, 0xa000);

	for (unsigned int round = 0; round < 2; round++) {
		uint64_t page = pages[round];
		uint64_t addr = to_user_pointer(bo.map + page * page_size);
		uint32_t *w = (uint32_t *)buf;

		for (uint64_t i = 0; i < page_size / 4; i++)
			w[i] = vttm_pattern_word(0xa100 + round,
						 page * page_size / 4 + i);
		igt_assert_eq_s64(pwrite(mem, buf, page_size, addr),
				  (long long)page_size);
		igt_assert(!memcmp(bo.map + page * page_size, buf,
				   page_size));

		memset(want, 0, vttm_bitmap_bytes(c->npages));
		bit_set(want, page);
		sync_expect(fd, bo.handle, bo.npages, want);
		vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	}

	/* Part of two pages at once, across the boundary. */
	memset(buf, 0x3c, 64);
	igt_assert_eq_s64(pwrite(mem, buf, 64,
				 to_user_pointer(bo.map + 11 * page_size - 32)),
			  64);
	memset(want, 0, vttm_bitmap_bytes(c->npages));
	bit_set(want, 10);
	bit_set(want, 11);
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	close(mem);
	free(buf);
	free(want);
	bo_destroy(fd, &bo);
}

static void test_private_refused(int fd, const struct config *c)
{
	uint64_t page = 7;
	struct bo bo;
	void *ptr;

	bo_create(fd, &bo, c);
	ptr = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		   vttm_gem_mmap_offset(fd, bo.handle));
	igt_assert(ptr == MAP_FAILED);
	igt_assert_eq(errno, EINVAL);

	/* Tracking of the shared mapping is unaffected. */
	sync_expect_nothing(fd, bo.handle, bo.npages);
	write_and_sync(fd, &bo, &page, 1, 0xb000);
	bo_destroy(fd, &bo);
}

static void test_munmap(int fd, const struct config *c)
{
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *covered = bits_alloc(c->npages);
	const uint64_t first = 8, count = 16;
	uint8_t *part;
	struct bo bo;

	bo_create(fd, &bo, c);
	write_and_sync(fd, &bo, &first, 1, 0xc000);

	/*
	 * A second mapping of the first @count pages only: GEM looks the
	 * offset up exactly, so a mapping must start at the BO's start.
	 */
	part = mmap(NULL, count * page_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, vttm_gem_mmap_offset(fd, bo.handle));
	igt_assert(part != MAP_FAILED);
	for (uint64_t p = 0; p < count; p++)
		bit_set(covered, p);

	/* Two pages through it, one through the whole mapping. */
	write_page(part, 2, 0xc001);
	write_page(part, count - 1, 0xc002);
	write_page(bo.map, first + count + 4, 0xc003);
	bit_set(want, 2);
	bit_set(want, count - 1);
	bit_set(want, first + count + 4);
	bit_set(covered, first + count + 4);

	munmap(part, count * page_size);
	sync_expect_after_close(fd, &bo, c, want, covered);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(covered);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * Forced switches between syncs, with writes before and after each one
 * and no sync in between: every sync still copies exactly what was
 * written, whichever method recorded it.
 */
static void test_switch_between_syncs(int fd, const struct config *c)
{
	uint64_t state = 0x5317c400u + c->npages + c->method;
	uint8_t *want = bits_alloc(c->npages);
	struct drm_vttm_gem_info before, after;
	unsigned int round;
	struct bo bo;

	igt_info("seed %#llx\n", (unsigned long long)state);
	bo_create(fd, &bo, c);
	vttm_gem_info(fd, bo.handle, &before);

	for (round = 0; round < 16; round++) {
		uint32_t m = round % 2 ? VTTM_METHOD_PAGETABLE :
					 VTTM_METHOD_MKWRITE;

		memset(want, 0, vttm_bitmap_bytes(bo.npages));
		for (unsigned int half = 0; half < 2; half++) {
			unsigned int count = 1 + prng_next(&state) % 6;

			for (unsigned int i = 0; i < count; i++) {
				uint64_t p = prng_next(&state) % bo.npages;

				write_page(bo.map, p, 0x10000 + round);
				bit_set(want, p);
			}
			if (!half)
				vttm_gem_set_method(fd, bo.handle, m);
		}
		igt_assert_eq_u32(active_method(fd, bo.handle), m);
		sync_expect(fd, bo.handle, bo.npages, want);
		vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	}
	sync_expect_nothing(fd, bo.handle, bo.npages);

	vttm_gem_info(fd, bo.handle, &after);
	igt_assert_lte_u64(before.switches + 15, after.switches);
	igt_assert_eq_u32(after.method, VTTM_METHOD_PAGETABLE);

	free(want);
	bo_destroy(fd, &bo);
}

/*
 * A switch from MKWRITE to PAGETABLE leaves the BO mapped: stores to the
 * pages MKWRITE had mapped (read-only, or writable after a write) take no
 * fault afterwards, and are tracked by dirty bits exactly, with no page
 * reported twice for what MKWRITE recorded before the switch. Every page
 * is read first, so that every page has an entry; the thread's own minor
 * faults are counted, with a little room for the test's own stack.
 */
static void test_switch_keeps_mapping(int fd)
{
	const struct config c = { "mkwrite", VTTM_METHOD_MKWRITE,
				  VTTM_METHOD_MKWRITE, BO_PAGES, false };
	uint8_t *want = bits_alloc(c.npages);
	uint64_t faults;
	struct bo bo;

	bo_create(fd, &bo, &c);
	igt_assert(read_all(&bo) == 0);
	/* Every other page written: writable entries, the others read-only */
	for (uint64_t p = 0; p < bo.npages; p += 2) {
		write_page(bo.map, p, 0x5a0);
		bit_set(want, p);
	}
	vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_PAGETABLE);
	sync_expect(fd, bo.handle, bo.npages, want);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	faults = minor_faults();
	for (uint64_t p = 0; p < bo.npages; p++)
		write_page(bo.map, p, 0x5a1);
	faults = minor_faults() - faults;
	igt_info("%llu pages written after the switch, %llu minor faults\n",
		 (unsigned long long)bo.npages, (unsigned long long)faults);
	igt_assert_lte_u64(faults, 2);

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(want);
	bo_destroy(fd, &bo);
}

/* ------------------------------------------------------------------ */
/* Other ways in: a dma-buf mapping, a second process                 */
/* ------------------------------------------------------------------ */

/*
 * The dma-buf file of an exported BO maps the same pages as the BO's own
 * mapping, and its writes must be tracked on the BO in the same way.
 */
static void test_dmabuf_mapping(int fd, const struct config *c)
{
	const uint64_t first[] = { 0, 5, c->npages / 2 + 1, c->npages - 1 };
	const uint64_t via_dmabuf[] = { 2, c->npages / 2, c->npages - 3 };
	const uint64_t via_gem[] = { 3, 13, c->npages - 2 };
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *shadow, *dmap;
	int dmabuf;
	struct bo bo;

	bo_create(fd, &bo, c);
	shadow = alloc_bytes(bo.size, 0);
	dmap = vttm_prime_mmap(fd, bo.handle, bo.size, PROT_READ | PROT_WRITE,
			       &dmabuf);

	/* Through the dma-buf only, synced through the GEM handle. */
	write_pages(dmap, shadow, want, first, ARRAY_SIZE(first), 0x11000);
	vttm_assert_bytes_eq(bo.map, shadow, bo.size, "GEM mapping");
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	/* Through both at once, to different pages: the union. */
	memset(want, 0, vttm_bitmap_bytes(bo.npages));
	write_pages(dmap, shadow, want, via_dmabuf, ARRAY_SIZE(via_dmabuf),
		    0x11001);
	write_pages(bo.map, shadow, want, via_gem, ARRAY_SIZE(via_gem),
		    0x11002);
	vttm_assert_bytes_eq(dmap, shadow, bo.size, "dma-buf mapping");
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	munmap(dmap, bo.size);
	close(dmabuf);
	free(shadow);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * Bounds the child's wait for the parent, so that a parent that failed
 * mid-round does not leave it blocked; a passing run never comes near.
 */
#define CHILD_WAIT_MS	(60 * 1000)

static void pipe_post(int wfd)
{
	igt_assert_eq(write(wfd, "", 1), 1);
}

/* Wait for one byte; false when the writer went away or time ran out. */
static bool pipe_wait(int rfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char byte;

	return poll(&pfd, 1, timeout_ms) == 1 && read(rfd, &byte, 1) == 1;
}

/* One round of test_prime_second_process(). */
struct prime_round {
	uint64_t parent[3];	/* written through the parent's mapping */
	uint64_t child[3];	/* through the child's own */
	bool child_syncs;
};

/*
 * The child is another DRM client: its own file, its own handle for the
 * BO, imported from @dmabuf, and its own mapping. It writes its pages,
 * syncs if the round says so, tells the parent and stays, mapped, until
 * the parent has checked.
 */
static void prime_child(int dmabuf, const struct bo *bo,
			const struct prime_round *r, uint32_t seed,
			uint8_t *shadow, uint8_t *want, int ready, int go)
{
	struct drm_vttm_gem_info info;
	uint32_t handle;
	uint8_t *map;
	int cfd;

	cfd = drm_open_vttm();
	handle = prime_fd_to_handle(cfd, dmabuf);
	vttm_gem_info(cfd, handle, &info);
	igt_assert_eq_u64(info.size, bo->size);
	map = vttm_gem_mmap(cfd, handle, bo->size, PROT_READ | PROT_WRITE);

	write_pages(map, shadow, want, r->child, ARRAY_SIZE(r->child), seed);
	if (r->child_syncs) {
		/* The parent's writes are the BO's too: one dirty state. */
		sync_expect(cfd, handle, bo->npages, want);
		vttm_assert_device_eq(cfd, handle, shadow, bo->size);
	}

	pipe_post(ready);
	igt_assert_f(pipe_wait(go, CHILD_WAIT_MS),
		     "the parent never let the child go\n");

	munmap(map, bo->size);
	gem_close(cfd, handle);
	close(cfd);
}

/*
 * Writes of a second process, through a PRIME import on its own DRM file,
 * are tracked on the BO, not per client: a sync by either reports the
 * writes of both, and what one sync copied is gone for the other.
 *
 * The parent checks while the child is still mapped: once the child's
 * mappings close, its own and the parent's it inherited and never uses,
 * PAGETABLE reports every page they covered (see
 * sync_expect_after_close()), which is checked after the child exits.
 */
static void test_prime_second_process(int fd, const struct config *c)
{
	const uint64_t n = c->npages;
	const struct prime_round rounds[] = {
		{ { 0, 6, n - 1 }, { 1, n / 2, n - 3 }, false },
		{ { 3, n / 2 + 1, n - 2 }, { 4, 9, n - 4 }, true },
	};
	uint8_t *all = alloc_bytes(vttm_bitmap_bytes(n), 0xff);
	uint8_t *none = bits_alloc(n);
	uint8_t *want = bits_alloc(n);
	uint8_t *shadow;
	int dmabuf;
	struct bo bo;

	bo_create(fd, &bo, c);
	shadow = alloc_bytes(bo.size, 0);
	dmabuf = prime_handle_to_fd(fd, bo.handle);

	for (unsigned int i = 0; i < ARRAY_SIZE(rounds); i++) {
		const struct prime_round *r = &rounds[i];
		uint32_t seed = 0x12000 + i * 2;
		int ready[2], go[2];

		igt_assert_eq(pipe(ready), 0);
		igt_assert_eq(pipe(go), 0);
		memset(want, 0, vttm_bitmap_bytes(n));

		/* Before the fork when the child syncs: it must see them. */
		if (r->child_syncs)
			write_pages(bo.map, shadow, want, r->parent,
				    ARRAY_SIZE(r->parent), seed);

		igt_fork(child, 1) {
			close(ready[0]);
			close(go[1]);
			prime_child(dmabuf, &bo, r, seed + 1, shadow, want,
				    ready[1], go[0]);
		}
		close(ready[1]);
		close(go[0]);

		if (!r->child_syncs)
			write_pages(bo.map, shadow, want, r->parent,
				    ARRAY_SIZE(r->parent), seed);
		write_pages(shadow, NULL, want, r->child, ARRAY_SIZE(r->child),
			    seed + 1);

		if (!pipe_wait(ready[0], -1)) {
			/* The child died: report why. */
			igt_waitchildren();
			igt_assert_f(false, "the child exited early\n");
		}
		close(ready[0]);

		vttm_assert_bytes_eq(bo.map, shadow, bo.size,
				     "parent's mapping");
		if (r->child_syncs) {
			sync_expect_nothing(fd, bo.handle, n);
		} else {
			sync_expect(fd, bo.handle, n, want);
			sync_expect_nothing(fd, bo.handle, n);
		}
		vttm_assert_device_eq(fd, bo.handle, shadow, bo.size);

		pipe_post(go[1]);
		close(go[1]);
		igt_waitchildren();

		/* The child's mappings went away with nothing new in them. */
		sync_expect_after_close(fd, &bo, c, none, all);
		sync_expect_nothing(fd, bo.handle, n);
	}

	close(dmabuf);
	free(shadow);
	free(want);
	free(none);
	free(all);
	bo_destroy(fd, &bo);
}

/* ------------------------------------------------------------------ */
/* Writer threads racing with syncs, switches and moves              */
/* ------------------------------------------------------------------ */

#define WRITERS		2
#define STORES		2000	/* at least, per writer */
#define MIN_STEPS	32	/* at least, of the main thread, meanwhile */

struct writer {
	pthread_t thread;
	uint8_t *map;
	uint64_t npages;
	uint64_t seed;
	uint32_t *last;		/* per page: last value stored */
	const int *stop;	/* set once the main thread took its steps */
	uint64_t stores;
	int done;
};

/* Word of each page a writer stores into: its own, so none collide. */
static uint64_t writer_word(unsigned int id, uint64_t page)
{
	return page * (page_size / 4) + 1 + id * 8;
}

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	unsigned int id = w->seed & 0xff;
	uint32_t *map = (uint32_t *)w->map;

	/* Until both have had enough: every step races with stores. */
	for (uint32_t seq = 1;
	     seq <= STORES || !__atomic_load_n(w->stop, __ATOMIC_ACQUIRE);
	     seq++) {
		uint64_t page = prng_next(&w->seed) % w->npages;
		uint32_t val = (id + 1) << 24 | (seq & 0xffffff);

		__atomic_store_n(&map[writer_word(id, page)], val,
				 __ATOMIC_RELAXED);
		w->last[page] = val;
		w->stores = seq;
		if (seq % 64 == 0)
			sched_yield();
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);

	return NULL;
}

/*
 * Run WRITERS threads storing sequence numbers into random pages of @bo
 * while the main thread calls @step over and over: the writers go on
 * until the main thread has taken MIN_STEPS steps, and it goes on until
 * they have stored STORES each. Then sync, and check that the mapping
 * holds each writer's last store to each page and that the device copy
 * equals the mapping byte for byte. Returns the number of steps taken.
 */
static unsigned int run_under_writers(int fd, struct bo *bo,
				      void (*step)(int fd, struct bo *bo,
						   unsigned int iter))
{
	struct writer w[WRITERS];
	unsigned int iter = 0;
	uint64_t stores = 0;
	int stop = 0;
	bool done;

	for (unsigned int i = 0; i < WRITERS; i++) {
		w[i].map = bo->map;
		w[i].npages = bo->npages;
		w[i].seed = 0xabcd0000ull + i * 0x100 + i;
		w[i].last = calloc(bo->npages, sizeof(uint32_t));
		w[i].stop = &stop;
		w[i].done = 0;
		igt_assert(w[i].last);
		igt_assert_eq(pthread_create(&w[i].thread, NULL, writer_fn,
					     &w[i]), 0);
	}

	do {
		step(fd, bo, iter);
		if (iter + 1 == MIN_STEPS)
			__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		done = true;
		for (unsigned int i = 0; i < WRITERS; i++)
			done &= __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
	} while (++iter < MIN_STEPS || !done);

	for (unsigned int i = 0; i < WRITERS; i++) {
		igt_assert_eq(pthread_join(w[i].thread, NULL), 0);
		stores += w[i].stores;
	}
	igt_info("%u steps against %llu stores\n", iter,
		 (unsigned long long)stores);

	vttm_gem_sync(fd, bo->handle);

	for (unsigned int i = 0; i < WRITERS; i++) {
		const uint32_t *map = (const uint32_t *)bo->map;

		for (uint64_t p = 0; p < bo->npages; p++)
			igt_assert_eq_u32(map[writer_word(i, p)], w[i].last[p]);
		free(w[i].last);
	}
	vttm_assert_device_eq(fd, bo->handle, bo->map, bo->size);

	return iter;
}

static void sync_and_switch(int fd, struct bo *bo, unsigned int iter)
{
	vttm_gem_sync(fd, bo->handle);
	vttm_gem_set_method(fd, bo->handle, iter % 2 ? VTTM_METHOD_PAGETABLE :
						       VTTM_METHOD_MKWRITE);
}

static void test_switch_under_writers(int fd, const struct config *c)
{
	struct drm_vttm_gem_info before, after;
	uint64_t page = 5;
	unsigned int iter;
	struct bo bo;

	bo_create(fd, &bo, c);
	vttm_gem_info(fd, bo.handle, &before);

	iter = run_under_writers(fd, &bo, sync_and_switch);

	vttm_gem_info(fd, bo.handle, &after);
	igt_assert_lt_u64(before.switches, after.switches);
	igt_assert_eq_u32(after.method, iter % 2 ? VTTM_METHOD_MKWRITE :
						   VTTM_METHOD_PAGETABLE);

	/* Tracking is still exact after all that. */
	sync_expect_nothing(fd, bo.handle, bo.npages);
	write_and_sync(fd, &bo, &page, 1, 0xd000);
	bo_destroy(fd, &bo);
}

/* ------------------------------------------------------------------ */
/* Moves between system and device memory                             */
/* ------------------------------------------------------------------ */

/* Write 1 to 6 random pages, into @shadow and @want as well. */
static void write_random_pages(struct bo *bo, uint8_t *shadow, uint8_t *want,
			       uint64_t *state, uint32_t seed)
{
	unsigned int count = 1 + prng_next(state) % 6;

	for (unsigned int i = 0; i < count; i++) {
		uint64_t p = prng_next(state) % bo->npages;

		write_pages(bo->map, shadow, want, &p, 1, seed);
	}
}

static void move_expect(int fd, uint32_t handle, uint32_t placement)
{
	vttm_gem_move(fd, handle, placement);
	igt_assert_eq_u32(vttm_gem_placement(fd, handle), placement);
}

/*
 * Moves while mapped, with writes before and after each one and no sync
 * in between: the mapping follows the pages, and each sync copies
 * exactly what was written on either side of the moves.
 */
static void test_moves_between_syncs(int fd, const struct config *c)
{
	uint64_t state = 0x30e5c0deu + c->npages + c->method;
	uint8_t *want = bits_alloc(c->npages);
	uint8_t *shadow;
	struct bo bo;

	vttm_require_device_mem(fd, c->npages * page_size);
	igt_info("seed %#llx\n", (unsigned long long)state);
	bo_create(fd, &bo, c);
	shadow = alloc_bytes(bo.size, 0);

	for (unsigned int round = 0; round < 12; round++) {
		uint32_t to = round % 2 ? VTTM_PLACEMENT_SYSTEM :
					  VTTM_PLACEMENT_DEVICE;

		memset(want, 0, vttm_bitmap_bytes(bo.npages));
		write_random_pages(&bo, shadow, want, &state, 0x12000 + round);
		move_expect(fd, bo.handle, to);
		write_random_pages(&bo, shadow, want, &state, 0x12100 + round);
		if (round % 3 == 2) {
			/* There and back again before the sync. */
			move_expect(fd, bo.handle, !to);
			write_random_pages(&bo, shadow, want, &state,
					   0x12200 + round);
			move_expect(fd, bo.handle, to);
		}
		vttm_assert_bytes_eq(bo.map, shadow, bo.size, "mapping");
		sync_expect(fd, bo.handle, bo.npages, want);
		vttm_assert_device_eq(fd, bo.handle, shadow, bo.size);
	}

	/* A move on its own dirties nothing. */
	move_expect(fd, bo.handle, VTTM_PLACEMENT_DEVICE);
	sync_expect_nothing(fd, bo.handle, bo.npages);
	move_expect(fd, bo.handle, VTTM_PLACEMENT_SYSTEM);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	free(shadow);
	free(want);
	bo_destroy(fd, &bo);
}

static void sync_and_move(int fd, struct bo *bo, unsigned int iter)
{
	vttm_gem_sync(fd, bo->handle);
	vttm_gem_move(fd, bo->handle, iter % 2 ? VTTM_PLACEMENT_SYSTEM :
						 VTTM_PLACEMENT_DEVICE);
}

/*
 * After writes the test cannot count, wait for a sync that copies nothing:
 * at once, or for AUTO once it looks again after reporting whole, however
 * long the spell the writers' dense scans earned.
 */
static void sync_until_nothing(int fd, struct bo *bo, const struct config *c)
{
	unsigned int tries = c->whole_when_dense ? WHOLE_SCANS_MOST + 1 : 1;

	while (--tries && vttm_gem_sync(fd, bo->handle))
		;
	sync_expect_nothing(fd, bo->handle, bo->npages);
}

static void test_moves_under_writers(int fd, const struct config *c)
{
	uint64_t page = c->npages - 1;
	unsigned int iter;
	struct bo bo;

	vttm_require_device_mem(fd, c->npages * page_size);
	bo_create(fd, &bo, c);

	iter = run_under_writers(fd, &bo, sync_and_move);
	igt_assert_eq_u32(vttm_gem_placement(fd, bo.handle),
			  iter % 2 ? VTTM_PLACEMENT_DEVICE :
				     VTTM_PLACEMENT_SYSTEM);

	sync_until_nothing(fd, &bo, c);
	write_and_sync(fd, &bo, &page, 1, 0xd100);
	bo_destroy(fd, &bo);
}

/*
 * A BO written in device memory is evicted to system memory when another
 * BO needs all of it: its writes, before and after, reach the device.
 */
static void test_eviction(int fd, const struct config *c)
{
	uint64_t dev_size = vttm_get_param(fd, VTTM_PARAM_DEVICE_MEM_SIZE);
	uint64_t state = 0xe71c7000u + c->npages + c->method;
	uint8_t *want = bits_alloc(c->npages);
	uint32_t filler;
	uint8_t *shadow;
	struct bo bo;

	vttm_require_device_mem(fd, c->npages * page_size);
	bo_create(fd, &bo, c);
	shadow = alloc_bytes(bo.size, 0);

	move_expect(fd, bo.handle, VTTM_PLACEMENT_DEVICE);
	write_random_pages(&bo, shadow, want, &state, 0x13000);

	filler = vttm_gem_create_method(fd, dev_size, VTTM_METHOD_NONE);
	move_expect(fd, filler, VTTM_PLACEMENT_DEVICE);
	igt_assert_eq_u32(vttm_gem_placement(fd, bo.handle),
			  VTTM_PLACEMENT_SYSTEM);

	write_random_pages(&bo, shadow, want, &state, 0x13001);
	vttm_assert_bytes_eq(bo.map, shadow, bo.size, "mapping");
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, bo.size);
	sync_expect_nothing(fd, bo.handle, bo.npages);

	gem_close(fd, filler);
	free(shadow);
	free(want);
	bo_destroy(fd, &bo);
}

static void test_set_method_bad(int fd, const struct config *c)
{
	struct drm_vttm_gem_info before, after;
	struct drm_vttm_gem_set_method arg;
	uint8_t *want = bits_alloc(c->npages);
	const uint32_t bad_methods[] = {
		VTTM_METHOD_NONE, VTTM_METHOD_AUTO_VMWGFX + 1, 99, ~0u,
	};
	uint32_t closed;
	struct bo bo;

	bo_create(fd, &bo, c);
	write_page(bo.map, 3, 0xe000);
	bit_set(want, 3);
	closed = vttm_gem_create(fd, page_size);
	gem_close(fd, closed);

	vttm_gem_info(fd, bo.handle, &before);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_methods); i++) {
		arg = (struct drm_vttm_gem_set_method){
			.handle = bo.handle,
			.method = bad_methods[i],
		};
		igt_assert_eq(__vttm_gem_set_method(fd, &arg), -EINVAL);
	}
	for (uint32_t m = VTTM_METHOD_AUTO; m <= VTTM_METHOD_PAGETABLE; m++) {
		const uint32_t handles[] = { 0, closed, ~0u };

		for (unsigned int i = 0; i < ARRAY_SIZE(handles); i++) {
			arg = (struct drm_vttm_gem_set_method){
				.handle = handles[i],
				.method = m,
			};
			igt_assert_eq(__vttm_gem_set_method(fd, &arg),
				      -ENOENT);
		}
	}
	vttm_gem_info(fd, bo.handle, &after);
	igt_assert(!memcmp(&before, &after, sizeof(before)));

	/* The pending write still arrives, exactly. */
	sync_expect(fd, bo.handle, bo.npages, want);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	free(want);
	bo_destroy(fd, &bo);
}

static void test_set_method_on_none(int fd)
{
	struct drm_vttm_gem_info before, after;
	struct drm_vttm_gem_set_method arg;
	struct bo bo;

	bo.npages = BO_PAGES;
	bo.size = BO_PAGES * page_size;
	bo.handle = vttm_gem_create_method(fd, bo.size, VTTM_METHOD_NONE);
	bo.map = vttm_gem_mmap(fd, bo.handle, bo.size, PROT_READ | PROT_WRITE);
	write_page(bo.map, 3, 0xe100);

	vttm_gem_info(fd, bo.handle, &before);
	for (uint32_t m = VTTM_METHOD_AUTO; m <= VTTM_METHOD_NONE; m++) {
		arg = (struct drm_vttm_gem_set_method){
			.handle = bo.handle,
			.method = m,
		};
		igt_assert_eq(__vttm_gem_set_method(fd, &arg), -EINVAL);
	}
	vttm_gem_info(fd, bo.handle, &after);
	igt_assert(!memcmp(&before, &after, sizeof(before)));
	igt_assert_eq_u32(after.method, VTTM_METHOD_NONE);
	igt_assert_eq_u32(after.active_method, VTTM_METHOD_NONE);

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	bo_destroy(fd, &bo);
}

static void test_none_copies_everything(int fd)
{
	struct drm_vttm_gem_info info;
	struct bo bo;

	bo.npages = BO_PAGES;
	bo.size = BO_PAGES * page_size;
	bo.handle = vttm_gem_create_method(fd, bo.size, VTTM_METHOD_NONE);
	bo.map = vttm_gem_mmap(fd, bo.handle, bo.size, PROT_READ | PROT_WRITE);

	vttm_gem_info(fd, bo.handle, &info);
	igt_assert_eq_u32(info.method, VTTM_METHOD_NONE);
	igt_assert_eq_u32(info.active_method, VTTM_METHOD_NONE);

	/* Nothing written, one page, every page: always the whole BO. */
	sync_expect(fd, bo.handle, bo.npages, NULL);
	write_page(bo.map, 9, 0xf000);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	for (uint64_t p = 0; p < bo.npages; p++)
		write_page(bo.map, p, 0xf001);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	sync_expect(fd, bo.handle, bo.npages, NULL);

	vttm_gem_info(fd, bo.handle, &info);
	igt_assert_eq_u64(info.syncs, 4);
	igt_assert_eq_u64(info.pages_copied, 4 * BO_PAGES);
	igt_assert_eq_u64(info.scans, 0);
	bo_destroy(fd, &bo);
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Huge mappings of device memory                                     */
/* ------------------------------------------------------------------ */

#define HUGE_SIZE	(2u << 20)

/* Set the bits of the 2 MiB blocks holding @pages. */
static void want_blocks(uint8_t *want, const uint64_t *pages,
			unsigned int count)
{
	uint64_t per_block = HUGE_SIZE / page_size;

	for (unsigned int i = 0; i < count; i++) {
		uint64_t first = pages[i] / per_block * per_block;

		for (uint64_t p = first; p < first + per_block; p++)
			bit_set(want, p);
	}
}

/*
 * A BO of two 2 MiB blocks in device memory, created with @method and
 * mapped: the mapping gets a 2 MiB aligned address, so huge entries fit.
 */
static void huge_bo_create(int fd, struct bo *bo, uint32_t method)
{
	bo->npages = 2 * HUGE_SIZE / page_size;
	bo->size = bo->npages * page_size;
	vttm_require_device_mem(fd, bo->size);
	bo->handle = vttm_gem_create_method(fd, bo->size, method);
	move_expect(fd, bo->handle, VTTM_PLACEMENT_DEVICE);
	bo->map = vttm_gem_mmap(fd, bo->handle, bo->size,
				PROT_READ | PROT_WRITE);
}

/*
 * A 4 MiB BO in device memory gets a 2 MiB aligned address from mmap() and
 * is mapped with huge entries while it has no per-page write faults to
 * take: reading all of it
 * costs one fault per 2 MiB, and PAGETABLE reports a write as the whole
 * 2 MiB its entry maps. A switch to MKWRITE write-protects the huge
 * entries; a write then splits its entry and is tracked exactly. Splitting
 * the mapping (mprotect of one page) while a huge entry is dirty loses
 * nothing.
 */
static void test_huge_mappings(int fd)
{
	const uint64_t npages = 2 * HUGE_SIZE / page_size;
	const uint64_t size = npages * page_size;
	const uint64_t late = npages / 2 + 188, early = 3;
	uint8_t *want = bits_alloc(npages);
	uint8_t *shadow = alloc_bytes(size, 0);
	uint64_t faults;
	struct bo bo;

	huge_bo_create(fd, &bo, VTTM_METHOD_PAGETABLE);
	igt_assert_f(!((uintptr_t)bo.map & (HUGE_SIZE - 1)),
		     "mapping at %p is not 2 MiB aligned\n", bo.map);

	faults = minor_faults();
	igt_assert_eq_u64(read_all(&bo), 0);
	faults = minor_faults() - faults;
	igt_info("%llu minor faults to read %llu pages\n",
		 (unsigned long long)faults, (unsigned long long)npages);
	igt_assert_lte_u64(faults, 2 + 2);

	/* PAGETABLE: one store dirties its whole huge entry, exactly. */
	write_pages(bo.map, shadow, NULL, &late, 1, 0x14000);
	want_blocks(want, &late, 1);
	sync_expect(fd, bo.handle, npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, size);
	sync_expect_nothing(fd, bo.handle, npages);

	/* Splitting the mapping while an entry is dirty loses nothing. */
	write_pages(bo.map, shadow, NULL, &early, 1, 0x14001);
	igt_assert_eq(mprotect(bo.map + 100 * page_size, page_size,
			       PROT_READ), 0);
	memset(want, 0, vttm_bitmap_bytes(npages));
	want_blocks(want, &early, 1);
	sync_expect(fd, bo.handle, npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, size);
	igt_assert_eq(mprotect(bo.map + 100 * page_size, page_size,
			       PROT_READ | PROT_WRITE), 0);

	/* MKWRITE: huge entries write-protected, then split by a write. */
	vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_MKWRITE);
	sync_expect_nothing(fd, bo.handle, npages);
	memset(want, 0, vttm_bitmap_bytes(npages));
	write_pages(bo.map, shadow, want, &late, 1, 0x14002);
	write_pages(bo.map, shadow, want, &early, 1, 0x14003);
	sync_expect(fd, bo.handle, npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, size);
	sync_expect_nothing(fd, bo.handle, npages);

	free(shadow);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * A fault next to a huge entry maps 4 KiB pages up to the end of its own
 * 2 MiB and no further: TTM's prefault would otherwise take the huge
 * neighbour for a page table and write PTEs into the BO's memory.
 */
static void test_huge_prefault(int fd)
{
	const uint64_t npages = 2 * HUGE_SIZE / page_size;
	const uint64_t size = npages * page_size;
	const uint64_t per_block = HUGE_SIZE / page_size;
	uint8_t *zero = alloc_bytes(size, 0);
	struct bo bo;

	huge_bo_create(fd, &bo, VTTM_METHOD_MKWRITE);

	/* MKWRITE maps 4 KiB pages: the first 2 MiB gets a page table. */
	igt_assert_eq(bo.map[0], 0);
	vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_PAGETABLE);
	/* The second 2 MiB is mapped huge, then its neighbour prefaults. */
	igt_assert_eq(bo.map[per_block * page_size], 0);
	igt_assert_eq(bo.map[(per_block - 7) * page_size], 0);

	vttm_assert_bytes_eq(bo.map, zero, size, "mapping");
	sync_expect_nothing(fd, bo.handle, npages);
	vttm_assert_device_eq(fd, bo.handle, zero, size);

	free(zero);
	bo_destroy(fd, &bo);
}

/*
 * AUTO maps huge entries only while it finds the BO written nearly whole,
 * where reporting a dirty entry whole costs nothing. When writes thin out,
 * the sync that notices still reports the whole entry that was written
 * through, and from then on AUTO maps 4 KiB pages again and is exact.
 */
static void test_huge_auto(int fd)
{
	const uint64_t npages = 2 * HUGE_SIZE / page_size;
	const uint64_t size = npages * page_size;
	const uint64_t late = npages / 2 + 77, early = 5;
	struct drm_vttm_gem_info info;
	uint8_t *want = bits_alloc(npages);
	uint8_t *shadow = alloc_bytes(size, 0);
	uint64_t faults;
	struct bo bo;

	huge_bo_create(fd, &bo, VTTM_METHOD_AUTO);
	/* From PAGETABLE, which AUTO keeps for dense writes whatever the costs. */
	vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_PAGETABLE);
	vttm_gem_set_method(fd, bo.handle, VTTM_METHOD_AUTO);

	for (unsigned int round = 0; round < DENSE_SCANS; round++) {
		for (uint64_t p = 0; p < npages; p++) {
			write_page(bo.map, p, 0x15000 + round);
			write_page(shadow, p, 0x15000 + round);
		}
		sync_expect(fd, bo.handle, npages, NULL);
	}

	/*
	 * Dense now: mapped anew (a zap keeps the page tables, which leave
	 * no room for a huge entry; munmap frees them), it takes huge ones.
	 */
	igt_assert_eq(munmap(bo.map, size), 0);
	bo.map = vttm_gem_mmap(fd, bo.handle, size, PROT_READ | PROT_WRITE);
	faults = minor_faults();
	read_all(&bo);
	faults = minor_faults() - faults;
	igt_assert_lte_u64(faults, 2 + 2);

	for (unsigned int i = 0; i < WHOLE_SCANS; i++)
		sync_expect(fd, bo.handle, npages, NULL);
	vttm_gem_info(fd, bo.handle, &info);
	igt_assert_eq_u64(info.full_scans, WHOLE_SCANS);

	/* One page: its whole entry, once; then 4 KiB pages, exactly. */
	write_pages(bo.map, shadow, NULL, &late, 1, 0x15100);
	want_blocks(want, &late, 1);
	sync_expect(fd, bo.handle, npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, size);

	memset(want, 0, vttm_bitmap_bytes(npages));
	write_pages(bo.map, shadow, want, &early, 1, 0x15101);
	write_pages(bo.map, shadow, want, &late, 1, 0x15102);
	sync_expect(fd, bo.handle, npages, want);
	vttm_assert_device_eq(fd, bo.handle, shadow, size);
	sync_expect_nothing(fd, bo.handle, npages);

	free(shadow);
	free(want);
	bo_destroy(fd, &bo);
}

static const struct {
	const char *name;
	const char *desc;
	void (*fn)(int fd, const struct config *c);
} tests[] = {
	{ "one-page-written-copies-exactly-that-page",
	  "One page written: a sync copies exactly it, the next one nothing.",
	  test_one_page },
	{ "random-sparse-pages-copy-exactly",
	  "Seeded random sparse pages: each sync copies exactly them.",
	  test_random_sparse },
	{ "contiguous-runs-copy-exactly",
	  "Runs of pages and a write across a page boundary copy exactly.",
	  test_contiguous_runs },
	{ "every-page-written-copies-every-page",
	  "Every page written: every page copied, then nothing.",
	  test_every_page },
	{ "dense-writes-report-whole-then-look-again",
	  "Every page written each time: AUTO reports whole for a while.",
	  test_dense },
	{ "first-and-last-page-copy-exactly",
	  "The first and the last page are tracked like any other.",
	  test_first_and_last },
	{ "first-write-takes-one-fault",
	  "A first store to an unmapped page costs one fault and is recorded.",
	  test_first_write_one_fault },
	{ "reads-only-copy-nothing",
	  "Reads through the mapping, fresh or not, copy nothing.",
	  test_reads_only },
	{ "two-mappings-copy-exactly",
	  "Writes through two mappings of one BO copy exactly.",
	  test_two_mappings },
	{ "fork-child-writes-reach-the-device",
	  "A forked child's writes through the inherited mapping are copied.",
	  test_fork_child },
	{ "read-only-mapping-between-writers",
	  "A read-only mapping between two written ones loses no write.",
	  test_ro_mapping_between_writers },
	{ "proc-self-mem-writes-copy-exactly",
	  "Writes through /proc/self/mem reach the device on the next sync.",
	  test_proc_self_mem },
	{ "writable-private-mmap-is-refused",
	  "MAP_PRIVATE with PROT_WRITE fails with EINVAL.",
	  test_private_refused },
	{ "writes-before-munmap-reach-the-device",
	  "Writes through an unmapped partial mapping are copied.",
	  test_munmap },
	{ "method-switches-between-syncs-copy-exactly",
	  "Forced switches between syncs: each sync copies exactly.",
	  test_switch_between_syncs },
	{ "method-switches-under-writers-lose-nothing",
	  "Forced switches while two threads write lose no write.",
	  test_switch_under_writers },
	{ "dmabuf-mapping",
	  "Writes through a dma-buf mapping, alone or with others, copy exactly.",
	  test_dmabuf_mapping },
	{ "prime-second-process",
	  "A second process's writes via PRIME copy exactly, for either's sync.",
	  test_prime_second_process },
	{ "moves-between-syncs-copy-exactly",
	  "Moves while mapped, written on both sides: each sync copies exactly.",
	  test_moves_between_syncs },
	{ "moves-under-writers-lose-nothing",
	  "Moves back and forth while two threads write lose no write.",
	  test_moves_under_writers },
	{ "eviction-loses-nothing",
	  "A written BO evicted from device memory loses no write.",
	  test_eviction },
	{ "set-method-rejects-bad-input",
	  "SET_METHOD rejects bad methods and handles, changing nothing.",
	  test_set_method_bad },
};

igt_main
{
	int fd = -1;

	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		fd = drm_open_vttm();
	}

	for (unsigned int t = 0; t < ARRAY_SIZE(tests); t++) {
		igt_describe(tests[t].desc);
		igt_subtest_with_dynamic(tests[t].name) {
			for (unsigned int i = 0; i < ARRAY_SIZE(configs); i++)
				igt_dynamic(configs[i].name)
					tests[t].fn(fd, &configs[i]);
		}
	}

	igt_describe("Huge entries: PAGETABLE reports them whole, MKWRITE splits them.");
	igt_subtest("huge-mappings-report-whole-entries")
		test_huge_mappings(fd);

	igt_describe("Prefaulting stops at a huge neighbour.");
	igt_subtest("prefault-stops-at-a-huge-neighbour")
		test_huge_prefault(fd);

	igt_describe("AUTO maps huge entries only while writes are dense.");
	igt_subtest("auto-maps-huge-only-while-dense")
		test_huge_auto(fd);

	igt_describe("A switch to PAGETABLE keeps the BO mapped, tracked exactly.");
	igt_subtest("switch-to-pagetable-keeps-the-mapping")
		test_switch_keeps_mapping(fd);

	igt_describe("An untracked BO copies every page on every sync.");
	igt_subtest("none-copies-every-page")
		test_none_copies_everything(fd);

	igt_describe("SET_METHOD on an untracked BO fails and changes nothing.");
	igt_subtest("set-method-on-none-is-refused")
		test_set_method_on_none(fd);

	igt_fixture {
		close(fd);
	}
}
