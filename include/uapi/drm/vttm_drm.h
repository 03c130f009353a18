/* SPDX-License-Identifier: MIT */
/*
 * vttm: a virtual TTM device whose "device memory" is a separate copy of
 * each buffer object, so that CPU/device coherence is observable from
 * user space.
 */
#ifndef _UAPI_VTTM_DRM_H_
#define _UAPI_VTTM_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * All structs here are part of the ABI. New fields are only ever appended;
 * the DRM core zero-fills what an older user space did not pass in.
 *
 * Buffer objects can be exported with PRIME; importing gives back the same
 * object for a dma-buf vttm exported, and fails with -EINVAL for any other.
 */

#define DRM_VTTM_GEM_CREATE		0x00
#define DRM_VTTM_GEM_MMAP_OFFSET	0x01
#define DRM_VTTM_GEM_SYNC		0x02
#define DRM_VTTM_DEVICE_READ		0x03
#define DRM_VTTM_GEM_INFO		0x04
#define DRM_VTTM_GEM_SET_METHOD		0x05
#define DRM_VTTM_GEM_MOVE		0x06
#define DRM_VTTM_GET_PARAM		0x07

#define DRM_IOCTL_VTTM_GEM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VTTM_GEM_CREATE, \
		 struct drm_vttm_gem_create)
#define DRM_IOCTL_VTTM_GEM_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VTTM_GEM_MMAP_OFFSET, \
		 struct drm_vttm_gem_mmap_offset)
#define DRM_IOCTL_VTTM_GEM_SYNC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VTTM_GEM_SYNC, \
		 struct drm_vttm_gem_sync)
#define DRM_IOCTL_VTTM_DEVICE_READ \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VTTM_DEVICE_READ, \
		struct drm_vttm_device_read)
#define DRM_IOCTL_VTTM_GEM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VTTM_GEM_INFO, \
		 struct drm_vttm_gem_info)
#define DRM_IOCTL_VTTM_GEM_SET_METHOD \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VTTM_GEM_SET_METHOD, \
		struct drm_vttm_gem_set_method)
#define DRM_IOCTL_VTTM_GEM_MOVE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VTTM_GEM_MOVE, \
		struct drm_vttm_gem_move)
#define DRM_IOCTL_VTTM_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VTTM_GET_PARAM, \
		 struct drm_vttm_get_param)

/**
 * DRM_VTTM_MAX_BO_SIZE - largest buffer object vttm creates, in bytes.
 *
 * The device copy is allocated at create time, so the limit bounds the
 * memory one call can pin.
 */
#define DRM_VTTM_MAX_BO_SIZE		(1ULL << 30)

/*
 * How a sync finds what the CPU wrote since the previous one.
 *
 * VTTM_METHOD_AUTO: the kernel picks MKWRITE or PAGETABLE from the BO's
 * size, observed writes and measured costs, and switches while the BO is
 * mapped. When nearly every page is written between syncs, several syncs
 * in a row, it reports the whole BO for a few syncs without looking,
 * written or not (&drm_vttm_gem_info.full_scans counts them).
 * VTTM_METHOD_MKWRITE: pages are mapped read-only and recorded at their
 * first write fault.
 * VTTM_METHOD_PAGETABLE: pages are mapped writable and a sync collects the
 * page-table dirty bits.
 * VTTM_METHOD_NONE: no tracking; every sync copies the whole BO.
 * VTTM_METHOD_AUTO_VMWGFX: as AUTO, but with the rules of vmwgfx in Linux
 * 6.1 (initial method by size, a 10% density threshold both ways, three
 * scans in a row to switch): a reference to measure AUTO against.
 */
#define VTTM_METHOD_AUTO		0
#define VTTM_METHOD_MKWRITE		1
#define VTTM_METHOD_PAGETABLE		2
#define VTTM_METHOD_NONE		3
#define VTTM_METHOD_AUTO_VMWGFX		4

/* Bits 0-3 of &drm_vttm_gem_create.flags: the VTTM_METHOD_* of the BO. */
#define VTTM_CREATE_METHOD_MASK		0xf
#define VTTM_CREATE_METHOD(m)		((m) & VTTM_CREATE_METHOD_MASK)

