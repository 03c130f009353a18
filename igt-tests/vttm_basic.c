// SPDX-License-Identifier: MIT
/*
 * Basic uAPI tests for vttm, the virtual TTM driver whose "device memory"
 * is a separate copy of each buffer object.
 *
 * Because the device copy is only updated by DRM_IOCTL_VTTM_GEM_SYNC and
 * can be read back with DRM_IOCTL_VTTM_DEVICE_READ, every claim about
 * coherence can be checked byte for byte from user space: what the CPU
 * wrote, which pages a sync copied (bitmap and count) and the per-BO
 * counters are all asserted exactly. Nothing here depends on timing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Basic uAPI tests for vttm: buffer objects, mappings, " \
	"sync to the device copy, device read-back, dumb buffers, " \
	"PRIME, moves between system and device memory and bad input."
IGT_TEST_DESCRIPTION(DESCRIPTION);

static uint64_t page_size;

/* ------------------------------------------------------------------ */
/* Patterns and comparisons                                           */
/* ------------------------------------------------------------------ */

/*
 * Plain CPU stores of the pattern into bytes [@offset, @offset + @len)
 * of @dst, where @dst maps (or mirrors) a whole BO. Offsets and lengths
 * are multiples of 4.
 */
static void write_pattern(void *dst, uint64_t offset, uint64_t len,
			  uint32_t seed)
{
	uint32_t *p = dst;

	for (uint64_t w = offset / 4; w < (offset + len) / 4; w++)
		p[w] = vttm_pattern_word(seed, w);
}

static void write_pages(void *dst, const unsigned int *pages,
			unsigned int count, uint32_t seed)
{
	for (unsigned int i = 0; i < count; i++)
		write_pattern(dst, pages[i] * page_size, page_size, seed);
}

static void *alloc_bytes(uint64_t size, int fill)
{
	void *p = malloc(size);

	igt_assert(p);
	memset(p, fill, size);

	return p;
}

static void assert_device_zero(int fd, uint32_t handle, uint64_t size)
{
	void *zero = alloc_bytes(size, 0);

	vttm_assert_device_eq(fd, handle, zero, size);
	free(zero);
}

static void assert_bytes_zero(const void *got, uint64_t size, const char *what)
{
	void *zero = alloc_bytes(size, 0);

	vttm_assert_bytes_eq(got, zero, size, what);
	free(zero);
}

/*
 * Sync @handle with a bitmap and check it against @want_bits (bitmap
 * layout, NULL meaning every page): with @exact, exactly the wanted
 * pages were copied; without, at least those. Either way pages_copied
 * must count the bits set. Returns pages_copied.
 *
 * The bitmap starts out as the inverse of what is wanted, so a kernel
 * that only sets bits, or only clears them, is caught. It is also
 * BITMAP_SLACK bytes larger than needed: the kernel must zero the unused
 * high bits of the last byte it writes and leave the slack alone.
 */
#define BITMAP_SLACK	8

static uint64_t __sync_expect(int fd, uint32_t handle, uint64_t npages,
			      const uint8_t *want_bits, bool exact)
{
	uint64_t bytes = vttm_bitmap_bytes(npages);
	uint8_t *bitmap = alloc_bytes(bytes + BITMAP_SLACK, 0xa5);
	uint64_t copied, set = 0;

	memset(bitmap, 0, bytes);
	for (uint64_t n = 0; n < bytes * 8; n++) {
		bool unused = n >= npages;

		if (unused || (want_bits && !vttm_bitmap_test(want_bits, n)))
			bitmap[n / 8] |= 1u << (n % 8);
	}

	copied = vttm_gem_sync_bitmap(fd, handle, bitmap,
				      bytes + BITMAP_SLACK);

	for (uint64_t n = 0; n < npages; n++) {
		bool want = !want_bits || vttm_bitmap_test(want_bits, n);
		bool got = vttm_bitmap_test(bitmap, n);

		igt_assert_f(got == want || (!exact && got),
			     "sync bitmap bit for page %llu is %d, want %d\n",
			     (unsigned long long)n, got, want);
		set += got;
	}
	igt_assert_eq_u64(copied, set);

	for (uint64_t n = npages; n < bytes * 8; n++)
		igt_assert_f(!vttm_bitmap_test(bitmap, n),
			     "unused sync bitmap bit %llu is set\n",
			     (unsigned long long)n);
	for (uint64_t i = bytes; i < bytes + BITMAP_SLACK; i++)
		igt_assert_f(bitmap[i] == 0xa5,
			     "sync wrote byte %llu past its bitmap\n",
			     (unsigned long long)i);
	free(bitmap);

	return copied;
}

/* Exactly the pages in @want_bits (all if NULL) must be copied. */
static void sync_expect(int fd, uint32_t handle, uint64_t npages,
			const uint8_t *want_bits)
{
	__sync_expect(fd, handle, npages, want_bits, true);
}

/* At least the pages in @want_bits must be copied. */
static uint64_t sync_expect_at_least(int fd, uint32_t handle,
				     uint64_t npages,
				     const uint8_t *want_bits)
{
	return __sync_expect(fd, handle, npages, want_bits, false);
}

static uint8_t *bits_of(uint64_t npages, const unsigned int *pages,
			unsigned int count)
{
	uint8_t *bits = alloc_bytes(vttm_bitmap_bytes(npages), 0);

	for (unsigned int i = 0; i < count; i++)
		bits[pages[i] / 8] |= 1u << (pages[i] % 8);

	return bits;
}

