/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The argument rules of the vttm uAPI, as pure functions.
 *
 * They live here, apart from the ioctls that use them, so that the KUnit
 * suite in tests/ checks the very code the ioctls run, whether vttm and
 * its tests are built in or as modules.
 */
#ifndef _VTTM_ARGS_H_
#define _VTTM_ARGS_H_

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/types.h>

#include <drm/vttm_drm.h>

/**
 * vttm_check_bo_size() - validate and round a requested BO size
 * @size: size asked for by user space, in bytes
 * @rounded: on success, @size rounded up to whole pages
 *
 * Checking against the limit before rounding keeps PAGE_ALIGN() away from
 * values it would wrap.
 *
 * Return: 0, or -EINVAL for a zero size or one above %DRM_VTTM_MAX_BO_SIZE.
 */
static inline int vttm_check_bo_size(u64 size, u64 *rounded)
{
	if (size == 0 || size > DRM_VTTM_MAX_BO_SIZE)
		return -EINVAL;

	*rounded = PAGE_ALIGN(size);
	return 0;
}

/**
 * vttm_check_charge() - whether a client may take on more BO memory
 * @used: bytes of BOs charged to the client now
 * @size: bytes it asks for on top
 * @limit: bytes it may hold in all
 *
 * Written without the sum @used + @size, which could wrap. A client above
 * a limit lowered under it gets nothing more until it is below again.
 *
 * Return: 0, or -ENOSPC if @used + @size would exceed @limit.
 */
static inline int vttm_check_charge(u64 used, u64 size, u64 limit)
{
	if (used > limit || size > limit - used)
		return -ENOSPC;
	return 0;
}

/**
 * vttm_check_create_flags() - validate create flags and pick the method
 * @flags: &drm_vttm_gem_create.flags from user space
 * @method: on success, the VTTM_METHOD_* the flags ask for
 *
 * Return: 0, or -EINVAL for an unknown method or any unknown flag.
 */
static inline int vttm_check_create_flags(u32 flags, u32 *method)
{
	u32 m = VTTM_CREATE_METHOD(flags);

	if (flags & ~VTTM_CREATE_METHOD_MASK || m > VTTM_METHOD_AUTO_VMWGFX)
		return -EINVAL;

	*method = m;
	return 0;
}

/**
 * vttm_check_set_method() - validate a method to switch a tracked BO to
 * @method: &drm_vttm_gem_set_method.method
 *
 * Return: 0, or -EINVAL for NONE or an unknown method.
 */
static inline int vttm_check_set_method(u32 method)
{
	if (method == VTTM_METHOD_NONE || method > VTTM_METHOD_AUTO_VMWGFX)
		return -EINVAL;
	return 0;
}

/**
 * vttm_check_move() - validate the arguments of a move but the handle
 * @args: &struct drm_vttm_gem_move from user space
 * @has_device_mem: whether the device has device memory
 *
 * Return: 0, -EINVAL for flags or padding set or an unknown placement, or
 * -ENODEV for the device placement on a device without device memory.
 */
static inline int vttm_check_move(const struct drm_vttm_gem_move *args,
				  bool has_device_mem)
{
	if (args->flags || args->pad)
		return -EINVAL;

	switch (args->placement) {
	case VTTM_PLACEMENT_SYSTEM:
		return 0;
	case VTTM_PLACEMENT_DEVICE:
		return has_device_mem ? 0 : -ENODEV;
	default:
		return -EINVAL;
	}
}

/**
 * vttm_check_read_range() - check that a byte range lies inside a BO
 * @bo_size: size of the BO in bytes
 * @offset: first byte of the range
 * @size: length of the range; zero is a valid, empty range
 *
 * Written as two comparisons instead of one sum so that no choice of
 * @offset and @size can wrap around.
 *
 * Return: 0, or -EINVAL if the range does not fit in the BO.
 */
static inline int vttm_check_read_range(u64 bo_size, u64 offset, u64 size)
{
	if (offset > bo_size || size > bo_size - offset)
		return -EINVAL;
	return 0;
}

/**
 * vttm_sync_bitmap_bytes() - bytes needed for a sync bitmap
 * @num_pages: number of pages of the BO
 *
 * Return: the number of bytes holding one bit per page.
 */
static inline u64 vttm_sync_bitmap_bytes(u64 num_pages)
{
	return DIV_ROUND_UP_ULL(num_pages, BITS_PER_BYTE);
}

/**
 * vttm_check_sync_bitmap() - check the bitmap arguments of a sync
 * @ptr: &drm_vttm_gem_sync.bitmap_ptr
 * @size: &drm_vttm_gem_sync.bitmap_size
 * @num_pages: number of pages of the BO being synced
 *
 * Return: 0, or -EINVAL if a size comes without a pointer or a pointer
 * comes with less than one bit per page.
 */
static inline int vttm_check_sync_bitmap(u64 ptr, u64 size, u64 num_pages)
{
	if (!ptr)
		return size ? -EINVAL : 0;
	if (size < vttm_sync_bitmap_bytes(num_pages))
		return -EINVAL;
	return 0;
}

/**
 * vttm_sync_bitmap_mark() - record pages in a sync bitmap
 * @bitmap: bitmap in the uAPI layout, sized in whole longs
 * @first: first page to record
 * @count: number of pages to record
 *
 * The uAPI keeps page n in bit n % 8 of byte n / 8 on every architecture;
 * the little-endian bitops store exactly that, whatever the CPU's byte
 * order, so the buffer can be copied to user space as it is.
 */
static inline void vttm_sync_bitmap_mark(void *bitmap, pgoff_t first,
					 pgoff_t count)
{
	pgoff_t i;

	for (i = first; i < first + count; i++)
		__set_bit_le(i, bitmap);
}

/**
 * vttm_dumb_layout() - pitch and size of a dumb buffer
 * @width: width in pixels
 * @height: height in pixels
 * @bpp: bits per pixel
 * @pitch: on success, bytes per line: @width * DIV_ROUND_UP(@bpp, 8)
 * @size: on success, bytes of the whole buffer: @pitch * @height
 *
 * The DRM core checks dumb arguments too, but the driver callback does not
 * rely on it, and its limits are not ours.
 *
 * Return: 0, or -EINVAL if an argument is zero or the pitch overflows
 * 32 bits. The caller still applies vttm_check_bo_size() to @size.
 */
static inline int vttm_dumb_layout(u32 width, u32 height, u32 bpp,
				   u32 *pitch, u64 *size)
{
	/* Not DIV_ROUND_UP(): bpp + 7 would wrap for the largest bpp. */
	u32 cpp = bpp / BITS_PER_BYTE + !!(bpp % BITS_PER_BYTE);
	u32 p;

	if (!width || !height || !cpp)
		return -EINVAL;
	if (check_mul_overflow(width, cpp, &p))
		return -EINVAL;

	*pitch = p;
	*size = (u64)p * height;
	return 0;
}

#endif /* _VTTM_ARGS_H_ */
