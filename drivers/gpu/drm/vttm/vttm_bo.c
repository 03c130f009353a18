// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Buffer objects: a GEM object embedded in a TTM buffer object, which
 * lives in system or device-local memory, plus the device copy allocated
 * next to it.
 */

#include <linux/dma-buf.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/ttm/ttm_bo_dirty.h>
#include <drm/ttm/ttm_bo_driver.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_tt.h>

#include "vttm_args.h"
#include "vttm_drv.h"

static unsigned int vttm_client_mem_mb;
module_param_named(client_mem_mb, vttm_client_mem_mb, uint, 0644);
MODULE_PARM_DESC(client_mem_mb,
		 "Most BO memory one client (open DRM file) may hold, in MiB; 0 for a quarter of RAM (default 0)");

static const struct ttm_place vttm_sys_place = {
	.mem_type = TTM_PL_SYSTEM,
};

static const struct ttm_place vttm_vram_place = {
	.mem_type = TTM_PL_VRAM,
};

/* TTM takes placements by non-const pointer but never writes them. */
static struct ttm_placement vttm_sys_placement = {
	.num_placement = 1,
	.placement = &vttm_sys_place,
	.num_busy_placement = 1,
	.busy_placement = &vttm_sys_place,
};

static struct ttm_placement vttm_vram_placement = {
	.num_placement = 1,
	.placement = &vttm_vram_place,
	.num_busy_placement = 1,
	.busy_placement = &vttm_vram_place,
};

/* TTM device functions */

static struct ttm_tt *vttm_ttm_tt_create(struct ttm_buffer_object *tbo,
					 u32 page_flags)
{
	struct ttm_tt *tt;

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return NULL;

	/*
	 * Ordinary cached pages: the CPU is the only one touching them.
	 * Always zeroed, even where TTM expects a copy to fill them: a move
	 * skips copying from pages never populated, and no BO may ever
	 * show what a page held before.
	 */
	page_flags |= TTM_TT_FLAG_ZERO_ALLOC;
	if (ttm_tt_init(tt, tbo, page_flags, ttm_cached, 0)) {
		kfree(tt);
		return NULL;
	}
	return tt;
}

