// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The handle-based side of buffer objects: creating them, finding the
 * offset to mmap them, reporting on them, and dumb buffers.
 */

#include <drm/drm_file.h>
#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_mode.h>

#include "vttm_args.h"
#include "vttm_drv.h"

/* Create a BO and give the caller a handle to it. */
static int vttm_create_handle(struct drm_device *drm, struct drm_file *file,
			      u64 size, u32 method, u32 *handle)
{
	struct vttm_bo *bo;
	int ret;

	bo = vttm_bo_create(to_vttm_device(drm), to_vttm_file(file), size,
			    method);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	ret = drm_gem_handle_create(file, &bo->tbo.base, handle);
	/* The handle, if any, now holds the object. */
	drm_gem_object_put(&bo->tbo.base);
	return ret;
}

/**
 * vttm_gem_create_ioctl() - DRM_IOCTL_VTTM_GEM_CREATE
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_create
 * @file: DRM file of the caller
 *
 * Return: 0 or a negative errno.
 */
int vttm_gem_create_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_vttm_gem_create *args = data;
	u32 method;
	u64 size;
	int ret;

	ret = vttm_check_create_flags(args->flags, &method);
	if (ret)
		return ret;
	ret = vttm_check_bo_size(args->size, &size);
	if (ret)
		return ret;

	return vttm_create_handle(drm, file, size, method, &args->handle);
}

/**
 * vttm_gem_mmap_offset_ioctl() - DRM_IOCTL_VTTM_GEM_MMAP_OFFSET
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_mmap_offset
 * @file: DRM file of the caller
 *
 * TTM reserved the offset when it created the BO; this only reports it.
 *
 * Return: 0 or a negative errno.
 */
int vttm_gem_mmap_offset_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct drm_vttm_gem_mmap_offset *args = data;

	if (args->pad)
		return -EINVAL;

	return drm_gem_ttm_dumb_map_offset(file, drm, args->handle,
					   &args->offset);
}

/*
 * What the ioctls that act on one BO have in common: look the handle up,
 * take the BO's reservation, act, then let go of both. A failed lookup or
 * reservation leaves @args as it was.
 */
static int vttm_gem_act_reserved(struct drm_file *file, u32 handle,
				 int (*act)(struct vttm_bo *bo, void *args),
				 void *args)
{
	struct drm_gem_object *obj;
	struct vttm_bo *bo;
	int ret;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	bo = to_vttm_bo(obj);

	ret = ttm_bo_reserve(&bo->tbo, true, false, NULL);
	if (!ret) {
		ret = act(bo, args);
		ttm_bo_unreserve(&bo->tbo);
	}
	drm_gem_object_put(obj);
	return ret;
}

static int vttm_gem_info_act(struct vttm_bo *bo, void *data)
{
	struct drm_vttm_gem_info *args = data;
	struct ttm_bo_dirty_stats stats;

	ttm_bo_dirty_get_stats(&bo->tbo, &stats);
	args->size = bo->tbo.base.size;
	args->placement = vttm_bo_placement(bo);
	args->pad2 = 0;
	/* Atomic counters: a sync in flight counts or not. */
	args->syncs = atomic64_read(&bo->syncs);
	args->pages_copied = atomic64_read(&bo->pages_copied);
	args->method = bo->method;
	switch (stats.method) {
	case TTM_BO_DIRTY_MKWRITE:
		args->active_method = VTTM_METHOD_MKWRITE;
		break;
	case TTM_BO_DIRTY_PAGETABLE:
		args->active_method = VTTM_METHOD_PAGETABLE;
		break;
	default:
		args->active_method = VTTM_METHOD_NONE;
	}
	args->scans = stats.scans;
	args->faults = stats.faults;
	args->switches = stats.switches;
	args->pages_reported = stats.pages_reported;
	args->full_scans = stats.full_scans;
	args->scan_ns = atomic64_read(&bo->scan_ns);
	args->copy_ns = atomic64_read(&bo->copy_ns);
	return 0;
}