static void assert_counters(int fd, uint32_t handle, uint64_t syncs,
			    uint64_t pages_copied)
{
	struct drm_vttm_gem_info info;

	vttm_gem_info(fd, handle, &info);
	igt_assert_eq_u64(info.syncs, syncs);
	igt_assert_eq_u64(info.pages_copied, pages_copied);
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

static void bo_create_method(int fd, struct bo *bo, uint64_t npages,
			     uint32_t method)
{
	bo->npages = npages;
	bo->size = npages * page_size;
	bo->handle = vttm_gem_create_method(fd, bo->size, method);
	bo->map = vttm_gem_mmap(fd, bo->handle, bo->size,
				PROT_READ | PROT_WRITE);
}

static void bo_create(int fd, struct bo *bo, uint64_t npages)
{
	bo_create_method(fd, bo, npages, VTTM_METHOD_AUTO);
}

static void bo_destroy(int fd, struct bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	gem_close(fd, bo->handle);
}

static uint64_t device_mem_size(int fd)
{
	return vttm_get_param(fd, VTTM_PARAM_DEVICE_MEM_SIZE);
}

static bool has_device_mem(int fd)
{
	return device_mem_size(fd) != 0;
}

static void move_expect(int fd, uint32_t handle, uint32_t placement)
{
	vttm_gem_move(fd, handle, placement);
	igt_assert_eq_u32(vttm_gem_placement(fd, handle), placement);
}

/*
 * A BO in a known state for the bad-input tests: pattern A written and
 * synced everywhere, then pattern B written to its second and last pages
 * and not synced. A rejected ioctl must leave all of that alone: where
 * the BO is, what its mapping reads, counters, device copy, and the
 * dirty pages still waiting for the next sync.
 */
#define VICTIM_PAGES	9	/* bitmap needs two bytes, the second partial */
#define VICTIM_SYNCED	0x0a0a0a0au
#define VICTIM_DIRTY	0x0b0b0b0bu

struct victim {
	struct bo bo;
	unsigned int dirty[2];	/* pages written since the sync */
	uint32_t placement;	/* where the BO is */
	uint8_t *cpu;		/* what the mapping reads */
	uint8_t *device;	/* what the device copy holds */
};

static void victim_create_pages(int fd, struct victim *v, uint64_t npages)
{
	igt_assert_lt_u64(1, npages);
	bo_create(fd, &v->bo, npages);
	write_pattern(v->bo.map, 0, v->bo.size, VICTIM_SYNCED);
	igt_assert_eq_u64(vttm_gem_sync(fd, v->bo.handle), npages);
	v->dirty[0] = 1;
	v->dirty[1] = npages - 1;
	write_pages(v->bo.map, v->dirty, ARRAY_SIZE(v->dirty), VICTIM_DIRTY);
	v->placement = VTTM_PLACEMENT_SYSTEM;

	v->device = alloc_bytes(v->bo.size, 0);
	write_pattern(v->device, 0, v->bo.size, VICTIM_SYNCED);
	v->cpu = alloc_bytes(v->bo.size, 0);
	memcpy(v->cpu, v->device, v->bo.size);
	write_pages(v->cpu, v->dirty, ARRAY_SIZE(v->dirty), VICTIM_DIRTY);
}

static void victim_create(int fd, struct victim *v)
{
	victim_create_pages(fd, v, VICTIM_PAGES);
}

static void victim_assert_unchanged(int fd, const struct victim *v)
{
	igt_assert_eq_u32(vttm_gem_placement(fd, v->bo.handle), v->placement);
	vttm_assert_bytes_eq(v->bo.map, v->cpu, v->bo.size, "victim's mapping");
	assert_counters(fd, v->bo.handle, 1, v->bo.npages);
	vttm_assert_device_eq(fd, v->bo.handle, v->device, v->bo.size);
}

/* Moving the victim is not a sync: it changes where it is, nothing else. */
static void victim_move(int fd, struct victim *v, uint32_t placement)
{
	vttm_gem_move(fd, v->bo.handle, placement);
	v->placement = placement;
	victim_assert_unchanged(fd, v);
}

/* A move of the victim that must fail with @err and change nothing. */
static void __victim_move_fails(int fd, const struct victim *v,
				struct drm_vttm_gem_move *arg, int err)
{
	int ret;

	arg->handle = v->bo.handle;
	ret = __vttm_gem_move(fd, arg);
	igt_assert_f(ret == err,
		     "move to %#x, flags %#x, pad %#x gave %d, want %d\n",
		     arg->placement, arg->flags, arg->pad, ret, err);
	victim_assert_unchanged(fd, v);
}

static void victim_move_fails(int fd, const struct victim *v,
			      uint32_t placement, int err)
{
	struct drm_vttm_gem_move arg = { .placement = placement };

	__victim_move_fails(fd, v, &arg, err);
}

/*
 * The next good sync still brings the pending writes to the device and
 * counts as the BO's second sync. Whether it copies only the dirty pages
 * is sync-copies-exactly-the-written-pages' business, not this one's.
 */
static void victim_finish(int fd, struct victim *v)
{
	uint8_t *bits = bits_of(v->bo.npages, v->dirty, ARRAY_SIZE(v->dirty));
	uint64_t copied;

	victim_assert_unchanged(fd, v);
	copied = sync_expect_at_least(fd, v->bo.handle, v->bo.npages, bits);
	vttm_assert_device_eq(fd, v->bo.handle, v->cpu, v->bo.size);
	assert_counters(fd, v->bo.handle, 2, v->bo.npages + copied);

	free(bits);
	free(v->cpu);
	free(v->device);
	bo_destroy(fd, &v->bo);
}

/*
 * A descriptor of its own for create tests: no object exists in it, so
 * any handle that answers GEM_INFO would have been leaked by a failed
 * create. GEM handles are small integers starting at 1 per file.
 */
static void assert_no_handles(int fd)
{
	for (uint32_t h = 1; h <= 64; h++) {
		struct drm_vttm_gem_info info = { .handle = h };

		igt_assert_eq(__vttm_gem_info(fd, &info), -ENOENT);
	}
}

/* Handles that name nothing in @fd; @closed was created and closed. */
static void bad_handles(int fd, uint32_t *out, unsigned int *count)
{
	uint32_t closed = vttm_gem_create(fd, page_size);

	gem_close(fd, closed);
	out[0] = 0;
	out[1] = closed;
	out[2] = 0xffffffffu;
	out[3] = 0x7fffffffu;
	*count = 4;
}

static const uint32_t bad_pads[] = { 1, 0x80000000u, 0xffffffffu };

/* Memory that makes copy_to_user() fault: NULL, read-only, unmapped. */
static void bad_pointers(uint64_t *out, unsigned int *count)
{
	void *ro, *gone;

	ro = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	igt_assert(ro != MAP_FAILED);
	gone = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(gone != MAP_FAILED);
	munmap(gone, page_size);

	out[0] = 0;
	out[1] = to_user_pointer(ro);
	out[2] = to_user_pointer(gone);
	*count = 3;
}

/* ------------------------------------------------------------------ */
/* Subtests: the device                                               */
/* ------------------------------------------------------------------ */

/*
 * Which kind of DRM node @fd is: DRM numbers primary nodes from minor 0
 * and render nodes from minor 128, 64 minors per kind.
 */
enum node_kind { NODE_PRIMARY = 0, NODE_RENDER = 2, NODE_NONE = -1 };

static enum node_kind node_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return NODE_NONE;

	return minor(st.st_rdev) / 64;
}

static void test_open(int fd)
{
	char name[32] = "", desc[128] = "";
	struct drm_version v = {
		.name_len = sizeof(name) - 1,
		.name = name,
		.desc_len = sizeof(desc) - 1,
		.desc = desc,
	};

	do_ioctl(fd, DRM_IOCTL_VERSION, &v);
	igt_assert_eq((int)v.name_len, 4);
	igt_assert_eq(strcmp(name, "vttm"), 0);
	igt_assert_eq(node_kind(fd), NODE_PRIMARY);
	igt_info("vttm %d.%d.%d: %s\n", v.version_major, v.version_minor,
		 v.version_patchlevel, desc);
}

static void test_render_node(void)
{
	int rfd = drm_open_vttm_render();
	struct bo bo;

	igt_require_f(node_kind(rfd) == NODE_RENDER,
		      "vttm exposes no render node\n");

	bo_create(rfd, &bo, 4);
	write_pattern(bo.map, 0, bo.size, 0x4e4d0001);
	sync_expect(rfd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(rfd, bo.handle, bo.map, bo.size);
	bo_destroy(rfd, &bo);
	close(rfd);
}

/* ------------------------------------------------------------------ */
/* Subtests: creating and closing                                     */
/* ------------------------------------------------------------------ */

static void test_create_rounds_up(int fd)
{
	const uint64_t sizes[] = {
		1, page_size - 1, page_size, page_size + 1,
		3 * page_size + 5, 64 * page_size,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct drm_vttm_gem_info info;
		uint32_t handle = vttm_gem_create(fd, sizes[i]);

		memset(&info, 0xff, sizeof(info));
		info.handle = handle;
		info.pad = 0;
		/* pad2 is output only: garbage in, zero out */
		igt_assert_eq(__vttm_gem_info(fd, &info), 0);

		igt_assert_eq_u32(info.handle, handle);
		igt_assert_eq_u64(info.size,
				  (sizes[i] + page_size - 1) / page_size *
				  page_size);
		igt_assert_eq_u32(info.placement, VTTM_PLACEMENT_SYSTEM);
		igt_assert_eq_u32(info.pad2, 0);
		igt_assert_eq_u64(info.syncs, 0);
		igt_assert_eq_u64(info.pages_copied, 0);
		gem_close(fd, handle);
	}
}

static void test_create_zeroed(int fd)
{
	struct bo bo;

	bo_create(fd, &bo, 16);
	assert_bytes_zero(bo.map, bo.size, "new BO's CPU mapping");
	assert_device_zero(fd, bo.handle, bo.size);
	bo_destroy(fd, &bo);
}

static void test_close(int fd)
{
	struct drm_vttm_gem_mmap_offset mo = {};
	struct drm_vttm_gem_info info = {};
	struct drm_gem_close gc = {};
	uint32_t handle, other;

	handle = vttm_gem_create(fd, page_size);
	other = vttm_gem_create(fd, page_size);
	gem_close(fd, handle);

	info.handle = handle;
	igt_assert_eq(__vttm_gem_info(fd, &info), -ENOENT);
	mo.handle = handle;
	igt_assert_eq(__vttm_gem_mmap_offset(fd, &mo), -ENOENT);
	gc.handle = handle;
	do_ioctl_err(fd, DRM_IOCTL_GEM_CLOSE, &gc, EINVAL);

	/* closing one handle leaves its neighbour alone */
	vttm_gem_info(fd, other, &info);
	igt_assert_eq_u64(info.size, page_size);
	gem_close(fd, other);
}

/* ------------------------------------------------------------------ */
/* Subtests: coherence through sync                                   */
/* ------------------------------------------------------------------ */

static void test_sync_matches(int fd)
{
	uint8_t bitmap[32];
	struct bo bo;

	/* 1 MiB: 256 pages of 4 KiB, a bitmap of exactly 32 bytes */
	bo_create(fd, &bo, (1 << 20) / page_size);
	igt_assert_lte_u64(vttm_bitmap_bytes(bo.npages), sizeof(bitmap));
	write_pattern(bo.map, 0, bo.size, 0x5a5a0001);

	memset(bitmap, 0, sizeof(bitmap));
	igt_assert_eq_u64(vttm_gem_sync_bitmap(fd, bo.handle, bitmap,
					       vttm_bitmap_bytes(bo.npages)),
			  bo.npages);
	for (uint64_t n = 0; n < bo.npages; n++)
		igt_assert_f(vttm_bitmap_test(bitmap, n),
			     "page %llu missing from the sync bitmap\n",
			     (unsigned long long)n);

	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	assert_counters(fd, bo.handle, 1, bo.npages);

	bo_destroy(fd, &bo);
}

static void test_stale_until_sync(int fd)
{
	struct bo bo;
	uint8_t *first;

	bo_create(fd, &bo, 8);

	write_pattern(bo.map, 0, bo.size, 0x57a1e001);
	/* the write is in the BO, but the device has not seen it */
	assert_device_zero(fd, bo.handle, bo.size);

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	first = alloc_bytes(bo.size, 0);
	memcpy(first, bo.map, bo.size);

	write_pattern(bo.map, 0, bo.size, 0x57a1e002);
	vttm_assert_device_eq(fd, bo.handle, first, bo.size);

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	free(first);
	bo_destroy(fd, &bo);
}

static void test_sync_without_writes(int fd)
{
	uint8_t *none;
	struct bo bo;

	bo_create(fd, &bo, 8);
	none = bits_of(bo.npages, NULL, 0);

	/* a fresh BO: nothing written yet, nothing to copy */
	sync_expect(fd, bo.handle, bo.npages, none);
	assert_counters(fd, bo.handle, 1, 0);

	write_pattern(bo.map, 0, bo.size, 0x0dd0001);
	sync_expect(fd, bo.handle, bo.npages, NULL);

	/* and again once everything is up to date */
	sync_expect(fd, bo.handle, bo.npages, none);
	assert_counters(fd, bo.handle, 3, bo.npages);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	free(none);
	bo_destroy(fd, &bo);
}

static void test_sync_exact_pages(int fd)
{
	/* an odd count, so the last bitmap byte is partly used */
	const unsigned int first[] = { 0, 5, 8, 36 };
	const unsigned int second[] = { 1, 36 };
	uint8_t *bits, *want;
	struct bo bo;

	bo_create(fd, &bo, 37);
	want = alloc_bytes(bo.size, 0);

	/* one word per page is enough to make the page dirty */
	for (unsigned int i = 0; i < ARRAY_SIZE(first); i++) {
		write_pattern(bo.map, first[i] * page_size + 64, 4, 0xe0001);
		write_pattern(want, first[i] * page_size + 64, 4, 0xe0001);
	}
	bits = bits_of(bo.npages, first, ARRAY_SIZE(first));
	sync_expect(fd, bo.handle, bo.npages, bits);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);
	free(bits);

	write_pages(bo.map, second, ARRAY_SIZE(second), 0xe0002);
	write_pages(want, second, ARRAY_SIZE(second), 0xe0002);
	bits = bits_of(bo.npages, second, ARRAY_SIZE(second));
	sync_expect(fd, bo.handle, bo.npages, bits);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);
	free(bits);

	assert_counters(fd, bo.handle, 2,
			ARRAY_SIZE(first) + ARRAY_SIZE(second));
	free(want);
	bo_destroy(fd, &bo);
}

