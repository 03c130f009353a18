// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests of the vttm uAPI argument rules: the functions of
 * vttm_args.h that the ioctls call.
 */

#include <kunit/test.h>

#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../vttm_args.h"

/* BO size: limits and rounding */

struct vttm_bo_size_case {
	const char *name;
	u64 size;
	int ret;
	u64 rounded;
};

static const struct vttm_bo_size_case vttm_bo_size_cases[] = {
	{ "zero", 0, -EINVAL, 0 },
	{ "one_byte", 1, 0, PAGE_SIZE },
	{ "one_page", PAGE_SIZE, 0, PAGE_SIZE },
	{ "page_plus_one", PAGE_SIZE + 1, 0, 2 * PAGE_SIZE },
	{ "max_minus_one", DRM_VTTM_MAX_BO_SIZE - 1, 0, DRM_VTTM_MAX_BO_SIZE },
	{ "max", DRM_VTTM_MAX_BO_SIZE, 0, DRM_VTTM_MAX_BO_SIZE },
	{ "max_plus_one", DRM_VTTM_MAX_BO_SIZE + 1, -EINVAL, 0 },
	{ "max_plus_page", DRM_VTTM_MAX_BO_SIZE + PAGE_SIZE, -EINVAL, 0 },
	/* PAGE_ALIGN() of these would wrap to 0 */
	{ "u64_max", U64_MAX, -EINVAL, 0 },
	{ "wraps_when_aligned", U64_MAX - PAGE_SIZE + 2, -EINVAL, 0 },
};

static void vttm_bo_size_desc(const struct vttm_bo_size_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_bo_size, vttm_bo_size_cases, vttm_bo_size_desc);

static void vttm_test_bo_size(struct kunit *test)
{
	const struct vttm_bo_size_case *t = test->param_value;
	u64 rounded = 0;

	KUNIT_EXPECT_EQ(test, vttm_check_bo_size(t->size, &rounded), t->ret);
	if (!t->ret)
		KUNIT_EXPECT_EQ(test, rounded, t->rounded);
}

/* Device read: the range must lie inside the BO */

struct vttm_read_range_case {
	const char *name;
	u64 bo_size;
	u64 offset;
	u64 size;
	int ret;
};

#define BO_4P	(4 * PAGE_SIZE)

static const struct vttm_read_range_case vttm_read_range_cases[] = {
	{ "whole_bo", BO_4P, 0, BO_4P, 0 },
	{ "one_byte_at_start", BO_4P, 0, 1, 0 },
	{ "last_byte", BO_4P, BO_4P - 1, 1, 0 },
	{ "empty_at_start", BO_4P, 0, 0, 0 },
	{ "empty_at_end", BO_4P, BO_4P, 0, 0 },
	{ "one_past_end", BO_4P, BO_4P - 1, 2, -EINVAL },
	{ "longer_than_bo", BO_4P, 0, BO_4P + 1, -EINVAL },
	{ "starts_past_end", BO_4P, BO_4P + 1, 0, -EINVAL },
	{ "offset_u64_max", BO_4P, U64_MAX, 1, -EINVAL },
	/* offset + size wraps around to a small value that would fit */
	{ "sum_wraps_offset", BO_4P, U64_MAX, 2, -EINVAL },
	{ "sum_wraps_size", BO_4P, 2, U64_MAX, -EINVAL },
	{ "sum_wraps_to_zero", BO_4P, PAGE_SIZE, -(u64)PAGE_SIZE, -EINVAL },
};

static void vttm_read_range_desc(const struct vttm_read_range_case *t,
				 char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_read_range, vttm_read_range_cases,
		  vttm_read_range_desc);

static void vttm_test_read_range(struct kunit *test)
{
	const struct vttm_read_range_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test,
			vttm_check_read_range(t->bo_size, t->offset, t->size),
			t->ret);
}

/* Sync: bitmap pointer and size */

struct vttm_sync_bitmap_case {
	const char *name;
	u64 ptr;
	u64 size;
	u64 num_pages;
	int ret;
};

