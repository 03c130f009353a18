// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * vttm: a virtual DRM driver built on TTM whose "device memory" is a copy
 * of each buffer object that only a sync updates, so that user space can
 * observe what reached the device and what did not.
 *
 * There is no hardware: the module registers its own platform device and
 * hangs a render-capable DRM device on it.
 */

#include <linux/compat.h>
#include <linux/device.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>
#include <drm/vttm_drm.h>

#include "vttm_drv.h"

static struct vttm_device *vttm_device;

static const struct drm_ioctl_desc vttm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VTTM_GEM_CREATE, vttm_gem_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GEM_MMAP_OFFSET, vttm_gem_mmap_offset_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GEM_SYNC, vttm_gem_sync_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_DEVICE_READ, vttm_device_read_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GEM_SET_METHOD, vttm_gem_set_method_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GEM_INFO, vttm_gem_info_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GEM_MOVE, vttm_gem_move_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VTTM_GET_PARAM, vttm_get_param_ioctl,
			  DRM_RENDER_ALLOW),
};

/*
 * Place a mapping of 2 MiB or more so that each 2 MiB aligned part of its
 * BO lands at a 2 MiB aligned address, where device memory can be mapped
 * with huge entries. MAP_FIXED, small mappings and 32-bit callers get the
 * default placement.
 */
static unsigned long vttm_get_unmapped_area(struct file *file,
					    unsigned long addr,
					    unsigned long len,
					    unsigned long pgoff,
					    unsigned long flags)
{
	struct drm_file *priv = file->private_data;
	struct drm_vma_offset_manager *mgr = priv->minor->dev->vma_offset_manager;
	struct drm_vma_offset_node *node;
	unsigned long off = 0, ret;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) || flags & MAP_FIXED ||
	    len < PMD_SIZE || len > TASK_SIZE - PMD_SIZE ||
	    in_compat_syscall())
		goto out_default;

	/* Where in its BO the mapping starts decides the alignment. */
	drm_vma_offset_lock_lookup(mgr);
	node = drm_vma_offset_lookup_locked(mgr, pgoff, len >> PAGE_SHIFT);
	if (node)
		off = (pgoff - drm_vma_node_start(node)) << PAGE_SHIFT;
	drm_vma_offset_unlock_lookup(mgr);

	ret = current->mm->get_unmapped_area(file, addr, len + PMD_SIZE, pgoff,
					     flags);
	if (IS_ERR_VALUE(ret))
		goto out_default;
	return ret + ((off - ret) & (PMD_SIZE - 1));

out_default:
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
}

static int vttm_open(struct drm_device *drm, struct drm_file *file)
{
	file->driver_priv = vttm_file_create();
	return file->driver_priv ? 0 : -ENOMEM;
}

/* BOs still charged to the client keep its state until they are freed. */
static void vttm_postclose(struct drm_device *drm, struct drm_file *file)
{
	vttm_file_put(to_vttm_file(file));
}

static const struct file_operations vttm_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.get_unmapped_area = vttm_get_unmapped_area,
};

/*
 * PRIME: drm_gem_prime_import() hands back our own GEM object for a
 * dma-buf we exported and, as there is no gem_prime_import_sg_table,
 * refuses any other dma-buf with -EINVAL. An mmap of an exported dma-buf
 * goes through the same GEM mmap as one of the DRM file.
 */
static const struct drm_driver vttm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.ioctls = vttm_ioctls,
	.num_ioctls = ARRAY_SIZE(vttm_ioctls),
	.fops = &vttm_fops,
	.open = vttm_open,
	.postclose = vttm_postclose,

	.dumb_create = vttm_dumb_create,
	.dumb_map_offset = drm_gem_ttm_dumb_map_offset,

	.prime_handle_to_fd = drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle = drm_gem_prime_fd_to_handle,
	.gem_prime_mmap = drm_gem_prime_mmap,

	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = DRIVER_DATE,
	.major = DRIVER_MAJOR,
	.minor = DRIVER_MINOR,
};

static int __init vttm_init(void)
{
	struct platform_device *pdev;
	struct vttm_device *vdev;
	int ret;

	pdev = platform_device_register_simple(DRIVER_NAME, -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);

	/* No driver binds to pdev, so its devres is released by hand. */
	if (!devres_open_group(&pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto err_unregister;
	}

	vdev = devm_drm_dev_alloc(&pdev->dev, &vttm_driver,
				  struct vttm_device, drm);
	if (IS_ERR(vdev)) {
		ret = PTR_ERR(vdev);
		goto err_devres;
	}
	vdev->pdev = pdev;

	ret = vttm_ttm_init(vdev);
	if (ret)
		goto err_devres;

	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		goto err_devres;

	vttm_device = vdev;
	return 0;

err_devres:
	devres_release_group(&pdev->dev, NULL);
err_unregister:
	platform_device_unregister(pdev);
	return ret;
}

static void __exit vttm_exit(void)
{
	struct platform_device *pdev = vttm_device->pdev;

	drm_dev_unregister(&vttm_device->drm);
	/* Open files keep the DRM device, and with it TTM, until closed. */
	devres_release_group(&pdev->dev, NULL);
	platform_device_unregister(pdev);
}

module_init(vttm_init);
module_exit(vttm_exit);

MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("Dual MIT/GPL");