/* Read a word in every 64 bytes; callers check the sum, so none is skipped */
static uint32_t read_all(const void *map, uint64_t size)
{
	const uint32_t *p = map;
	uint32_t sum = 0;

	for (uint64_t i = 0; i < size / 4; i += 16)
		sum += p[i];

	return sum;
}

static void test_reads_do_not_dirty(int fd)
{
	uint8_t *none, *want;
	struct bo bo;

	bo_create(fd, &bo, 16);
	none = bits_of(bo.npages, NULL, 0);
	want = alloc_bytes(bo.size, 0);
	write_pattern(want, 0, bo.size, 0x4ead0001);

	/* faulting pages in for reading is not writing them */
	igt_assert_eq_u32(read_all(bo.map, bo.size), 0);
	sync_expect(fd, bo.handle, bo.npages, none);

	write_pattern(bo.map, 0, bo.size, 0x4ead0001);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	igt_assert_eq_u32(read_all(bo.map, bo.size), read_all(want, bo.size));
	sync_expect(fd, bo.handle, bo.npages, none);

	assert_counters(fd, bo.handle, 3, bo.npages);
	free(want);
	free(none);
	bo_destroy(fd, &bo);
}

static void test_rewrite_after_sync(int fd)
{
	const unsigned int page[] = { 2 };
	uint64_t copied = 0;
	uint8_t *bits;
	struct bo bo;

	bo_create(fd, &bo, 4);
	bits = bits_of(bo.npages, page, 1);

	/*
	 * Each sync must re-arm write tracking: the same page written
	 * again after a sync is dirty again.
	 */
	for (uint32_t round = 1; round <= 3; round++) {
		write_pages(bo.map, page, 1, 0x4e770000 + round);
		copied += sync_expect_at_least(fd, bo.handle, bo.npages,
					       bits);
		vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);
	}
	assert_counters(fd, bo.handle, 3, copied);

	free(bits);
	bo_destroy(fd, &bo);
}

static void test_writes_survive_munmap(int fd)
{
	uint8_t *want;
	struct bo bo;

	bo_create(fd, &bo, 32);
	want = alloc_bytes(bo.size, 0);
	write_pattern(want, 0, bo.size, 0x3a3a0001);

	write_pattern(bo.map, 0, bo.size, 0x3a3a0001);
	munmap(bo.map, bo.size);
	bo.map = NULL;

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);

	free(want);
	bo_destroy(fd, &bo);
}

static void test_two_mappings(int fd)
{
	uint8_t *second, *want;
	struct bo bo;

	bo_create(fd, &bo, 16);
	second = vttm_gem_mmap(fd, bo.handle, bo.size,
			       PROT_READ | PROT_WRITE);
	want = alloc_bytes(bo.size, 0);

	/* even pages through one mapping, odd pages through the other */
	for (uint64_t n = 0; n < bo.npages; n++) {
		uint8_t *map = n % 2 ? second : bo.map;

		write_pattern(map, n * page_size, page_size, 0x2b2b0001);
		write_pattern(want, n * page_size, page_size, 0x2b2b0001);
	}
	vttm_assert_bytes_eq(bo.map, want, bo.size, "first mapping");
	vttm_assert_bytes_eq(second, want, bo.size, "second mapping");

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);

	munmap(second, bo.size);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * The counters must add up what the syncs reported: one per successful
 * sync, and exactly the pages each one said it copied. How many pages a
 * sync should copy is checked by the bitmap tests.
 */
static void test_private_mmap_refused(int fd)
{
	struct bo bo;
	uint64_t offset;
	void *ptr;
	int dmabuf;

	bo_create(fd, &bo, 2);
	offset = vttm_gem_mmap_offset(fd, bo.handle);

	/* copy-on-write pages would never reach the device copy */
	ptr = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		   offset);
	igt_assert(ptr == MAP_FAILED);
	igt_assert_eq(errno, EINVAL);

	dmabuf = prime_handle_to_fd_for_mmap(fd, bo.handle);
	igt_assert_fd(dmabuf);
	ptr = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   dmabuf, 0);
	igt_assert(ptr == MAP_FAILED);
	igt_assert_eq(errno, EINVAL);
	close(dmabuf);

	/* and nothing reached the BO through them */
	assert_device_zero(fd, bo.handle, bo.size);
	bo_destroy(fd, &bo);
}

static void test_counters(int fd)
{
	const unsigned int some[] = { 0, 4, 9 };
	struct drm_vttm_gem_sync bad = {};
	uint64_t pages = 0;
	uint8_t buf[64];
	struct bo bo;

	bo_create(fd, &bo, 10);
	assert_counters(fd, bo.handle, 0, 0);

	write_pattern(bo.map, 0, bo.size, 0xc0c00001);
	pages += vttm_gem_sync(fd, bo.handle);
	igt_assert_eq_u64(pages, 10);
	assert_counters(fd, bo.handle, 1, pages);

	/* a sync with nothing new to copy still counts as a sync */
	pages += vttm_gem_sync(fd, bo.handle);
	assert_counters(fd, bo.handle, 2, pages);

	write_pages(bo.map, some, ARRAY_SIZE(some), 0xc0c00002);
	pages += vttm_gem_sync(fd, bo.handle);
	assert_counters(fd, bo.handle, 3, pages);

	/* reading the device copy is not a sync */
	vttm_device_read(fd, bo.handle, 0, buf, sizeof(buf));
	assert_counters(fd, bo.handle, 3, pages);

	/* nor is a rejected sync */
	bad.handle = bo.handle;
	bad.flags = 1;
	igt_assert_eq(__vttm_gem_sync(fd, &bad), -EINVAL);
	assert_counters(fd, bo.handle, 3, pages);

	/* nor is another BO's sync */
	{
		uint32_t other = vttm_gem_create(fd, page_size);

		vttm_gem_sync(fd, other);
		assert_counters(fd, bo.handle, 3, pages);
		gem_close(fd, other);
	}

	bo_destroy(fd, &bo);
}

/*
 * GEM_INFO's scan and copy times: each grows with what a sync did, and
 * nothing else moves them; an untracked BO has nothing to scan.
 */
static void test_sync_times(int fd, uint32_t method)
{
	struct drm_vttm_gem_info t0, t1, t2;
	struct drm_vttm_gem_sync bad = {};
	uint8_t buf[64];
	struct bo bo;

	bo_create_method(fd, &bo, 8, method);
	vttm_gem_info(fd, bo.handle, &t0);
	igt_assert_eq_u64(t0.scan_ns, 0);
	igt_assert_eq_u64(t0.copy_ns, 0);

	write_pattern(bo.map, 0, bo.size, 0x71e50001);
	vttm_gem_sync(fd, bo.handle);
	vttm_gem_info(fd, bo.handle, &t1);
	igt_assert(t1.copy_ns > 0);
	if (method == VTTM_METHOD_NONE)
		igt_assert_eq_u64(t1.scan_ns, 0);
	else
		igt_assert(t1.scan_ns > 0);

	/* reading the device copy and a rejected sync do neither */
	vttm_device_read(fd, bo.handle, 0, buf, sizeof(buf));
	bad.handle = bo.handle;
	bad.flags = 1;
	igt_assert_eq(__vttm_gem_sync(fd, &bad), -EINVAL);
	vttm_gem_info(fd, bo.handle, &t2);
	igt_assert_eq_u64(t2.scan_ns, t1.scan_ns);
	igt_assert_eq_u64(t2.copy_ns, t1.copy_ns);

	/*
	 * A sync that finds nothing written adds what little it took (a
	 * coarse clock may read that as nothing), and an untracked BO
	 * copies it whole again.
	 */
	vttm_gem_sync(fd, bo.handle);
	vttm_gem_info(fd, bo.handle, &t2);
	igt_assert(t2.scan_ns >= t1.scan_ns);
	if (method == VTTM_METHOD_NONE) {
		igt_assert_eq_u64(t2.scan_ns, 0);
		igt_assert(t2.copy_ns > t1.copy_ns);
	} else {
		igt_assert(t2.copy_ns >= t1.copy_ns);
	}

	bo_destroy(fd, &bo);
}