/**
 * struct drm_vttm_gem_create - create a buffer object
 *
 * Creates a buffer object in system placement together with its device
 * copy, which starts out zeroed like the buffer object itself.
 *
 * Each client, that is each open DRM file, may hold at most
 * %VTTM_PARAM_CLIENT_MEM_LIMIT bytes of buffer objects it created, dumb
 * buffers included. A create that would go past that fails with -ENOSPC
 * and creates nothing. -ENOSPC and not -ENOMEM: the system may well have
 * the memory, this client has used up its share, and only freeing some
 * of its own buffer objects helps. The arguments are checked first: a bad
 * size or flag gives -EINVAL even to a client at its limit.
 *
 * A buffer object stays charged to the client that created it for as
 * long as it exists: also after that client closed its handle, or its
 * file, while mappings, dma-bufs or the handles of other clients keep it
 * alive. Importing it with PRIME charges the importer nothing. Its size
 * is returned to the creator's account when its last reference goes.
 */
struct drm_vttm_gem_create {
	/**
	 * @size: In: size in bytes; rounded up to a whole number of pages.
	 * Must be non-zero and at most %DRM_VTTM_MAX_BO_SIZE, else -EINVAL.
	 * The rounded size is what the client is charged.
	 */
	__u64 size;
	/**
	 * @flags: In: VTTM_CREATE_METHOD(method), AUTO when zero. An unknown
	 * method or any other bit set gives -EINVAL.
	 */
	__u32 flags;
	/** @handle: Out: GEM handle of the new object. */
	__u32 handle;
};

/**
 * struct drm_vttm_gem_mmap_offset - get the fake offset to mmap a BO
 *
 * The offset is passed to mmap() on the DRM file descriptor. Mappings
 * must be MAP_SHARED: TTM refuses copy-on-write mappings, so a writable
 * MAP_PRIVATE mmap() fails with -EINVAL. The same holds for mmap() of a
 * dma-buf exported with PRIME.
 */
struct drm_vttm_gem_mmap_offset {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/** @pad: Must be zero, else -EINVAL. */
	__u32 pad;
	/** @offset: Out: offset to pass to mmap(). */
	__u64 offset;
};

/**
 * struct drm_vttm_gem_sync - bring the device copy up to date with a BO
 *
 * Copies what the CPU wrote to the buffer object since the previous sync
 * into the device copy.
 */
struct drm_vttm_gem_sync {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/** @flags: In: must be zero, else -EINVAL. */
	__u32 flags;
	/**
	 * @bitmap_ptr: In: optional user pointer. When non-zero, the kernel
	 * writes one bit per page of the BO (bit n % 8 of byte n / 8 for
	 * page n), set for each page this sync copied, so a caller can check
	 * the exact set of pages that reached the device. It writes
	 * DIV_ROUND_UP(pages, 8) bytes, unused high bits zero, and leaves
	 * the rest of the buffer alone. -EFAULT if it cannot be written.
	 */
	__u64 bitmap_ptr;
	/**
	 * @bitmap_size: In: size in bytes of the buffer at @bitmap_ptr.
	 * Must be at least one bit per page when @bitmap_ptr is set, else
	 * -EINVAL; must be zero when it is not.
	 */
	__u64 bitmap_size;
	/** @pages_copied: Out: number of pages this sync copied. */
	__u64 pages_copied;
};

/**
 * struct drm_vttm_device_read - read back the device copy of a BO
 *
 * Copies @size bytes at @offset of the device copy (what the device sees,
 * not what the CPU mapping holds) to user memory at @data_ptr. The range
 * must lie inside the BO, else -EINVAL; a bad @data_ptr gives -EFAULT.
 */
struct drm_vttm_device_read {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/** @pad: Must be zero, else -EINVAL. */
	__u32 pad;
	/** @offset: In: byte offset into the device copy. */
	__u64 offset;
	/** @size: In: number of bytes to read; zero reads nothing. */
	__u64 size;
	/** @data_ptr: In: user pointer to receive the bytes. */
	__u64 data_ptr;
};

/*
 * Where the pages of a BO, the ones user space maps, live.
 *
 * VTTM_PLACEMENT_SYSTEM: system memory, where every BO starts out.
 * VTTM_PLACEMENT_DEVICE: the device's own memory, a pool of fixed size
 * (%VTTM_PARAM_DEVICE_MEM_SIZE). Moving a BO in may evict others to
 * system memory. Either way the device copy is apart from these pages.
 */
#define VTTM_PLACEMENT_SYSTEM		0
#define VTTM_PLACEMENT_DEVICE		1

/**
 * struct drm_vttm_gem_info - size, placement and counters of a BO
 */