static const struct vttm_sync_bitmap_case vttm_sync_bitmap_cases[] = {
	{ "no_bitmap", 0, 0, 1, 0 },
	{ "size_without_ptr", 0, 1, 1, -EINVAL },
	{ "ptr_without_size", 0x1000, 0, 1, -EINVAL },
	{ "one_page_one_byte", 0x1000, 1, 1, 0 },
	{ "eight_pages_one_byte", 0x1000, 1, 8, 0 },
	{ "nine_pages_one_byte", 0x1000, 1, 9, -EINVAL },
	{ "nine_pages_two_bytes", 0x1000, 2, 9, 0 },
	{ "larger_than_needed", 0x1000, 4096, 9, 0 },
	{ "max_bo_exact", 0x1000, (DRM_VTTM_MAX_BO_SIZE >> PAGE_SHIFT) / 8,
	  DRM_VTTM_MAX_BO_SIZE >> PAGE_SHIFT, 0 },
	{ "max_bo_short", 0x1000, (DRM_VTTM_MAX_BO_SIZE >> PAGE_SHIFT) / 8 - 1,
	  DRM_VTTM_MAX_BO_SIZE >> PAGE_SHIFT, -EINVAL },
};

static void vttm_sync_bitmap_desc(const struct vttm_sync_bitmap_case *t,
				  char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_sync_bitmap, vttm_sync_bitmap_cases,
		  vttm_sync_bitmap_desc);

static void vttm_test_sync_bitmap(struct kunit *test)
{
	const struct vttm_sync_bitmap_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test,
			vttm_check_sync_bitmap(t->ptr, t->size, t->num_pages),
			t->ret);
}

/* Sync: the bitmap layout is uAPI, bit n % 8 of byte n / 8 for page n */

struct vttm_bitmap_mark_case {
	const char *name;
	pgoff_t first;
	pgoff_t count;
	u8 expect[4];
};

static const struct vttm_bitmap_mark_case vttm_bitmap_mark_cases[] = {
	{ "nothing", 0, 0, { 0x00, 0x00, 0x00, 0x00 } },
	{ "page_0", 0, 1, { 0x01, 0x00, 0x00, 0x00 } },
	{ "page_7", 7, 1, { 0x80, 0x00, 0x00, 0x00 } },
	{ "page_9", 9, 1, { 0x00, 0x02, 0x00, 0x00 } },
	{ "pages_6_to_9", 6, 4, { 0xc0, 0x03, 0x00, 0x00 } },
	{ "pages_0_to_31", 0, 32, { 0xff, 0xff, 0xff, 0xff } },
	{ "page_31", 31, 1, { 0x00, 0x00, 0x00, 0x80 } },
};

static void vttm_bitmap_mark_desc(const struct vttm_bitmap_mark_case *t,
				  char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_bitmap_mark, vttm_bitmap_mark_cases,
		  vttm_bitmap_mark_desc);

static void vttm_test_bitmap_mark(struct kunit *test)
{
	const struct vttm_bitmap_mark_case *t = test->param_value;
	unsigned long map[BITS_TO_LONGS(64)] = { };
	const u8 *bytes = (const u8 *)map;
	int i;

	vttm_sync_bitmap_mark(map, t->first, t->count);
	for (i = 0; i < ARRAY_SIZE(t->expect); i++)
		KUNIT_EXPECT_EQ_MSG(test, bytes[i], t->expect[i], "byte %d", i);
	/* Nothing past the marked range either. */
	KUNIT_EXPECT_EQ(test, bytes[4], 0);
}

/* Dumb buffers: pitch and size */

struct vttm_dumb_case {
	const char *name;
	u32 width;
	u32 height;
	u32 bpp;
	int ret;
	u32 pitch;
	u64 size;
};