struct range {
	uint64_t offset;
	uint64_t size;
};

static void test_device_read_ranges(int fd)
{
	struct range r[9];
	struct bo bo;
	uint8_t *buf;

	bo_create(fd, &bo, 3);
	write_pattern(bo.map, 0, bo.size, 0x4a4a0001);
	igt_assert_eq_u64(vttm_gem_sync(fd, bo.handle), bo.npages);
	buf = alloc_bytes(bo.size + 16, 0);

	r[0] = (struct range){ 0, 1 };
	r[1] = (struct range){ 1, 7 };
	r[2] = (struct range){ page_size - 3, 6 };	/* across a page */
	r[3] = (struct range){ page_size, page_size };
	r[4] = (struct range){ page_size + 1, 2 * page_size - 1 }; /* to end */
	r[5] = (struct range){ bo.size - 1, 1 };
	r[6] = (struct range){ 0, bo.size };
	/* empty ranges, at either end, read nothing */
	r[7] = (struct range){ 0, 0 };
	r[8] = (struct range){ bo.size, 0 };

	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		memset(buf, 0xa5, bo.size + 16);
		vttm_device_read(fd, bo.handle, r[i].offset, buf, r[i].size);
		vttm_assert_bytes_eq(buf, bo.map + r[i].offset, r[i].size,
				     "device read");
		/* and not a byte more */
		for (uint64_t j = r[i].size; j < r[i].size + 16; j++)
			igt_assert_eq(buf[j], 0xa5);
	}

	free(buf);
	bo_destroy(fd, &bo);
}

/* ------------------------------------------------------------------ */
/* Subtests: dumb buffers                                             */
/* ------------------------------------------------------------------ */

static void *map_dumb(int fd, uint32_t handle, uint64_t size)
{
	struct drm_mode_map_dumb map = { .handle = handle };
	void *ptr;

	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map);
	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   map.offset);
	igt_assert(ptr != MAP_FAILED);

	return ptr;
}

static void create_dumb(int fd, struct drm_mode_create_dumb *create)
{
	memset(create, 0, sizeof(*create));
	create->width = 61;	/* not a power of two: pitch may pad */
	create->height = 17;
	create->bpp = 32;

	do_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, create);
	igt_assert_neq_u32(create->handle, 0);
	igt_assert_lte_u64(create->width * 4ull, create->pitch);
	igt_assert_lte_u64((uint64_t)create->pitch * create->height,
			   create->size);
}

static void test_dumb_round_trip(int fd)
{
	struct drm_mode_destroy_dumb destroy = {};
	struct drm_mode_create_dumb create;
	uint64_t size;
	uint8_t *ptr, *want;

	create_dumb(fd, &create);
	size = create.size & ~3ull;

	ptr = map_dumb(fd, create.handle, create.size);
	write_pattern(ptr, 0, size, 0xd0d00001);
	munmap(ptr, create.size);

	/* a fresh mapping sees what the first one wrote */
	want = alloc_bytes(size, 0);
	write_pattern(want, 0, size, 0xd0d00001);
	ptr = map_dumb(fd, create.handle, create.size);
	vttm_assert_bytes_eq(ptr, want, size, "dumb buffer");
	munmap(ptr, create.size);

	destroy.handle = create.handle;
	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	free(want);
}

static void test_dumb_destroy(int fd)
{
	struct drm_mode_destroy_dumb destroy = {};
	struct drm_mode_create_dumb create;
	struct drm_mode_map_dumb map = {};
	struct drm_vttm_gem_info info = {};

	create_dumb(fd, &create);
	destroy.handle = create.handle;
	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);

	map.handle = create.handle;
	do_ioctl_err(fd, DRM_IOCTL_MODE_MAP_DUMB, &map, ENOENT);
	info.handle = create.handle;
	igt_assert_eq(__vttm_gem_info(fd, &info), -ENOENT);
	do_ioctl_err(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy, EINVAL);
}

/* ------------------------------------------------------------------ */
/* Subtests: PRIME                                                    */
/* ------------------------------------------------------------------ */

static void test_prime_self_import(int fd)
{
	struct bo bo;
	int dmabuf;

	bo_create(fd, &bo, 8);
	write_pattern(bo.map, 0, bo.size, 0x9a9a0001);

	dmabuf = prime_handle_to_fd(fd, bo.handle);
	igt_assert_eq_u64(prime_get_size(dmabuf), bo.size);
	igt_assert_eq_u32(prime_fd_to_handle(fd, dmabuf), bo.handle);

	/* the BO outlives its dma-buf and is still the same object */
	close(dmabuf);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, bo.map, bo.size);

	bo_destroy(fd, &bo);
}

static void test_prime_child(int fd)
{
	uint8_t *want;
	struct bo bo;
	int dmabuf;

	bo_create(fd, &bo, 64);
	dmabuf = prime_handle_to_fd(fd, bo.handle);
	want = alloc_bytes(bo.size, 0);
	write_pattern(want, 0, bo.size, 0xc41d0001);

	/*
	 * The child is another DRM client: its own file, its own handle
	 * for the same BO, its own mapping. Its writes must be tracked on
	 * the BO itself, since the child is gone by the time the parent
	 * syncs.
	 */
	igt_fork(child, 1) {
		int cfd = drm_open_vttm();
		struct drm_vttm_gem_info info;
		uint32_t handle;
		uint8_t *map;

		handle = prime_fd_to_handle(cfd, dmabuf);
		vttm_gem_info(cfd, handle, &info);
		igt_assert_eq_u64(info.size, bo.size);

		map = vttm_gem_mmap(cfd, handle, bo.size,
				    PROT_READ | PROT_WRITE);
		write_pattern(map, 0, bo.size, 0xc41d0001);
		munmap(map, bo.size);
		gem_close(cfd, handle);
		close(cfd);
	}
	igt_waitchildren();
	close(dmabuf);

	vttm_assert_bytes_eq(bo.map, want, bo.size, "parent's mapping");
	assert_device_zero(fd, bo.handle, bo.size);

	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);
	assert_counters(fd, bo.handle, 1, bo.npages);

	free(want);
	bo_destroy(fd, &bo);
}

static void test_dma_buf_mmap(int fd)
{
	uint8_t *want, *map;
	struct bo bo;
	int dmabuf;

	bo_create(fd, &bo, 16);
	want = alloc_bytes(bo.size, 0);
	write_pattern(want, 0, bo.size, 0xd3a0001);

	dmabuf = prime_handle_to_fd_for_mmap(fd, bo.handle);
	igt_assert_fd(dmabuf);
	map = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf,
		   0);
	igt_assert(map != MAP_FAILED);

	prime_sync_start(dmabuf, true);
	write_pattern(map, 0, bo.size, 0xd3a0001);
	prime_sync_end(dmabuf, true);
	munmap(map, bo.size);
	close(dmabuf);

	/* the same pages as the BO's own mapping, tracked the same way */
	vttm_assert_bytes_eq(bo.map, want, bo.size, "BO mapping");
	assert_device_zero(fd, bo.handle, bo.size);
	sync_expect(fd, bo.handle, bo.npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);

	free(want);
	bo_destroy(fd, &bo);
}

static void test_prime_import_bad_fd(void)
{
	struct drm_prime_handle arg = {};
	int fd = drm_open_vttm();
	int memfd, closed;

	/* a file that is not a dma-buf */
	memfd = memfd_create("vttm-not-a-dma-buf", MFD_CLOEXEC);
	igt_assert_fd(memfd);
	igt_assert_eq(ftruncate(memfd, page_size), 0);
	arg.fd = memfd;
	do_ioctl_err(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg, EINVAL);
	close(memfd);

	/* a descriptor that is not open at all */
	closed = dup(fd);
	igt_assert_fd(closed);
	close(closed);
	arg.fd = closed;
	do_ioctl_err(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg, EBADF);

	assert_no_handles(fd);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Subtests: device memory and moves                                  */
/* ------------------------------------------------------------------ */

/* Device memory comes in chunks of 2 MiB; vttm.vram_mb is rounded up. */
#define DEVICE_MEM_CHUNK	(2ull << 20)
/* vttm caps vttm.vram_mb at this, so larger values give less. */
#define VRAM_MB_MAX		4096

/*
 * Pages of the BOs moved back and forth below: a few more than a chunk,
 * so that such a BO spans two chunks wherever device memory puts it, and
 * its sync bitmap ends in a partly used byte.
 */
static uint64_t move_pages(void)
{
	return DEVICE_MEM_CHUNK / page_size + 3;
}

/* vttm.vram_mb as the module reports it, or -1 if it cannot be read. */
static long vram_mb_param(void)
{
	FILE *f = fopen("/sys/module/vttm/parameters/vram_mb", "r");
	long mb = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &mb) != 1)
		mb = -1;
	fclose(f);

	return mb;
}

