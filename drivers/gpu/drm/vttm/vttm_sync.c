// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The device copy: a sync brings it up to date with the TTM pages, a
 * device read hands it back to user space.
 *
 * Both hold the BO's reservation while they touch the device copy, so a
 * read never sees a sync half done, and neither touches user memory while
 * holding it: a page fault on a mapping of a vttm BO needs that lock too.
 */

#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/ttm/ttm_bo_dirty.h>
#include <drm/ttm/ttm_bo_driver.h>
#include <drm/ttm/ttm_tt.h>

#include "vttm_args.h"
#include "vttm_drv.h"

/* Bytes a device read copies, or faults in, at a time. */
#define VTTM_READ_CHUNK		SZ_64K

/**
 * vttm_bo_sync_pages() - copy a range of pages into the device copy
 * @bo: the BO; the caller holds its reservation
 * @first: first page to copy
 * @count: number of pages to copy
 * @copied: NULL, or a sync bitmap in the uAPI layout in which to record
 *	the pages copied
 *
 * Pages are read one by one with kmap_local_page(), in either placement,
 * rather than through a vmap of the whole BO: a range of a few pages then
 * costs no vmalloc space and no TLB flush, and the loop is the same for
 * any range.
 *
 * Return: 0, or a negative errno and nothing copied.
 */
int vttm_bo_sync_pages(struct vttm_bo *bo, pgoff_t first, pgoff_t count,
		       void *copied)
{
	struct ttm_buffer_object *tbo = &bo->tbo;
	struct ttm_operation_ctx ctx = { .interruptible = true };
	pgoff_t num_pages = vttm_bo_num_pages(bo);
	bool device;
	pgoff_t i;
	int ret;

	dma_resv_assert_held(tbo->base.resv);
	if (first > num_pages || count > num_pages - first)
		return -EINVAL;

	/*
	 * A system BO nobody has touched has no pages yet and a swapped-out
	 * one has them elsewhere; populating gives zeroes in the first case
	 * and brings the contents back in the second. Device memory is
	 * always there.
	 */
	device = vttm_bo_placement(bo) == VTTM_PLACEMENT_DEVICE;
	if (!device) {
		ret = ttm_tt_populate(tbo->bdev, tbo->ttm, &ctx);
		if (ret)
			return ret;
	}

	/* A page at a time, which emulators, too, copy fastest. */
	for (i = first; i < first + count; i++) {
		struct page *page = device ? vttm_vram_bo_page(tbo, i) :
			tbo->ttm->pages[i];
		void *src = kmap_local_page(page);

		memcpy(bo->dev_copy + (i << PAGE_SHIFT), src, PAGE_SIZE);
		kunmap_local(src);
		cond_resched();
	}

	if (copied)
		vttm_sync_bitmap_mark(copied, first, count);
	atomic64_add(count, &bo->pages_copied);
	return 0;
}

/*
 * Copy what the CPU wrote since the last sync: the runs the write tracking
 * found, or the whole BO without tracking. Returns the pages copied or a
 * negative errno.
 */
static long vttm_bo_sync(struct vttm_bo *bo, void *copied)
{
	struct ttm_bo_dirty *dirty = bo->tbo.dirty;
	pgoff_t first, end, pages = 0;
	u64 t0 = ktime_get_ns(), t1;
	int ret = 0;

	if (!dirty) {
		ret = vttm_bo_sync_pages(bo, 0, vttm_bo_num_pages(bo), copied);
		pages = vttm_bo_num_pages(bo);
		t1 = t0;
		goto out;
	}

	/*
	 * The scan re-arms the tracking before we copy, so a write racing
	 * with the copy is recorded again and reaches the next sync.
	 */
	ttm_bo_dirty_scan(&bo->tbo);
	t1 = ktime_get_ns();
	atomic64_add(t1 - t0, &bo->scan_ns);
	end = 0;
	while (ttm_bo_dirty_next(dirty, end, &first, &end)) {
		ret = vttm_bo_sync_pages(bo, first, end - first, copied);
		if (ret)
			break;	/* what is left stays dirty */
		ttm_bo_dirty_clear(dirty, first, end);
		pages += end - first;
	}
out:
	/* Told apart so that a benchmark can say which of the two grew. */
	atomic64_add(ktime_get_ns() - t1, &bo->copy_ns);
	return ret ? ret : pages;
}