struct drm_vttm_gem_info {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/** @pad: Must be zero, else -EINVAL. */
	__u32 pad;
	/** @size: Out: size of the BO in bytes. */
	__u64 size;
	/** @placement: Out: the VTTM_PLACEMENT_* the BO is in now. */
	__u32 placement;
	/** @pad2: Out: always zero. */
	__u32 pad2;
	/** @syncs: Out: number of syncs of this BO so far. */
	__u64 syncs;
	/** @pages_copied: Out: pages copied to the device copy so far. */
	__u64 pages_copied;
	/**
	 * @method: Out: the VTTM_METHOD_* asked for at create or by
	 * %DRM_IOCTL_VTTM_GEM_SET_METHOD.
	 */
	__u32 method;
	/**
	 * @active_method: Out: the method in use: MKWRITE or PAGETABLE for
	 * a tracked BO (what AUTO chose), NONE for an untracked one.
	 */
	__u32 active_method;
	/** @scans: Out: dirty scans, one per sync of a tracked BO. */
	__u64 scans;
	/** @faults: Out: write faults that recorded a page. */
	__u64 faults;
	/** @switches: Out: changes of the method in use. */
	__u64 switches;
	/** @pages_reported: Out: pages the scans found written, summed. */
	__u64 pages_reported;
	/**
	 * @full_scans: Out: scans that reported every page without looking:
	 * AUTO does so for a while when nearly every page is written between
	 * syncs, where looking costs more than copying it all.
	 */
	__u64 full_scans;
	/**
	 * @scan_ns: Out: nanoseconds the syncs spent finding what was
	 * written (the scans, and any switch of method they made), summed.
	 * Zero for an untracked BO.
	 */
	__u64 scan_ns;
	/**
	 * @copy_ns: Out: nanoseconds the syncs spent copying pages to the
	 * device copy, summed.
	 */
	__u64 copy_ns;
};

/**
 * struct drm_vttm_gem_set_method - change how a BO's writes are tracked
 *
 * Works while the BO is mapped and written; no write is lost by a switch.
 * Only between MKWRITE, PAGETABLE, AUTO and AUTO_VMWGFX: a BO created with
 * VTTM_METHOD_NONE stays untracked and one created tracked cannot become
 * NONE (-EINVAL either way, and nothing changes).
 */
struct drm_vttm_gem_set_method {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/**
	 * @method: In: VTTM_METHOD_AUTO, _MKWRITE, _PAGETABLE or
	 * _AUTO_VMWGFX.
	 */
	__u32 method;
};

/**
 * struct drm_vttm_gem_move - move a BO to another placement
 *
 * Moves the pages of a BO while it may be mapped and written: mappings
 * fault the new pages in and no write made before, during or after the
 * move is lost to a later sync. Moving a BO to where it is does nothing.
 * The arguments are checked in order: @flags and @pad, @placement, then
 * @handle; a failed move leaves the BO where it was.
 */
struct drm_vttm_gem_move {
	/** @handle: In: GEM handle. -ENOENT if it does not exist. */
	__u32 handle;
	/**
	 * @placement: In: a VTTM_PLACEMENT_* value, else -EINVAL.
	 * VTTM_PLACEMENT_DEVICE gives -ENODEV on a device without device
	 * memory, and -ENOMEM, evicting nothing, for a BO larger than all of
	 * it. A BO another driver imported (it is pinned) cannot move:
	 * -EBUSY.
	 */
	__u32 placement;
	/** @flags: In: must be zero, else -EINVAL. */
	__u32 flags;
	/** @pad: Must be zero, else -EINVAL. */
	__u32 pad;
};

/*
 * VTTM_PARAM_DEVICE_MEM_SIZE: bytes of device memory, the room
 * VTTM_PLACEMENT_DEVICE has for all BOs together; zero if there is none.
 * VTTM_PARAM_CLIENT_MEM_LIMIT: bytes of BOs one client may hold (see
 * &struct drm_vttm_gem_create): the vttm.client_mem_mb module parameter,
 * by default a quarter of system RAM. It may change at run time; what a
 * client holds already stays, even above a lowered limit.
 * VTTM_PARAM_CLIENT_MEM_USED: bytes of BOs charged to the calling client
 * now: the sizes of the BOs it created that still exist.
 */
#define VTTM_PARAM_DEVICE_MEM_SIZE	0
#define VTTM_PARAM_CLIENT_MEM_LIMIT	1
#define VTTM_PARAM_CLIENT_MEM_USED	2

/**
 * struct drm_vttm_get_param - read a property of the device
 */
struct drm_vttm_get_param {
	/** @param: In: a VTTM_PARAM_* value, else -EINVAL. */
	__u32 param;
	/** @pad: Must be zero, else -EINVAL. */
	__u32 pad;
	/** @value: Out: the value of @param. */
	__u64 value;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_VTTM_DRM_H_ */