static void test_get_param_device_mem(int fd)
{
	static const uint32_t bad_params[] = {
		VTTM_PARAM_CLIENT_MEM_USED + 1, 0x80000000u, 0xffffffffu,
	};
	const uint64_t untouched = 0xa5a5a5a5a5a5a5a5ull;
	struct drm_vttm_get_param arg = {
		.param = VTTM_PARAM_DEVICE_MEM_SIZE,
		.value = untouched,	/* output only: overwritten */
	};
	long mb = vram_mb_param();
	uint64_t size;
	int other;

	igt_assert_eq(__vttm_get_param(fd, &arg), 0);
	igt_assert_eq_u32(arg.param, VTTM_PARAM_DEVICE_MEM_SIZE);
	igt_assert_eq_u32(arg.pad, 0);
	size = arg.value;
	igt_info("device memory: %llu MiB; vttm.vram_mb: %ld\n",
		 (unsigned long long)(size >> 20), mb);

	igt_assert_eq_u64(size % page_size, 0);
	igt_assert_eq_u64(size % DEVICE_MEM_CHUNK, 0);
	if (mb == 0) {
		igt_assert_eq_u64(size, 0);
	} else {
		/* vram_mb is unknown (default 64) or set, and not to 0 */
		igt_assert_neq_u64(size, 0);
		if (mb > 0 && mb <= VRAM_MB_MAX)
			igt_assert_eq_u64(size, (uint64_t)(mb + 1) / 2 *
					  DEVICE_MEM_CHUNK);
	}

	/* the same again, and in another DRM file */
	igt_assert_eq_u64(device_mem_size(fd), size);
	other = drm_open_vttm();
	igt_assert_eq_u64(device_mem_size(other), size);
	close(other);

	/* rejected: the value is left alone */
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_params); i++) {
		arg = (struct drm_vttm_get_param){
			.param = bad_params[i],
			.value = untouched,
		};
		igt_assert_f(__vttm_get_param(fd, &arg) == -EINVAL,
			     "param %#x not rejected with EINVAL\n",
			     bad_params[i]);
		igt_assert_eq_u64(arg.value, untouched);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_pads); i++) {
		arg = (struct drm_vttm_get_param){
			.param = VTTM_PARAM_DEVICE_MEM_SIZE,
			.pad = bad_pads[i],
			.value = untouched,
		};
		igt_assert_f(__vttm_get_param(fd, &arg) == -EINVAL,
			     "pad %#x not rejected with EINVAL\n",
			     bad_pads[i]);
		igt_assert_eq_u64(arg.value, untouched);
	}
}

/*
 * A move to the placement the BO is in already: it stays there, and
 * nothing GEM_INFO reports changes. The mapping still reads @want.
 */
static void move_in_place(int fd, const struct bo *bo, uint32_t placement,
			  const uint8_t *want)
{
	struct drm_vttm_gem_info before, after;

	vttm_gem_info(fd, bo->handle, &before);
	igt_assert_eq_u32(before.placement, placement);
	vttm_gem_move(fd, bo->handle, placement);
	vttm_gem_info(fd, bo->handle, &after);

	igt_assert_eq_u32(after.placement, placement);
	igt_assert_eq_u64(after.syncs, before.syncs);
	igt_assert_eq_u64(after.pages_copied, before.pages_copied);
	igt_assert_f(!memcmp(&after, &before, sizeof(after)),
		     "GEM_INFO changed across a move in place\n");
	vttm_assert_bytes_eq(bo->map, want, bo->size,
			     "mapping after a move in place");
}

static void test_move_keeps_contents(int fd, uint32_t method)
{
	const uint64_t npages = move_pages();
	const unsigned int again[] = { 3, npages - 1 };
	uint8_t *want, *second, *bits = NULL;
	uint64_t half;
	struct bo bo;

	vttm_require_device_mem(fd, npages * page_size);
	bo_create_method(fd, &bo, npages, method);
	half = npages / 2 * page_size;
	want = alloc_bytes(bo.size, 0);

	write_pattern(bo.map, 0, bo.size, 0x30e00001);
	write_pattern(want, 0, bo.size, 0x30e00001);
	move_in_place(fd, &bo, VTTM_PLACEMENT_SYSTEM, want);

	move_expect(fd, bo.handle, VTTM_PLACEMENT_DEVICE);
	vttm_assert_bytes_eq(bo.map, want, bo.size,
			     "mapping moved to device memory");
	second = vttm_gem_mmap(fd, bo.handle, bo.size,
			       PROT_READ | PROT_WRITE);
	vttm_assert_bytes_eq(second, want, bo.size,
			     "new mapping in device memory");
	/* a move is not a sync: the device has seen nothing yet */
	assert_counters(fd, bo.handle, 0, 0);
	assert_device_zero(fd, bo.handle, bo.size);
	move_in_place(fd, &bo, VTTM_PLACEMENT_DEVICE, want);

	/* writes in device memory, through both mappings */
	write_pattern(bo.map, 0, half, 0x30e00002);
	write_pattern(want, 0, half, 0x30e00002);
	write_pattern(second, half, bo.size - half, 0x30e00003);
	write_pattern(want, half, bo.size - half, 0x30e00003);
	vttm_assert_bytes_eq(bo.map, want, bo.size,
			     "first mapping in device memory");
	vttm_assert_bytes_eq(second, want, bo.size,
			     "second mapping in device memory");

	move_expect(fd, bo.handle, VTTM_PLACEMENT_SYSTEM);
	vttm_assert_bytes_eq(bo.map, want, bo.size,
			     "first mapping back in system memory");
	vttm_assert_bytes_eq(second, want, bo.size,
			     "second mapping back in system memory");
	assert_counters(fd, bo.handle, 0, 0);
	assert_device_zero(fd, bo.handle, bo.size);

	/* every page was written, in one placement or the other */
	sync_expect(fd, bo.handle, npages, NULL);
	vttm_assert_device_eq(fd, bo.handle, want, bo.size);

	/*
	 * Writes pending across a move in place, in either placement, are
	 * the ones the next sync copies: no more and no fewer, unless the
	 * BO is untracked and every sync copies everything.
	 */
	if (method != VTTM_METHOD_NONE)
		bits = bits_of(npages, again, ARRAY_SIZE(again));
	for (uint32_t to = VTTM_PLACEMENT_SYSTEM; to <= VTTM_PLACEMENT_DEVICE;
	     to++) {
		if (to != VTTM_PLACEMENT_SYSTEM)
			move_expect(fd, bo.handle, to);
		write_pages(second, again, ARRAY_SIZE(again), 0x30e00010 + to);
		write_pages(want, again, ARRAY_SIZE(again), 0x30e00010 + to);
		move_in_place(fd, &bo, to, want);
		sync_expect(fd, bo.handle, npages, bits);
		vttm_assert_device_eq(fd, bo.handle, want, bo.size);
	}

	munmap(second, bo.size);
	free(bits);
	free(want);
	bo_destroy(fd, &bo);
}

/*
 * A BO neither written nor mapped before it moves to device memory reads
 * zero there: through a mapping and, since an untracked BO's sync copies
 * every page, on the device.
 */
static void fresh_bo_reads_zero(int fd, uint64_t npages)
{
	struct bo bo = { .npages = npages, .size = npages * page_size };

	bo.handle = vttm_gem_create_method(fd, bo.size, VTTM_METHOD_NONE);
	move_expect(fd, bo.handle, VTTM_PLACEMENT_DEVICE);
	bo.map = vttm_gem_mmap(fd, bo.handle, bo.size, PROT_READ);
	assert_bytes_zero(bo.map, bo.size, "new BO in device memory");
	sync_expect(fd, bo.handle, npages, NULL);
	assert_device_zero(fd, bo.handle, bo.size);
	bo_destroy(fd, &bo);
}