static const struct vttm_dumb_case vttm_dumb_cases[] = {
	{ "1080p_xrgb8888", 1920, 1080, 32, 0, 7680, 7680ULL * 1080 },
	{ "rgb888", 3, 2, 24, 0, 9, 18 },
	{ "bpp_rounds_up", 10, 1, 12, 0, 20, 20 },
	{ "one_bit", 1, 1, 1, 0, 1, 1 },
	{ "zero_width", 0, 1, 32, -EINVAL, 0, 0 },
	{ "zero_height", 1, 0, 32, -EINVAL, 0, 0 },
	{ "zero_bpp", 1, 1, 0, -EINVAL, 0, 0 },
	/* bpp + 7 would wrap in 32 bits */
	{ "bpp_u32_max", 1, 1, U32_MAX, 0, 0x20000000, 0x20000000 },
	{ "pitch_u32_max", U32_MAX, 1, 8, 0, U32_MAX, U32_MAX },
	{ "pitch_overflows", U32_MAX, 1, 16, -EINVAL, 0, 0 },
	{ "pitch_overflows_bpp", 0x40000000, 1, 32, -EINVAL, 0, 0 },
	/* The size is 64 bits wide: no overflow, bo size check rejects it */
	{ "size_above_u32", U32_MAX, U32_MAX, 8, 0, U32_MAX,
	  (u64)U32_MAX * U32_MAX },
};

static void vttm_dumb_desc(const struct vttm_dumb_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_dumb, vttm_dumb_cases, vttm_dumb_desc);

static void vttm_test_dumb_layout(struct kunit *test)
{
	const struct vttm_dumb_case *t = test->param_value;
	u32 pitch = 0;
	u64 size = 0;

	KUNIT_EXPECT_EQ(test,
			vttm_dumb_layout(t->width, t->height, t->bpp,
					 &pitch, &size),
			t->ret);
	if (t->ret)
		return;
	KUNIT_EXPECT_EQ(test, pitch, t->pitch);
	KUNIT_EXPECT_EQ(test, size, t->size);
}

/* Move: no flags or padding, known placements, device memory if there */

struct vttm_move_case {
	const char *name;
	struct drm_vttm_gem_move args;
	bool has_device_mem;
	int ret;
};

#define MOVE(p, f, z)	{ .handle = 1, .placement = (p), .flags = (f), \
			  .pad = (z) }

static const struct vttm_move_case vttm_move_cases[] = {
	{ "system", MOVE(VTTM_PLACEMENT_SYSTEM, 0, 0), true, 0 },
	{ "system_without_device_mem", MOVE(VTTM_PLACEMENT_SYSTEM, 0, 0),
	  false, 0 },
	{ "device", MOVE(VTTM_PLACEMENT_DEVICE, 0, 0), true, 0 },
	{ "device_without_device_mem", MOVE(VTTM_PLACEMENT_DEVICE, 0, 0),
	  false, -ENODEV },
	{ "first_unknown", MOVE(VTTM_PLACEMENT_DEVICE + 1, 0, 0), true,
	  -EINVAL },
	{ "unknown_without_device_mem", MOVE(VTTM_PLACEMENT_DEVICE + 1, 0, 0),
	  false, -EINVAL },
	{ "u32_max", MOVE(U32_MAX, 0, 0), true, -EINVAL },
	{ "flag_bit_0", MOVE(VTTM_PLACEMENT_SYSTEM, 1, 0), true, -EINVAL },
	{ "flag_bit_31", MOVE(VTTM_PLACEMENT_DEVICE, 1U << 31, 0), true,
	  -EINVAL },
	{ "pad", MOVE(VTTM_PLACEMENT_SYSTEM, 0, 1), true, -EINVAL },
	/* Flags come first: not ENODEV */
	{ "flags_before_placement", MOVE(VTTM_PLACEMENT_DEVICE, 1, 0), false,
	  -EINVAL },
};

#undef MOVE

static void vttm_move_desc(const struct vttm_move_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_move, vttm_move_cases, vttm_move_desc);

static void vttm_test_move(struct kunit *test)
{
	const struct vttm_move_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, vttm_check_move(&t->args, t->has_device_mem),
			t->ret);
}

/* Create flags and SET_METHOD: which methods each accepts */

struct vttm_method_case {
	const char *name;
	u32 method;
	int create_ret;
	int set_ret;
};