/**
 * vttm_gem_sync_ioctl() - DRM_IOCTL_VTTM_GEM_SYNC
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_sync
 * @file: DRM file of the caller
 *
 * Copies the pages written since the previous sync, or the whole BO if it
 * was created with VTTM_METHOD_NONE.
 *
 * Return: 0 or a negative errno.
 */
int vttm_gem_sync_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_vttm_gem_sync *args = data;
	void __user *ubitmap = u64_to_user_ptr(args->bitmap_ptr);
	struct drm_gem_object *obj;
	struct vttm_bo *bo;
	pgoff_t num_pages;
	void *bitmap = NULL;
	u64 bitmap_bytes;
	long copied;
	int ret;

	if (args->flags)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_vttm_bo(obj);
	num_pages = vttm_bo_num_pages(bo);

	ret = vttm_check_sync_bitmap(args->bitmap_ptr, args->bitmap_size,
				     num_pages);
	if (ret)
		goto out_put;

	bitmap_bytes = vttm_sync_bitmap_bytes(num_pages);
	if (args->bitmap_ptr) {
		/* A bad pointer fails here, before the sync changes anything. */
		if (clear_user(ubitmap, bitmap_bytes)) {
			ret = -EFAULT;
			goto out_put;
		}
		/* Whole longs: the bitops underneath work a long at a time. */
		bitmap = kvcalloc(BITS_TO_LONGS(num_pages), sizeof(long),
				  GFP_KERNEL);
		if (!bitmap) {
			ret = -ENOMEM;
			goto out_put;
		}
	}

	ret = ttm_bo_reserve(&bo->tbo, true, false, NULL);
	if (ret)
		goto out_free;
	copied = vttm_bo_sync(bo, bitmap);
	ttm_bo_unreserve(&bo->tbo);
	if (copied < 0) {
		ret = copied;
		goto out_free;
	}

	atomic64_inc(&bo->syncs);
	args->pages_copied = copied;

	if (bitmap && copy_to_user(ubitmap, bitmap, bitmap_bytes))
		ret = -EFAULT;
out_free:
	kvfree(bitmap);
out_put:
	drm_gem_object_put(obj);
	return ret;
}

static int vttm_bo_read_device(struct vttm_bo *bo, char __user *dst,
			       u64 offset, u64 len)
{
	struct dma_resv *resv = bo->tbo.base.resv;
	int ret;

	while (len) {
		ret = dma_resv_lock_interruptible(resv, NULL);
		if (ret)
			return ret;

		/*
		 * Faults are off so that one on @dst cannot need the lock
		 * held here; a short copy drops it and faults @dst in.
		 */
		while (len) {
			size_t chunk = min_t(u64, len, VTTM_READ_CHUNK);
			size_t left;

			pagefault_disable();
			left = copy_to_user(dst, bo->dev_copy + offset, chunk);
			pagefault_enable();

			dst += chunk - left;
			offset += chunk - left;
			len -= chunk - left;
			if (left)
				break;
			cond_resched();
		}
		dma_resv_unlock(resv);

		/* A chunk at a time: one page at a time would relock a lot. */
		if (len &&
		    fault_in_writeable(dst, min_t(u64, len, VTTM_READ_CHUNK)))
			return -EFAULT;
	}
	return 0;
}

/**
 * vttm_device_read_ioctl() - DRM_IOCTL_VTTM_DEVICE_READ
 * @drm: DRM device
 * @data: &struct drm_vttm_device_read
 * @file: DRM file of the caller
 *
 * Return: 0 or a negative errno.
 */
int vttm_device_read_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_vttm_device_read *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = vttm_check_read_range(obj->size, args->offset, args->size);
	if (!ret)
		ret = vttm_bo_read_device(to_vttm_bo(obj),
					  u64_to_user_ptr(args->data_ptr),
					  args->offset, args->size);

	drm_gem_object_put(obj);
	return ret;
}