static void test_move_new_bo_zero(int fd)
{
	/* how the BO that was in device memory before makes room */
	enum { CLOSED, MOVED_OUT, EVICTED, NUM_WAYS };
	static const char * const way[] = { "closed", "moved out", "evicted" };
	uint64_t size;

	vttm_require_device_mem(fd, move_pages() * page_size);
	fresh_bo_reads_zero(fd, move_pages());

	/*
	 * As large as device memory (or the largest BO), so that the new BO
	 * gets the very range the old one filled with a pattern that has no
	 * zero word.
	 */
	size = device_mem_size(fd);
	if (size > DRM_VTTM_MAX_BO_SIZE)
		size = DRM_VTTM_MAX_BO_SIZE;
	for (unsigned int how = 0; how < NUM_WAYS; how++) {
		struct bo old;
		uint8_t *want;

		igt_debug("old BO %s\n", way[how]);
		bo_create(fd, &old, size / page_size);
		move_expect(fd, old.handle, VTTM_PLACEMENT_DEVICE);
		write_pattern(old.map, 0, old.size, 0x1eac0000 + how);

		if (how == CLOSED)
			bo_destroy(fd, &old);
		else if (how == MOVED_OUT)
			move_expect(fd, old.handle, VTTM_PLACEMENT_SYSTEM);

		fresh_bo_reads_zero(fd, size / page_size);
		if (how == CLOSED)
			continue;

		/* the old BO lost nothing on its way out */
		igt_assert_eq_u32(vttm_gem_placement(fd, old.handle),
				  VTTM_PLACEMENT_SYSTEM);
		want = alloc_bytes(old.size, 0);
		write_pattern(want, 0, old.size, 0x1eac0000 + how);
		vttm_assert_bytes_eq(old.map, want, old.size,
				     "old BO back in system memory");
		free(want);
		bo_destroy(fd, &old);
	}
}

/*
 * Two BOs that do not fit in device memory together: moving one in
 * evicts the other to system memory, GEM_INFO says so, and both keep
 * their contents. An eviction is not a sync either.
 */
static void test_eviction_in_info(int fd)
{
	struct bo bo[2];
	uint8_t *want[2];
	uint64_t npages;

	vttm_require_device_mem(fd, move_pages() * page_size);
	npages = device_mem_size(fd) / 2 / page_size + 1;
	igt_require_f(npages * page_size <= DRM_VTTM_MAX_BO_SIZE,
		      "half of device memory is more than a BO can be\n");

	for (unsigned int i = 0; i < 2; i++) {
		bo_create(fd, &bo[i], npages);
		want[i] = alloc_bytes(bo[i].size, 0);
		write_pattern(bo[i].map, 0, bo[i].size, 0xe71c0000 + i);
		write_pattern(want[i], 0, bo[i].size, 0xe71c0000 + i);
	}

	/* in turn: 0 in, 1 in evicting 0, 0 in evicting 1 */
	for (unsigned int step = 0; step < 3; step++) {
		unsigned int in = step % 2, out = !in;

		move_expect(fd, bo[in].handle, VTTM_PLACEMENT_DEVICE);
		igt_assert_eq_u32(vttm_gem_placement(fd, bo[out].handle),
				  VTTM_PLACEMENT_SYSTEM);

		for (unsigned int i = 0; i < 2; i++) {
			vttm_assert_bytes_eq(bo[i].map, want[i], bo[i].size,
					     i == in ? "BO moved in" :
						       "BO evicted");
			assert_counters(fd, bo[i].handle, 0, 0);
		}

		/* a write to the one evicted, in system memory now */
		write_pattern(bo[out].map, 0, page_size, 0xe71c0010 + step);
		write_pattern(want[out], 0, page_size, 0xe71c0010 + step);
	}

	for (unsigned int i = 0; i < 2; i++) {
		sync_expect(fd, bo[i].handle, npages, NULL);
		vttm_assert_device_eq(fd, bo[i].handle, want[i], bo[i].size);
		free(want[i]);
		bo_destroy(fd, &bo[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Subtests: bad input                                                */
/* ------------------------------------------------------------------ */

static void test_create_bad_size(const uint64_t *sizes, unsigned int count)
{
	int fd = drm_open_vttm();

	for (unsigned int i = 0; i < count; i++) {
		struct drm_vttm_gem_create arg = { .size = sizes[i] };

		igt_assert_f(__vttm_gem_create(fd, &arg) == -EINVAL,
			     "create of %#llx bytes not rejected with EINVAL\n",
			     (unsigned long long)sizes[i]);
	}
	assert_no_handles(fd);
	close(fd);
}

static void test_create_zero_size(void)
{
	const uint64_t sizes[] = { 0 };

	test_create_bad_size(sizes, ARRAY_SIZE(sizes));
}

static void test_create_too_big(void)
{
	const uint64_t sizes[] = {
		DRM_VTTM_MAX_BO_SIZE + 1,
		DRM_VTTM_MAX_BO_SIZE + page_size,
		DRM_VTTM_MAX_BO_SIZE * 2,
		1ull << 63,
		~0ull,
		/* rounds up past 2^64 to 0 if page-aligned naively */
		~0ull - page_size + 2,
	};

	test_create_bad_size(sizes, ARRAY_SIZE(sizes));
}

static void test_create_bad_flags(void)
{
	/* Methods past the last, then every bit outside the method field. */
	static const uint32_t bad[] = {
		VTTM_CREATE_METHOD(VTTM_METHOD_AUTO_VMWGFX + 1),
		VTTM_CREATE_METHOD_MASK,
	};
	int fd = drm_open_vttm();

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		struct drm_vttm_gem_create arg = {
			.size = page_size,
			.flags = bad[i],
		};

		igt_assert_f(__vttm_gem_create(fd, &arg) == -EINVAL,
			     "create method 0x%x not rejected with EINVAL\n",
			     bad[i]);
	}
	for (unsigned int bit = 4; bit < 32; bit++) {
		struct drm_vttm_gem_create arg = {
			.size = page_size,
			.flags = 1u << bit,
		};

		igt_assert_f(__vttm_gem_create(fd, &arg) == -EINVAL,
			     "create flag bit %u not rejected with EINVAL\n",
			     bit);
	}
	assert_no_handles(fd);
	close(fd);
}

static void test_mmap_offset_bad_pad(int fd)
{
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_pads); i++) {
		struct drm_vttm_gem_mmap_offset arg = {
			.handle = v.bo.handle,
			.pad = bad_pads[i],
		};

		igt_assert_eq(__vttm_gem_mmap_offset(fd, &arg), -EINVAL);
	}
	victim_finish(fd, &v);
}

static void test_device_read_bad_pad(int fd)
{
	uint8_t buf[64];
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_pads); i++) {
		struct drm_vttm_device_read arg = {
			.handle = v.bo.handle,
			.pad = bad_pads[i],
			.size = sizeof(buf),
			.data_ptr = to_user_pointer(buf),
		};

		memset(buf, 0xa5, sizeof(buf));
		igt_assert_eq(__vttm_device_read(fd, &arg), -EINVAL);
		for (unsigned int j = 0; j < sizeof(buf); j++)
			igt_assert_eq(buf[j], 0xa5);
	}
	victim_finish(fd, &v);
}

static void test_info_bad_pad(int fd)
{
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_pads); i++) {
		struct drm_vttm_gem_info arg = {
			.handle = v.bo.handle,
			.pad = bad_pads[i],
		};

		igt_assert_eq(__vttm_gem_info(fd, &arg), -EINVAL);
	}
	victim_finish(fd, &v);
}

static void test_sync_bad_flags(int fd)
{
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int bit = 0; bit < 32; bit++) {
		uint8_t bitmap[2] = { 0xa5, 0xa5 };
		struct drm_vttm_gem_sync arg = {
			.handle = v.bo.handle,
			.flags = 1u << bit,
			.bitmap_ptr = to_user_pointer(bitmap),
			.bitmap_size = sizeof(bitmap),
		};

		igt_assert_f(__vttm_gem_sync(fd, &arg) == -EINVAL,
			     "sync flag bit %u not rejected with EINVAL\n",
			     bit);
		igt_assert_eq(bitmap[0], 0xa5);
		igt_assert_eq(bitmap[1], 0xa5);
	}
	victim_finish(fd, &v);
}

static void test_sync_small_bitmap(int fd)
{
	struct victim v;
	uint8_t *bitmap;
	uint64_t need;

	victim_create(fd, &v);
	need = vttm_bitmap_bytes(VICTIM_PAGES);
	igt_assert_eq_u64(need, 2);
	bitmap = alloc_bytes(need, 0xa5);

	for (uint64_t size = 1; size < need; size++) {
		struct drm_vttm_gem_sync arg = {
			.handle = v.bo.handle,
			.bitmap_ptr = to_user_pointer(bitmap),
			.bitmap_size = size,
		};

		igt_assert_eq(__vttm_gem_sync(fd, &arg), -EINVAL);
		for (uint64_t i = 0; i < need; i++)
			igt_assert_eq(bitmap[i], 0xa5);
	}

	free(bitmap);
	victim_finish(fd, &v);
}

static void test_sync_size_without_bitmap(int fd)
{
	const uint64_t sizes[] = { 1, 2, 4096, ~0ull };
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct drm_vttm_gem_sync arg = {
			.handle = v.bo.handle,
			.bitmap_size = sizes[i],
		};

		igt_assert_eq(__vttm_gem_sync(fd, &arg), -EINVAL);
	}
	victim_finish(fd, &v);
}