/**
 * vttm_gem_info_ioctl() - DRM_IOCTL_VTTM_GEM_INFO
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_info
 * @file: DRM file of the caller
 *
 * Return: 0 or a negative errno.
 */
int vttm_gem_info_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_vttm_gem_info *args = data;

	if (args->pad)
		return -EINVAL;

	return vttm_gem_act_reserved(file, args->handle, vttm_gem_info_act,
				     args);
}

static int vttm_gem_set_method_act(struct vttm_bo *bo, void *data)
{
	const struct drm_vttm_gem_set_method *args = data;
	int ret;

	ret = ttm_bo_dirty_set_method(&bo->tbo,
				      vttm_method_to_ttm(args->method));
	if (!ret)
		bo->method = args->method;
	return ret;
}

/**
 * vttm_gem_set_method_ioctl() - DRM_IOCTL_VTTM_GEM_SET_METHOD
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_set_method
 * @file: DRM file of the caller
 *
 * Return: 0, -ENOENT for an unknown handle, -EINVAL for NONE, an unknown
 * method or an untracked BO, or -EINTR.
 */
int vttm_gem_set_method_ioctl(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_vttm_gem_set_method *args = data;
	int ret;

	ret = vttm_check_set_method(args->method);
	if (ret)
		return ret;

	return vttm_gem_act_reserved(file, args->handle,
				     vttm_gem_set_method_act, args);
}

static int vttm_gem_move_act(struct vttm_bo *bo, void *data)
{
	const struct drm_vttm_gem_move *args = data;

	return vttm_bo_move(bo, args->placement);
}

/**
 * vttm_gem_move_ioctl() - DRM_IOCTL_VTTM_GEM_MOVE
 * @drm: DRM device
 * @data: &struct drm_vttm_gem_move
 * @file: DRM file of the caller
 *
 * Return: 0 or a negative errno, as documented in the uAPI.
 */
int vttm_gem_move_ioctl(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_vttm_gem_move *args = data;
	int ret;

	ret = vttm_check_move(args, to_vttm_device(drm)->vram.num_pages);
	if (ret)
		return ret;

	return vttm_gem_act_reserved(file, args->handle, vttm_gem_move_act,
				     args);
}

/**
 * vttm_get_param_ioctl() - DRM_IOCTL_VTTM_GET_PARAM
 * @drm: DRM device
 * @data: &struct drm_vttm_get_param
 * @file: DRM file of the caller
 *
 * Return: 0, or -EINVAL for an unknown parameter or non-zero padding.
 */
int vttm_get_param_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct drm_vttm_get_param *args = data;

	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case VTTM_PARAM_DEVICE_MEM_SIZE:
		args->value = (u64)to_vttm_device(drm)->vram.num_pages <<
			PAGE_SHIFT;
		return 0;
	case VTTM_PARAM_CLIENT_MEM_LIMIT:
		args->value = vttm_client_mem_limit();
		return 0;
	case VTTM_PARAM_CLIENT_MEM_USED:
		args->value = atomic64_read(&to_vttm_file(file)->bo_mem);
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * vttm_dumb_create() - &drm_driver.dumb_create for vttm
 * @file: DRM file of the caller
 * @drm: DRM device
 * @args: width, height and bpp in; handle, pitch and size out
 *
 * A dumb buffer is an ordinary vttm BO with a linear layout.
 *
 * Return: 0 or a negative errno.
 */
int vttm_dumb_create(struct drm_file *file, struct drm_device *drm,
		     struct drm_mode_create_dumb *args)
{
	u64 size;
	u32 pitch;
	int ret;

	ret = vttm_dumb_layout(args->width, args->height, args->bpp,
			       &pitch, &size);
	if (ret)
		return ret;
	ret = vttm_check_bo_size(size, &size);
	if (ret)
		return ret;

	/* Dumb buffers are for scanout of CPU-drawn frames: track them. */
	ret = vttm_create_handle(drm, file, size, VTTM_METHOD_AUTO,
				 &args->handle);
	if (ret)
		return ret;

	args->pitch = pitch;
	args->size = size;
	return 0;
}