static const struct vttm_method_case vttm_method_cases[] = {
	{ "auto", VTTM_METHOD_AUTO, 0, 0 },
	{ "mkwrite", VTTM_METHOD_MKWRITE, 0, 0 },
	{ "pagetable", VTTM_METHOD_PAGETABLE, 0, 0 },
	/* Created untracked, a BO stays so; a tracked one cannot stop. */
	{ "none", VTTM_METHOD_NONE, 0, -EINVAL },
	{ "auto_vmwgfx", VTTM_METHOD_AUTO_VMWGFX, 0, 0 },
	{ "first_unknown", VTTM_METHOD_AUTO_VMWGFX + 1, -EINVAL, -EINVAL },
	{ "last_in_mask", VTTM_CREATE_METHOD_MASK, -EINVAL, -EINVAL },
};

static void vttm_method_desc(const struct vttm_method_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_method, vttm_method_cases, vttm_method_desc);

static void vttm_test_method(struct kunit *test)
{
	const struct vttm_method_case *t = test->param_value;
	u32 method = U32_MAX;

	KUNIT_EXPECT_EQ(test,
			vttm_check_create_flags(VTTM_CREATE_METHOD(t->method),
						&method),
			t->create_ret);
	if (!t->create_ret)
		KUNIT_EXPECT_EQ(test, method, t->method);
	KUNIT_EXPECT_EQ(test, vttm_check_set_method(t->method), t->set_ret);
}

/* Per-client memory cap: may a client holding @used take @size more? */

struct vttm_charge_case {
	const char *name;
	u64 used;
	u64 size;
	u64 limit;
	int ret;
};

#define MIB	SZ_1M

static const struct vttm_charge_case vttm_charge_cases[] = {
	{ "first_bo", 0, PAGE_SIZE, 64 * MIB, 0 },
	{ "fills_exactly", 60 * MIB, 4 * MIB, 64 * MIB, 0 },
	{ "one_page_over", 60 * MIB, 4 * MIB + PAGE_SIZE, 64 * MIB, -ENOSPC },
	{ "at_the_limit", 64 * MIB, PAGE_SIZE, 64 * MIB, -ENOSPC },
	{ "larger_than_limit", 0, 64 * MIB + PAGE_SIZE, 64 * MIB, -ENOSPC },
	/* The limit was lowered below what the client holds */
	{ "above_a_lowered_limit", 80 * MIB, PAGE_SIZE, 64 * MIB, -ENOSPC },
	{ "zero_limit", 0, PAGE_SIZE, 0, -ENOSPC },
	/* used + size wraps around to something below the limit */
	{ "sum_wraps", U64_MAX - PAGE_SIZE + 1, 2 * PAGE_SIZE, U64_MAX,
	  -ENOSPC },
	{ "fills_u64_max", U64_MAX - PAGE_SIZE, PAGE_SIZE, U64_MAX, 0 },
	{ "size_u64_max", PAGE_SIZE, U64_MAX, U64_MAX, -ENOSPC },
};

#undef MIB

static void vttm_charge_desc(const struct vttm_charge_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vttm_charge, vttm_charge_cases, vttm_charge_desc);

static void vttm_test_charge(struct kunit *test)
{
	const struct vttm_charge_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, vttm_check_charge(t->used, t->size, t->limit),
			t->ret);
}

static struct kunit_case vttm_args_tests[] = {
	KUNIT_CASE_PARAM(vttm_test_bo_size, vttm_bo_size_gen_params),
	KUNIT_CASE_PARAM(vttm_test_read_range, vttm_read_range_gen_params),
	KUNIT_CASE_PARAM(vttm_test_sync_bitmap, vttm_sync_bitmap_gen_params),
	KUNIT_CASE_PARAM(vttm_test_bitmap_mark, vttm_bitmap_mark_gen_params),
	KUNIT_CASE_PARAM(vttm_test_dumb_layout, vttm_dumb_gen_params),
	KUNIT_CASE_PARAM(vttm_test_move, vttm_move_gen_params),
	KUNIT_CASE_PARAM(vttm_test_method, vttm_method_gen_params),
	KUNIT_CASE_PARAM(vttm_test_charge, vttm_charge_gen_params),
	{}
};

static struct kunit_suite vttm_args_suite = {
	.name = "vttm_args",
	.test_cases = vttm_args_tests,
};

kunit_test_suite(vttm_args_suite);

MODULE_DESCRIPTION("KUnit tests for the vttm uAPI argument checks");
MODULE_LICENSE("Dual MIT/GPL");