static void test_sync_bad_bitmap_pointer(int fd)
{
	uint64_t ptrs[3];
	unsigned int count;
	struct victim v;

	victim_create(fd, &v);
	bad_pointers(ptrs, &count);

	for (unsigned int i = 1; i < count; i++) {
		struct drm_vttm_gem_sync arg = {
			.handle = v.bo.handle,
			.bitmap_ptr = ptrs[i],
			.bitmap_size = vttm_bitmap_bytes(VICTIM_PAGES),
		};

		igt_assert_f(__vttm_gem_sync(fd, &arg) == -EFAULT,
			     "sync with bitmap at %#llx not rejected with EFAULT\n",
			     (unsigned long long)ptrs[i]);
	}

	munmap(from_user_pointer(ptrs[1]), page_size);
	victim_finish(fd, &v);
}

static void test_move_bad_placement(int fd)
{
	static const uint32_t bad[] = {
		VTTM_PLACEMENT_DEVICE + 1, 0x80000000u, 0xffffffffu,
	};
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		victim_move_fails(fd, &v, bad[i], -EINVAL);

	if (has_device_mem(fd)) {
		victim_move(fd, &v, VTTM_PLACEMENT_DEVICE);
		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
			victim_move_fails(fd, &v, bad[i], -EINVAL);
	}
	victim_finish(fd, &v);
}

/* Flags and padding are reserved: any bit set fails, for either target. */
static void test_move_bad_flags(int fd)
{
	static const struct drm_vttm_gem_move bad[] = {
		{ .flags = 1 },
		{ .flags = 0x80000000u },
		{ .pad = 1 },
		{ .pad = 0xffffffffu },
		{ .placement = VTTM_PLACEMENT_DEVICE, .flags = 1 },
		{ .placement = VTTM_PLACEMENT_DEVICE, .pad = 1 },
	};
	struct victim v;

	victim_create(fd, &v);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		struct drm_vttm_gem_move arg = bad[i];

		__victim_move_fails(fd, &v, &arg, -EINVAL);
	}
	victim_finish(fd, &v);
}

/*
 * One page more than all of device memory can never move there, however
 * much is free; the BO stays in system memory as it was, and the BOs in
 * device memory stay there: the move fails before evicting anything.
 */
static void test_move_too_big(int fd)
{
	uint64_t dev_size = device_mem_size(fd);
	struct victim v, other;

	igt_require_f(dev_size, "vttm has no device memory\n");
	igt_require_f(dev_size + page_size <= DRM_VTTM_MAX_BO_SIZE,
		      "device memory is as large as the largest BO\n");

	victim_create_pages(fd, &v, dev_size / page_size + 1);
	victim_move_fails(fd, &v, VTTM_PLACEMENT_DEVICE, -ENOMEM);

	/* again, with another BO in device memory */
	victim_create(fd, &other);
	victim_move(fd, &other, VTTM_PLACEMENT_DEVICE);
	victim_move_fails(fd, &v, VTTM_PLACEMENT_DEVICE, -ENOMEM);
	victim_assert_unchanged(fd, &other);

	victim_finish(fd, &other);
	victim_finish(fd, &v);
}

static void bad_handle_round(int fd, unsigned long request,
			     const struct victim *v)
{
	bool device_mem = has_device_mem(fd);
	uint32_t handles[4];
	unsigned int count;
	uint8_t buf[64];

	bad_handles(fd, handles, &count);

	for (unsigned int i = 0; i < count; i++) {
		union {
			struct drm_vttm_gem_mmap_offset mmap_offset;
			struct drm_vttm_gem_sync sync;
			struct drm_vttm_device_read read;
			struct drm_vttm_gem_info info;
			struct drm_vttm_gem_move move;
		} arg;
		int ret;

		memset(&arg, 0, sizeof(arg));
		memset(buf, 0xa5, sizeof(buf));

		switch (request) {
		case DRM_IOCTL_VTTM_GEM_MMAP_OFFSET:
			arg.mmap_offset.handle = handles[i];
			ret = __vttm_gem_mmap_offset(fd, &arg.mmap_offset);
			break;
		case DRM_IOCTL_VTTM_GEM_SYNC:
			arg.sync.handle = handles[i];
			arg.sync.bitmap_ptr = to_user_pointer(buf);
			arg.sync.bitmap_size = sizeof(buf);
			ret = __vttm_gem_sync(fd, &arg.sync);
			break;
		case DRM_IOCTL_VTTM_DEVICE_READ:
			arg.read.handle = handles[i];
			arg.read.size = sizeof(buf);
			arg.read.data_ptr = to_user_pointer(buf);
			ret = __vttm_device_read(fd, &arg.read);
			break;
		case DRM_IOCTL_VTTM_GEM_MOVE:
			/* to each valid placement, so only the handle is bad */
			arg.move.handle = handles[i];
			arg.move.placement = VTTM_PLACEMENT_SYSTEM;
			ret = __vttm_gem_move(fd, &arg.move);
			if (ret == -ENOENT && device_mem) {
				arg.move.placement = VTTM_PLACEMENT_DEVICE;
				ret = __vttm_gem_move(fd, &arg.move);
			}
			break;
		default:
			arg.info.handle = handles[i];
			ret = __vttm_gem_info(fd, &arg.info);
			break;
		}

		igt_assert_f(ret == -ENOENT,
			     "handle %#x gave %d, want -ENOENT\n",
			     handles[i], ret);
		for (unsigned int j = 0; j < sizeof(buf); j++)
			igt_assert_eq(buf[j], 0xa5);
		victim_assert_unchanged(fd, v);
	}
}

static void test_bad_handle(int fd, unsigned long request)
{
	struct victim v;
	int other;

	victim_create(fd, &v);
	bad_handle_round(fd, request, &v);

	/*
	 * Again with the victim in device memory, where a stray move to
	 * system memory, or a sync or read of the wrong pages, would show.
	 */
	if (has_device_mem(fd)) {
		victim_move(fd, &v, VTTM_PLACEMENT_DEVICE);
		bad_handle_round(fd, request, &v);
	}

	/* a live handle means nothing in another DRM file */
	other = drm_open_vttm();
	{
		struct drm_vttm_gem_info info = { .handle = v.bo.handle };
		struct drm_vttm_gem_sync sync = { .handle = v.bo.handle };
		struct drm_vttm_gem_move move = {
			.handle = v.bo.handle,
			.placement = VTTM_PLACEMENT_SYSTEM,
		};

		igt_assert_eq(__vttm_gem_info(other, &info), -ENOENT);
		igt_assert_eq(__vttm_gem_sync(other, &sync), -ENOENT);
		igt_assert_eq(__vttm_gem_move(other, &move), -ENOENT);
	}
	close(other);

	victim_finish(fd, &v);
}

static void test_device_read_bad_range(int fd)
{
	struct range r[10];
	struct victim v;
	uint64_t size;
	uint8_t *buf;

	victim_create(fd, &v);
	size = v.bo.size;

	/*
	 * Destination: room for two BOs, then an inaccessible page, so a
	 * kernel that wrongly accepts a huge range faults (EFAULT, which
	 * fails the check) rather than scribbling over the test.
	 */
	buf = mmap(NULL, 2 * size + page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(buf != MAP_FAILED);
	igt_assert_eq(mprotect(buf + 2 * size, page_size, PROT_NONE), 0);

	r[0] = (struct range){ size, 1 };		/* starts at the end */
	r[1] = (struct range){ 0, size + 1 };		/* one byte too long */
	r[2] = (struct range){ size - 1, 2 };		/* straddles the end */
	r[3] = (struct range){ size + page_size, 1 };	/* well past it */
	r[4] = (struct range){ 1ull << 63, 1 };
	r[5] = (struct range){ ~0ull, 1 };
	/* offset + size wraps around to 0 or 1 */
	r[6] = (struct range){ 1, ~0ull };
	r[7] = (struct range){ page_size, ~0ull - page_size + 1 };
	r[8] = (struct range){ page_size, ~0ull - page_size + 2 };
	r[9] = (struct range){ ~0ull - 1, 3 };

	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		struct drm_vttm_device_read arg = {
			.handle = v.bo.handle,
			.offset = r[i].offset,
			.size = r[i].size,
			.data_ptr = to_user_pointer(buf),
		};
		int ret;

		memset(buf, 0xa5, 2 * size);
		ret = __vttm_device_read(fd, &arg);
		igt_assert_f(ret == -EINVAL,
			     "read of %#llx bytes at %#llx gave %d, want -EINVAL\n",
			     (unsigned long long)r[i].size,
			     (unsigned long long)r[i].offset, ret);
		for (uint64_t j = 0; j < 2 * size; j++)
			igt_assert_eq(buf[j], 0xa5);
	}

	munmap(buf, 2 * size + page_size);
	victim_finish(fd, &v);
}

static void test_device_read_bad_pointer(int fd)
{
	uint64_t ptrs[3];
	unsigned int count;
	struct victim v;

	victim_create(fd, &v);
	bad_pointers(ptrs, &count);

	for (unsigned int i = 0; i < count; i++) {
		struct drm_vttm_device_read arg = {
			.handle = v.bo.handle,
			.size = page_size,
			.data_ptr = ptrs[i],
		};

		igt_assert_f(__vttm_device_read(fd, &arg) == -EFAULT,
			     "read to %#llx not rejected with EFAULT\n",
			     (unsigned long long)ptrs[i]);
	}

	munmap(from_user_pointer(ptrs[1]), page_size);
	victim_finish(fd, &v);
}

