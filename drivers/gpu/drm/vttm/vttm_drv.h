/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * vttm: a virtual TTM device that keeps its own copy of every buffer
 * object, the way a host GPU keeps device memory apart from what a
 * virtual machine writes through its CPU mappings.
 */
#ifndef _VTTM_DRV_H_
#define _VTTM_DRV_H_

#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/kref.h>
#include <linux/types.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/ttm/ttm_bo_api.h>
#include <drm/ttm/ttm_bo_dirty.h>
#include <drm/vttm_drm.h>
#include <drm/ttm/ttm_device.h>

struct drm_mode_create_dumb;
struct page;
struct ttm_resource;
struct platform_device;

#define DRIVER_NAME	"vttm"
#define DRIVER_DESC	"Virtual TTM device with a separate device copy"
#define DRIVER_DATE	"20250101"
#define DRIVER_MAJOR	1
#define DRIVER_MINOR	0

/**
 * struct vttm_vram - device-local memory, the second placement
 * @chunks: first pages of the 2 MiB chunks, each physically contiguous
 * @num_chunks: number of entries in @chunks
 * @num_pages: pages in all chunks, as TTM's range manager counts them
 * @vaddr: one kernel mapping of every chunk, in order
 */
struct vttm_vram {
	struct page **chunks;
	unsigned long num_chunks;
	unsigned long num_pages;
	void *vaddr;
};

/**
 * struct vttm_device - the virtual device
 * @drm: DRM device
 * @ttm: TTM device that owns every buffer object of @drm
 * @vram: device-local memory; empty when the device has none
 * @pdev: platform device the module registered to hang @drm on
 */
struct vttm_device {
	struct drm_device drm;
	struct ttm_device ttm;
	struct vttm_vram vram;
	struct platform_device *pdev;
};

/**
 * struct vttm_file - a client: what vttm keeps for each open DRM file
 * @refcount: one reference held by the DRM file, one by each BO charged
 *	to it, so that a BO outliving the file can still return its charge
 * @bo_mem: bytes of the BOs this client created that still exist, at
 *	most vttm_client_mem_limit() when each was created
 */
struct vttm_file {
	struct kref refcount;
	atomic64_t bo_mem;
};

/**
 * struct vttm_bo - a buffer object together with the device's copy of it
 * @tbo: TTM buffer object; @tbo.base is its GEM object
 * @dev_copy: what the device sees: @tbo.base.size bytes, kept apart from
 *	the TTM pages and changed only by a sync. Protected by the BO's
 *	reservation lock.
 * @dev_copy_alloc: the allocation @dev_copy lies in, a page larger: see
 *	vttm_dev_copy_alloc()
 * @method: the VTTM_METHOD_* asked for; NONE means @tbo.dirty is NULL
 * @syncs: number of successful syncs of this BO
 * @pages_copied: pages copied into @dev_copy over the BO's life
 * @owner: the client that created the BO, charged @tbo.base.size bytes
 *	for it until the BO is freed; holds a reference to it
 */
struct vttm_bo {
	struct ttm_buffer_object tbo;
	void *dev_copy;
	void *dev_copy_alloc;
	u32 method;
	atomic64_t syncs;
	atomic64_t pages_copied;
	atomic64_t scan_ns;
	atomic64_t copy_ns;
	struct vttm_file *owner;
};

static inline struct vttm_device *to_vttm_device(struct drm_device *drm)
{
	return container_of(drm, struct vttm_device, drm);
}

static inline struct vttm_bo *to_vttm_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vttm_bo, tbo.base);
}

static inline struct vttm_file *to_vttm_file(struct drm_file *file)
{
	return file->driver_priv;
}

static inline pgoff_t vttm_bo_num_pages(const struct vttm_bo *bo)
{
	return bo->tbo.base.size >> PAGE_SHIFT;
}

/* VTTM_METHOD_* of a tracked BO to TTM's method; checked by the caller. */
static inline enum ttm_bo_dirty_method vttm_method_to_ttm(u32 method)
{
	switch (method) {
	case VTTM_METHOD_MKWRITE:
		return TTM_BO_DIRTY_MKWRITE;
	case VTTM_METHOD_PAGETABLE:
		return TTM_BO_DIRTY_PAGETABLE;
	case VTTM_METHOD_AUTO_VMWGFX:
		return TTM_BO_DIRTY_AUTO_VMWGFX;
	default:
		return TTM_BO_DIRTY_AUTO;
	}
}

/* vttm_bo.c */
int vttm_ttm_init(struct vttm_device *vdev);
u64 vttm_client_mem_limit(void);
struct vttm_file *vttm_file_create(void);
void vttm_file_put(struct vttm_file *vfile);
struct vttm_bo *vttm_bo_create(struct vttm_device *vdev,
			       struct vttm_file *owner, u64 size, u32 method);
int vttm_bo_move(struct vttm_bo *bo, u32 placement);
u32 vttm_bo_placement(struct vttm_bo *bo);

/* vttm_vram.c */
int vttm_vram_init(struct vttm_device *vdev);
int vttm_vram_io_mem_reserve(struct ttm_device *bdev,
			     struct ttm_resource *mem);
unsigned long vttm_vram_io_mem_pfn(struct ttm_buffer_object *tbo,
				   unsigned long page_offset);
struct page *vttm_vram_bo_page(struct ttm_buffer_object *tbo, pgoff_t page);
int vttm_vram_access_memory(struct ttm_buffer_object *tbo,
			    unsigned long offset, void *buf, int len,
			    int write);

/* vttm_gem.c */
int vttm_gem_create_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);
int vttm_gem_mmap_offset_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file);
int vttm_gem_info_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);
int vttm_gem_set_method_ioctl(struct drm_device *drm, void *data,
			      struct drm_file *file);
int vttm_gem_move_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);
int vttm_get_param_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vttm_dumb_create(struct drm_file *file, struct drm_device *drm,
		     struct drm_mode_create_dumb *args);

/* vttm_sync.c */
int vttm_bo_sync_pages(struct vttm_bo *bo, pgoff_t first, pgoff_t count,
		       void *copied);
int vttm_gem_sync_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file);
int vttm_device_read_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file);

#endif /* _VTTM_DRV_H_ */