static void vttm_ttm_tt_destroy(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

static void vttm_evict_flags(struct ttm_buffer_object *tbo,
			     struct ttm_placement *placement)
{
	*placement = vttm_sys_placement;
}

/*
 * TTM has zapped every CPU mapping of the BO before calling this (and the
 * write tracking has taken the dirty bits first), so nothing writes the
 * old pages while they are copied; faults wait for the reservation and
 * then map the new ones.
 */
static int vttm_move(struct ttm_buffer_object *tbo, bool evict,
		     struct ttm_operation_ctx *ctx,
		     struct ttm_resource *new_mem, struct ttm_place *hop)
{
	struct ttm_resource *old_mem = tbo->resource;

	/* A new BO's first placement, or system memory to system memory. */
	if (!old_mem || (old_mem->mem_type == TTM_PL_SYSTEM &&
			 new_mem->mem_type == TTM_PL_SYSTEM)) {
		ttm_bo_move_null(tbo, new_mem);
		return 0;
	}

	/*
	 * Between system and device memory: a CPU copy. An unpopulated BO
	 * has zero-filling pages, so its device range is cleared instead and
	 * a BO never shows what an earlier one left there.
	 */
	return ttm_bo_move_memcpy(tbo, ctx, new_mem);
}

static struct ttm_device_funcs vttm_ttm_funcs = {
	.ttm_tt_create = vttm_ttm_tt_create,
	.ttm_tt_destroy = vttm_ttm_tt_destroy,
	.eviction_valuable = ttm_bo_eviction_valuable,
	.evict_flags = vttm_evict_flags,
	.move = vttm_move,
	.io_mem_reserve = vttm_vram_io_mem_reserve,
	.io_mem_pfn = vttm_vram_io_mem_pfn,
	.access_memory = vttm_vram_access_memory,
};

static void vttm_ttm_fini(struct drm_device *drm, void *arg)
{
	ttm_device_fini(&to_vttm_device(drm)->ttm);
}

/**
 * vttm_ttm_init() - set up the TTM device of a vttm device
 * @vdev: the vttm device, whose DRM device is allocated but not registered
 *
 * The TTM device is torn down with the DRM device, after the last BO is
 * gone.
 *
 * Return: 0 or a negative errno.
 */
int vttm_ttm_init(struct vttm_device *vdev)
{
	struct drm_device *drm = &vdev->drm;
	int ret;

	/* Plain page allocations: no DMA API, the "device" is the CPU. */
	ret = ttm_device_init(&vdev->ttm, &vttm_ttm_funcs, drm->dev,
			      drm->anon_inode->i_mapping,
			      drm->vma_offset_manager, false, false);
	if (ret)
		return ret;

	ret = drmm_add_action_or_reset(drm, vttm_ttm_fini, NULL);
	if (ret)
		return ret;

	/* Torn down before the TTM device: drmm releases in reverse. */
	return vttm_vram_init(vdev);
}

/* Clients and what their BOs are charged to them */

/**
 * vttm_client_mem_limit() - bytes of BOs one client may hold
 *
 * Read at every create, so that a change of the parameter applies from
 * the next one on.
 *
 * Return: the limit in bytes.
 */
u64 vttm_client_mem_limit(void)
{
	unsigned int mb = READ_ONCE(vttm_client_mem_mb);

	/*
	 * A quarter: a BO can cost twice its size, its pages and its device
	 * copy, so one client alone still leaves half of RAM to the rest.
	 */
	if (!mb)
		return ((u64)totalram_pages() << PAGE_SHIFT) / 4;
	return (u64)mb * SZ_1M;
}

/**
 * vttm_file_create() - the state of a new client
 *
 * Return: the state with one reference, for the DRM file, or NULL.
 */
struct vttm_file *vttm_file_create(void)
{
	struct vttm_file *vfile;

	vfile = kzalloc(sizeof(*vfile), GFP_KERNEL);
	if (!vfile)
		return NULL;
	kref_init(&vfile->refcount);
	atomic64_set(&vfile->bo_mem, 0);
	return vfile;
}

static void vttm_file_release(struct kref *kref)
{
	struct vttm_file *vfile = container_of(kref, struct vttm_file,
					       refcount);

	/* Each BO charged here held a reference until it gave its charge back. */
	WARN_ON_ONCE(atomic64_read(&vfile->bo_mem));
	kfree(vfile);
}

/**
 * vttm_file_put() - drop a reference to the state of a client
 * @vfile: the client
 */
void vttm_file_put(struct vttm_file *vfile)
{
	kref_put(&vfile->refcount, vttm_file_release);
}

/*
 * Charge @size bytes to @vfile, or fail with -ENOSPC and charge nothing.
 * The check and the add are one step, so creates racing in one client
 * cannot together go past the limit.
 */
static int vttm_file_charge(struct vttm_file *vfile, u64 size)
{
	u64 limit = vttm_client_mem_limit();
	s64 used = atomic64_read(&vfile->bo_mem);

	do {
		if (vttm_check_charge(used, size, limit))
			return -ENOSPC;
	} while (!atomic64_try_cmpxchg(&vfile->bo_mem, &used, used + size));
	return 0;
}

static void vttm_file_uncharge(struct vttm_file *vfile, u64 size)
{
	/* Only what was charged is returned: never below zero. */
	WARN_ON_ONCE(atomic64_sub_return(size, &vfile->bo_mem) < 0);
}

/* GEM object functions; the mapping side stays here in one place. */

static void vttm_gem_free(struct drm_gem_object *obj)
{
	/* GEM and TTM count references apart; the last GEM one drops ours. */
	ttm_bo_put(&to_vttm_bo(obj)->tbo);
}

static int vttm_gem_pin(struct drm_gem_object *obj)
{
	struct ttm_buffer_object *tbo = &to_vttm_bo(obj)->tbo;
	struct ttm_operation_ctx ctx = { .interruptible = true };
	int ret;

	/*
	 * Importers get the pages by scatterlist, so they must be system
	 * pages and exist; a pinned BO then stays where it is.
	 */
	ret = ttm_bo_reserve(tbo, true, false, NULL);
	if (ret)
		return ret;
	ret = ttm_bo_validate(tbo, &vttm_sys_placement, &ctx);
	if (!ret)
		ret = ttm_tt_populate(tbo->bdev, tbo->ttm, &ctx);
	if (!ret)
		ttm_bo_pin(tbo);
	ttm_bo_unreserve(tbo);
	return ret;
}

static void vttm_gem_unpin(struct drm_gem_object *obj)
{
	struct ttm_buffer_object *tbo = &to_vttm_bo(obj)->tbo;

	dma_resv_lock(tbo->base.resv, NULL);
	ttm_bo_unpin(tbo);
	dma_resv_unlock(tbo->base.resv);
}

static struct sg_table *vttm_gem_get_sg_table(struct drm_gem_object *obj)
{
	struct ttm_tt *tt = to_vttm_bo(obj)->tbo.ttm;

	/* Only called between pin and unpin, so the pages cannot go away. */
	return drm_prime_pages_to_sg(obj->dev, tt->pages, tt->num_pages);
}

/*
 * TTM's mapping life cycle with the write-tracking fault pieces: they
 * behave as TTM's own for a BO created with VTTM_METHOD_NONE.
 */
static const struct vm_operations_struct vttm_vm_ops = {
	.fault = ttm_bo_dirty_vm_fault,
	.pfn_mkwrite = ttm_bo_dirty_vm_mkwrite,
	.open = ttm_bo_vm_open,
	.close = ttm_bo_dirty_vm_close,
	.may_split = ttm_bo_dirty_vm_may_split,
	.access = ttm_bo_dirty_vm_access,
};

/*
 * An mmap of the exported dma-buf must land in the DRM device's
 * address_space, as one of the DRM file does: that is where TTM zaps PTEs
 * before a move, where the dirty helpers look for them and what
 * ttm_bo_vm_open() expects of every mapping (a fork of a dma-buf mapping
 * would WARN otherwise). The dma-buf inode's own mapping is never used.
 */
static struct dma_buf *vttm_gem_prime_export(struct drm_gem_object *obj,
					     int flags)
{
	struct dma_buf *dmabuf = drm_gem_prime_export(obj, flags);

	if (!IS_ERR(dmabuf))
		dmabuf->file->f_mapping = obj->dev->anon_inode->i_mapping;
	return dmabuf;
}

/*
 * drm_gem_ttm_mmap() ends in ttm_bo_mmap_obj(), which refuses
 * copy-on-write mappings with -EINVAL: a writable MAP_PRIVATE mapping of
 * a BO fails, and every mapping that succeeds shares the TTM pages.
 */
static const struct drm_gem_object_funcs vttm_gem_funcs = {
	.free = vttm_gem_free,
	.export = vttm_gem_prime_export,
	.pin = vttm_gem_pin,
	.unpin = vttm_gem_unpin,
	.get_sg_table = vttm_gem_get_sg_table,
	.vmap = drm_gem_ttm_vmap,
	.vunmap = drm_gem_ttm_vunmap,
	.mmap = drm_gem_ttm_mmap,
	.print_info = drm_gem_ttm_print_info,
	.vm_ops = &vttm_vm_ops,
};

/*
 * The device copy starts on an odd page. Under emulation (QEMU's TCG) the
 * TLB is direct-mapped, indexed by the low bits of the virtual page
 * number, and TTM hands out pages in runs that start on even pages, as
 * large vmalloc areas do: page i of the BO and of a copy laid out like it
 * would share a slot, and each load of a sync evict the entry its store
 * needs, and the other way round. Apart by one page they never collide,
 * whatever the TLB's size: a sync of a 256 MiB BO took a tenth of the time.
 * Always vmalloc, where one more page costs a page; a kmalloc block of a
 * power of two would double.
 */
static void *vttm_dev_copy_alloc(struct vttm_bo *bo, u64 size)
{
	void *p;

	p = __vmalloc(size + PAGE_SIZE,
		      GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
	if (!p)
		return NULL;
	bo->dev_copy_alloc = p;
	return ((unsigned long)p >> PAGE_SHIFT) & 1 ? p : p + PAGE_SIZE;
}

/* Called by TTM when its last reference goes, after it freed the pages. */
static void vttm_bo_destroy(struct ttm_buffer_object *tbo)
{
	struct vttm_bo *bo = container_of(tbo, struct vttm_bo, tbo);

	ttm_bo_dirty_detach(tbo);
	vttm_file_uncharge(bo->owner, tbo->base.size);
	vttm_file_put(bo->owner);
	drm_gem_object_release(&tbo->base);
	vfree(bo->dev_copy_alloc);
	kfree(bo);
}

/**
 * vttm_bo_create() - create a buffer object and its device copy
 * @vdev: the vttm device
 * @owner: the client creating it, charged @size bytes until it is freed
 * @size: size in bytes, already checked with vttm_check_bo_size()
 * @method: VTTM_METHOD_* for tracking CPU writes, already checked
 *
 * Both the TTM pages, once populated, and the device copy start zeroed.
 *
 * Return: the new BO holding one GEM reference, or an ERR_PTR(): -ENOSPC
 * if @owner cannot take on @size more bytes, -ENOMEM, or an errno from
 * TTM. On error nothing stays charged.
 */
struct vttm_bo *vttm_bo_create(struct vttm_device *vdev,
			       struct vttm_file *owner, u64 size, u32 method)
{
	struct vttm_bo *bo;
	int ret;

	/* Before any allocation: a client at its limit makes nothing. */
	ret = vttm_file_charge(owner, size);
	if (ret)
		return ERR_PTR(ret);

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		goto err_uncharge;

	/* User space picks the size: charge its memcg and fail quietly. */
	bo->dev_copy = vttm_dev_copy_alloc(bo, size);
	if (!bo->dev_copy) {
		kfree(bo);
		goto err_uncharge;
	}
	atomic64_set(&bo->syncs, 0);
	atomic64_set(&bo->pages_copied, 0);
	atomic64_set(&bo->scan_ns, 0);
	atomic64_set(&bo->copy_ns, 0);
	/* From here vttm_bo_destroy() gives the charge back. */
	kref_get(&owner->refcount);
	bo->owner = owner;

	/* TTM allocates the pages: no shmem file behind the GEM object. */
	bo->tbo.base.funcs = &vttm_gem_funcs;
	drm_gem_private_object_init(&vdev->drm, &bo->tbo.base, size);

	/*
	 * In device memory, a BO of 2 MiB or more starts on a chunk, so its
	 * every 2 MiB is one physically contiguous run a huge entry can map.
	 * On failure TTM has already called vttm_bo_destroy().
	 */
	ret = ttm_bo_init_validate(&vdev->ttm, &bo->tbo, ttm_bo_type_device,
				   &vttm_sys_placement,
				   size >= SZ_2M ? SZ_2M >> PAGE_SHIFT : 0,
				   true, NULL, NULL, vttm_bo_destroy);
	if (ret)
		return ERR_PTR(ret);

	bo->method = method;
	if (method == VTTM_METHOD_NONE)
		return bo;

	/* Nobody can map it yet: attach before the handle exists. */
	dma_resv_lock(bo->tbo.base.resv, NULL);
	ret = ttm_bo_dirty_attach(&bo->tbo, vttm_method_to_ttm(method));
	dma_resv_unlock(bo->tbo.base.resv);
	if (ret) {
		drm_gem_object_put(&bo->tbo.base);
		return ERR_PTR(ret);
	}
	return bo;

err_uncharge:
	vttm_file_uncharge(owner, size);
	return ERR_PTR(-ENOMEM);
}

/**
 * vttm_bo_placement() - where a BO's pages are
 * @bo: the BO; the caller holds its reservation
 *
 * Return: VTTM_PLACEMENT_DEVICE or VTTM_PLACEMENT_SYSTEM.
 */
u32 vttm_bo_placement(struct vttm_bo *bo)
{
	dma_resv_assert_held(bo->tbo.base.resv);
	if (bo->tbo.resource && bo->tbo.resource->mem_type == TTM_PL_VRAM)
		return VTTM_PLACEMENT_DEVICE;
	return VTTM_PLACEMENT_SYSTEM;
}

/**
 * vttm_bo_move() - move a BO's pages to another placement
 * @bo: the BO; the caller holds its reservation
 * @placement: VTTM_PLACEMENT_*, already checked with vttm_check_move()
 *
 * Mappings stay valid across the move: TTM zaps them and they fault the
 * new pages in. The write tracking keeps the BO's dirty pages across it,
 * so a sync after the move copies every page written before it.
 *
 * Return: 0, -EBUSY for a pinned BO, -ENOMEM if the BO does not fit, or
 * another negative errno from TTM; on error the BO is where it was.
 */
int vttm_bo_move(struct vttm_bo *bo, u32 placement)
{
	struct ttm_operation_ctx ctx = { .interruptible = true };
	struct ttm_placement *target = placement == VTTM_PLACEMENT_DEVICE ?
		&vttm_vram_placement : &vttm_sys_placement;

	dma_resv_assert_held(bo->tbo.base.resv);
	/* TTM would move a pinned BO under the importer's feet. */
	if (bo->tbo.pin_count)
		return -EBUSY;
	/* TTM would evict every other BO before finding it cannot fit. */
	if (placement == VTTM_PLACEMENT_DEVICE &&
	    vttm_bo_num_pages(bo) > to_vttm_device(bo->tbo.base.dev)->vram.num_pages)
		return -ENOMEM;
	return ttm_bo_validate(&bo->tbo, target, &ctx);
}
