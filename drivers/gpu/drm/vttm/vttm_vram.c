// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Device-local memory: a second placement with its own backing, so that
 * buffer objects can move while they are mapped and written, as they do
 * between system memory and VRAM on real hardware.
 *
 * The backing is RAM the driver sets aside at load time, in 2 MiB chunks
 * that are each physically contiguous and 2 MiB aligned. TTM hands out
 * ranges of it with its range manager and treats it as I/O memory: CPU
 * mappings get raw PFNs from vttm_vram_io_mem_pfn() and TTM's own copies
 * (moves, kmap, vmap) use one linear kernel mapping of the whole pool.
 *
 * This is not the device copy of a BO. The device copy stands for what
 * the device has seen and changes only at a sync; device-local memory
 * holds the BO's current contents, the pages user space maps.
 */

#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <drm/drm_managed.h>
#include <drm/ttm/ttm_bo_driver.h>
#include <drm/ttm/ttm_range_manager.h>
#include <drm/ttm/ttm_resource.h>

#include "vttm_drv.h"

#define VTTM_VRAM_CHUNK_ORDER	(ilog2(SZ_2M) - PAGE_SHIFT)
#define VTTM_VRAM_CHUNK_PAGES	BIT(VTTM_VRAM_CHUNK_ORDER)
/* Keeps a typo on the command line from pinning all of RAM at boot. */
#define VTTM_VRAM_MAX_MB	4096

static unsigned int vttm_vram_mb = 64;
module_param_named(vram_mb, vttm_vram_mb, uint, 0444);
MODULE_PARM_DESC(vram_mb,
		 "Device-local memory in MiB, rounded up to 2 MiB, at most 4096; 0 for none (default 64)");

/* First page of pool page @index. */
static struct page *vttm_vram_page(const struct vttm_vram *vram,
				   unsigned long index)
{
	return vram->chunks[index >> VTTM_VRAM_CHUNK_ORDER] +
		(index & (VTTM_VRAM_CHUNK_PAGES - 1));
}

static void vttm_vram_free(struct vttm_vram *vram)
{
	unsigned long i;

	if (vram->vaddr)
		vunmap(vram->vaddr);
	for (i = 0; i < vram->num_chunks; i++)
		__free_pages(vram->chunks[i], VTTM_VRAM_CHUNK_ORDER);
	kvfree(vram->chunks);
	vram->chunks = NULL;
	vram->vaddr = NULL;
	vram->num_chunks = 0;
	vram->num_pages = 0;
}