/* ------------------------------------------------------------------ */

igt_main
{
	int fd = -1;

	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		fd = drm_open_vttm();
	}

	igt_describe("The primary node opened is driven by vttm.");
	igt_subtest("opens-the-vttm-driver")
		test_open(fd);

	igt_describe("The render node, if any, serves the vttm ioctls.");
	igt_subtest("render-node-serves-vttm-ioctls")
		test_render_node();

	igt_describe("Create rounds sizes up to pages; new BOs are in system with zero counters.");
	igt_subtest("create-rounds-size-up-to-whole-pages")
		test_create_rounds_up(fd);

	igt_describe("A new BO reads as zero through its mapping and on the device.");
	igt_subtest("new-bo-is-zero-in-memory-and-on-device")
		test_create_zeroed(fd);

	igt_describe("After GEM_CLOSE the handle is gone, and only it.");
	igt_subtest("close-releases-the-handle")
		test_close(fd);

	igt_describe("CPU writes reach the device copy on sync, which reports every written page.");
	igt_subtest("device-copy-matches-after-sync")
		test_sync_matches(fd);

	igt_describe("The device copy is separate: CPU writes reach it only on sync.");
	igt_subtest("device-copy-is-stale-until-sync")
		test_stale_until_sync(fd);

	igt_describe("A sync with nothing written copies no page.");
	igt_subtest("sync-without-writes-copies-nothing")
		test_sync_without_writes(fd);

	igt_describe("Sync copies exactly the pages written since the last sync, and says so.");
	igt_subtest("sync-copies-exactly-the-written-pages")
		test_sync_exact_pages(fd);

	igt_describe("Reading through the mapping does not dirty pages.");
	igt_subtest("reading-the-mapping-does-not-dirty-pages")
		test_reads_do_not_dirty(fd);

	igt_describe("A page written again after a sync is copied again.");
	igt_subtest("rewrites-after-sync-reach-the-device")
		test_rewrite_after_sync(fd);

	igt_describe("Writes through a mapping unmapped before the sync still reach the device.");
	igt_subtest("writes-survive-munmap-before-sync")
		test_writes_survive_munmap(fd);

	igt_describe("Writes through two mappings of one BO are tracked.");
	igt_subtest("writes-through-two-mappings-are-tracked")
		test_two_mappings(fd);

	igt_describe("GEM_INFO counters advance exactly with successful syncs, and only then.");
	igt_subtest("info-counters-advance-exactly")
		test_counters(fd);

	igt_describe("A tracked BO's syncs add scan and copy time, and nothing else does.");
	igt_subtest("info-times-split-scan-from-copy") {
		test_sync_times(fd, VTTM_METHOD_MKWRITE);
		test_sync_times(fd, VTTM_METHOD_PAGETABLE);
	}

	igt_describe("An untracked BO's syncs add copy time and no scan time.");
	igt_subtest("info-times-of-an-untracked-bo")
		test_sync_times(fd, VTTM_METHOD_NONE);

	igt_describe("Device read returns exactly the requested range.");
	igt_subtest("device-read-returns-exact-sub-ranges")
		test_device_read_ranges(fd);

	igt_describe("A dumb buffer keeps what was written through a mapping.");
	igt_subtest("dumb-buffer-round-trip")
		test_dumb_round_trip(fd);

	igt_describe("Destroying a dumb buffer releases its handle.");
	igt_subtest("dumb-buffer-destroy-releases-the-handle")
		test_dumb_destroy(fd);

	igt_describe("Importing one's own PRIME export gives back the same handle.");
	igt_subtest("prime-self-import-returns-the-same-handle")
		test_prime_self_import(fd);

	igt_describe("Writes by a child that imported the dma-buf reach the device on sync.");
	igt_subtest("prime-import-in-a-child-reaches-the-device")
		test_prime_child(fd);

	igt_describe("A dma-buf's own mmap() writes the BO, tracked like any mapping.");
	igt_subtest("dma-buf-mmap-writes-reach-the-device")
		test_dma_buf_mmap(fd);

	igt_describe("Writable MAP_PRIVATE mappings of a BO or its dma-buf fail.");
	igt_subtest("writable-private-mmap-is-refused")
		test_private_mmap_refused(fd);

	igt_describe("PRIME import rejects files that are not dma-bufs.");
	igt_subtest("prime-import-rejects-non-dma-buf-fds")
		test_prime_import_bad_fd();

	igt_describe("GET_PARAM gives device memory in 2 MiB chunks, rejects bad params and pads.");
	igt_subtest("get-param-device-mem-size")
		test_get_param_device_mem(fd);

	igt_describe("Moves keep a BO's contents in every mapping; moves in place change nothing.");
	igt_subtest_with_dynamic("move-keeps-contents") {
		igt_dynamic("auto")
			test_move_keeps_contents(fd, VTTM_METHOD_AUTO);
		igt_dynamic("none")
			test_move_keeps_contents(fd, VTTM_METHOD_NONE);
	}

	igt_describe("A new BO moved to device memory reads zero, even where another BO was.");
	igt_subtest("move-new-bo-reads-zero")
		test_move_new_bo_zero(fd);

	igt_describe("Moving into full device memory evicts, as GEM_INFO shows; no data is lost.");
	igt_subtest("move-eviction-shows-in-info")
		test_eviction_in_info(fd);

	igt_describe("Create rejects a zero size.");
	igt_subtest("create-rejects-zero-size")
		test_create_zero_size();

	igt_describe("Create rejects sizes above the maximum, also ones that wrap when rounded.");
	igt_subtest("create-rejects-sizes-above-the-maximum")
		test_create_too_big();

	igt_describe("Create rejects every unknown flag.");
	igt_subtest("create-rejects-unknown-flags")
		test_create_bad_flags();

	igt_describe("MMAP_OFFSET rejects nonzero padding.");
	igt_subtest("mmap-offset-rejects-nonzero-padding")
		test_mmap_offset_bad_pad(fd);

	igt_describe("DEVICE_READ rejects nonzero padding.");
	igt_subtest("device-read-rejects-nonzero-padding")
		test_device_read_bad_pad(fd);

	igt_describe("GEM_INFO rejects nonzero padding.");
	igt_subtest("info-rejects-nonzero-padding")
		test_info_bad_pad(fd);

	igt_describe("Sync rejects every unknown flag.");
	igt_subtest("sync-rejects-unknown-flags")
		test_sync_bad_flags(fd);

	igt_describe("Sync rejects a bitmap with less than a bit per page.");
	igt_subtest("sync-rejects-a-too-small-bitmap")
		test_sync_small_bitmap(fd);

	igt_describe("Sync rejects a bitmap size without a bitmap.");
	igt_subtest("sync-rejects-a-bitmap-size-without-a-bitmap")
		test_sync_size_without_bitmap(fd);

	igt_describe("Sync gives EFAULT for an unwritable bitmap, before changing anything.");
	igt_subtest("sync-rejects-a-bad-bitmap-pointer")
		test_sync_bad_bitmap_pointer(fd);

	igt_describe("MMAP_OFFSET gives ENOENT for handles that do not exist.");
	igt_subtest("mmap-offset-rejects-unknown-handles")
		test_bad_handle(fd, DRM_IOCTL_VTTM_GEM_MMAP_OFFSET);

	igt_describe("Sync gives ENOENT for handles that do not exist.");
	igt_subtest("sync-rejects-unknown-handles")
		test_bad_handle(fd, DRM_IOCTL_VTTM_GEM_SYNC);

	igt_describe("DEVICE_READ gives ENOENT for handles that do not exist.");
	igt_subtest("device-read-rejects-unknown-handles")
		test_bad_handle(fd, DRM_IOCTL_VTTM_DEVICE_READ);

	igt_describe("GEM_INFO gives ENOENT for handles that do not exist.");
	igt_subtest("info-rejects-unknown-handles")
		test_bad_handle(fd, DRM_IOCTL_VTTM_GEM_INFO);

	igt_describe("GEM_MOVE gives ENOENT for handles that do not exist.");
	igt_subtest("move-rejects-unknown-handles")
		test_bad_handle(fd, DRM_IOCTL_VTTM_GEM_MOVE);

	igt_describe("GEM_MOVE rejects unknown placements.");
	igt_subtest("move-rejects-unknown-placements")
		test_move_bad_placement(fd);

	igt_describe("GEM_MOVE rejects any flag or padding bit set.");
	igt_subtest("move-rejects-flags-and-padding")
		test_move_bad_flags(fd);

	igt_describe("GEM_MOVE: ENOMEM, evicting nothing, for a BO larger than device memory.");
	igt_subtest("move-rejects-a-bo-larger-than-device-memory")
		test_move_too_big(fd);

	igt_describe("DEVICE_READ rejects ranges outside the BO, also ones whose end wraps.");
	igt_subtest("device-read-rejects-ranges-outside-the-bo")
		test_device_read_bad_range(fd);

	igt_describe("DEVICE_READ gives EFAULT for an unwritable destination.");
	igt_subtest("device-read-rejects-a-bad-pointer")
		test_device_read_bad_pointer(fd);

	igt_fixture {
		close(fd);
	}
}