/* Allocate the chunks and map them, in order, into one kernel range. */
static int vttm_vram_alloc(struct vttm_vram *vram, unsigned long num_chunks)
{
	struct page **pages;
	unsigned long i;

	vram->chunks = kvcalloc(num_chunks, sizeof(*vram->chunks), GFP_KERNEL);
	if (!vram->chunks)
		return -ENOMEM;

	for (i = 0; i < num_chunks; i++) {
		/* Zeroed: nothing of the kernel's may leak into a BO. */
		vram->chunks[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO |
					      __GFP_NOWARN |
					      __GFP_RETRY_MAYFAIL,
					      VTTM_VRAM_CHUNK_ORDER);
		if (!vram->chunks[i])
			goto err;
		vram->num_chunks++;
	}
	vram->num_pages = num_chunks * VTTM_VRAM_CHUNK_PAGES;

	pages = kvmalloc_array(vram->num_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		goto err;
	for (i = 0; i < vram->num_pages; i++)
		pages[i] = vttm_vram_page(vram, i);
	vram->vaddr = vmap(pages, vram->num_pages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	if (!vram->vaddr)
		goto err;
	return 0;

err:
	vttm_vram_free(vram);
	return -ENOMEM;
}

static void vttm_vram_fini(struct drm_device *drm, void *arg)
{
	struct vttm_device *vdev = to_vttm_device(drm);

	/* Runs after every BO is gone, so the manager is empty. */
	ttm_range_man_fini(&vdev->ttm, TTM_PL_VRAM);
	vttm_vram_free(&vdev->vram);
}

/**
 * vttm_vram_init() - set aside device-local memory and let TTM manage it
 * @vdev: the vttm device, whose TTM device is initialized
 *
 * Takes the size from the vram_mb module parameter. With a size of zero
 * the device has no device-local placement and moves to it fail.
 *
 * Return: 0 or a negative errno.
 */
int vttm_vram_init(struct vttm_device *vdev)
{
	struct vttm_vram *vram = &vdev->vram;
	unsigned long num_chunks;
	int ret;

	if (!vttm_vram_mb)
		return 0;

	num_chunks = min_t(unsigned int, vttm_vram_mb, VTTM_VRAM_MAX_MB);
	num_chunks = DIV_ROUND_UP(num_chunks, 2);
	ret = vttm_vram_alloc(vram, num_chunks);
	if (ret) {
		drm_err(&vdev->drm, "cannot set aside %lu MiB of device memory\n",
			num_chunks * 2);
		return ret;
	}

	ret = ttm_range_man_init(&vdev->ttm, TTM_PL_VRAM, false,
				 vram->num_pages);
	if (ret) {
		vttm_vram_free(vram);
		return ret;
	}
	return drmm_add_action_or_reset(&vdev->drm, vttm_vram_fini, NULL);
}

/**
 * vttm_vram_io_mem_reserve() - &ttm_device_funcs.io_mem_reserve
 * @bdev: TTM device
 * @mem: resource to describe
 *
 * Device-local memory is I/O memory to TTM, already mapped in the kernel.
 *
 * Return: 0, or -EINVAL for a placement vttm does not have.
 */
int vttm_vram_io_mem_reserve(struct ttm_device *bdev, struct ttm_resource *mem)
{
	struct vttm_device *vdev = container_of(bdev, struct vttm_device, ttm);

	switch (mem->mem_type) {
	case TTM_PL_SYSTEM:
		return 0;
	case TTM_PL_VRAM:
		mem->bus.addr = vdev->vram.vaddr + (mem->start << PAGE_SHIFT);
		mem->bus.offset = 0;
		mem->bus.is_iomem = true;
		mem->bus.caching = ttm_cached;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * vttm_vram_io_mem_pfn() - &ttm_device_funcs.io_mem_pfn
 * @tbo: a BO in device-local memory
 * @page_offset: page of the BO
 *
 * Return: the PFN backing @page_offset of @tbo.
 */
unsigned long vttm_vram_io_mem_pfn(struct ttm_buffer_object *tbo,
				   unsigned long page_offset)
{
	struct vttm_device *vdev = container_of(tbo->bdev, struct vttm_device,
						ttm);

	return page_to_pfn(vttm_vram_page(&vdev->vram,
					  tbo->resource->start + page_offset));
}

/**
 * vttm_vram_bo_page() - the page backing a page of a BO in device memory
 * @tbo: the BO, reserved and in device memory
 * @page: page of the BO
 *
 * Return: the struct page of the pool that holds @page of @tbo.
 */
struct page *vttm_vram_bo_page(struct ttm_buffer_object *tbo, pgoff_t page)
{
	struct vttm_device *vdev = container_of(tbo->bdev, struct vttm_device,
						ttm);

	return vttm_vram_page(&vdev->vram, tbo->resource->start + page);
}

/* The linear kernel mapping of a BO in device memory. */
static void *vttm_vram_vaddr(struct ttm_buffer_object *tbo)
{
	struct vttm_device *vdev = container_of(tbo->bdev, struct vttm_device,
						ttm);

	return vdev->vram.vaddr + (tbo->resource->start << PAGE_SHIFT);
}

/**
 * vttm_vram_access_memory() - &ttm_device_funcs.access_memory
 * @tbo: a BO in device-local memory, reserved by the caller
 * @offset: byte offset into @tbo, checked against its size by TTM
 * @buf: kernel buffer
 * @len: bytes to copy
 * @write: non-zero to copy from @buf into @tbo
 *
 * Serves ptrace and /proc/pid/mem, which TTM cannot kmap for itself
 * outside system memory.
 *
 * Return: @len.
 */
int vttm_vram_access_memory(struct ttm_buffer_object *tbo,
			    unsigned long offset, void *buf, int len, int write)
{
	void *ptr = vttm_vram_vaddr(tbo) + offset;

	if (write)
		memcpy(ptr, buf, len);
	else
		memcpy(buf, ptr, len);
	return len;
}
