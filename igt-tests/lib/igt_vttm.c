// SPDX-License-Identifier: MIT
/*
 * Helpers for vttm tests: opening the device and thin wrappers around
 * its ioctls. See igt_vttm.h for the calling conventions.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

/**
 * is_vttm_device - whether @fd is a DRM device driven by vttm
 * @fd: open DRM file descriptor
 *
 * Compares the driver name reported by DRM_IOCTL_VERSION. Any other
 * name, or a descriptor that is not a DRM device, gives false.
 */
bool is_vttm_device(int fd)
{
	char name[16] = "";
	struct drm_version v = {
		.name_len = sizeof(name) - 1,
		.name = name,
	};

	if (igt_ioctl(fd, DRM_IOCTL_VERSION, &v))
		return false;

	/*
	 * name_len comes back as the full length even when the buffer was
	 * too short, so a longer name starting with "vttm" does not match.
	 */
	return v.name_len == strlen("vttm") && !memcmp(name, "vttm", 4);
}

/**
 * igt_require_vttm - skip unless @fd is a vttm device
 * @fd: open DRM file descriptor
 */
void igt_require_vttm(int fd)
{
	igt_require_f(is_vttm_device(fd),
		      "DRM device is not driven by vttm\n");
}

/*
 * IGT 1.27.1 has no DRIVER_VTTM bit. DRIVER_ANY on its own opens the
 * first DRM device in /dev/dri, which need not be vttm when other
 * drivers are present, so ask the library to match only devices named
 * "vttm" (the mechanism behind IGT_FORCE_DRIVER) and then check the
 * name ourselves, in case --device filters chose the node.
 */
static void force_vttm(void)
{
	__set_forced_driver("vttm");
}

/**
 * drm_open_vttm - open the vttm primary node, or skip
 *
 * Returns: a file descriptor for /dev/dri/cardN of the vttm device.
 */
int drm_open_vttm(void)
{
	int fd;

	force_vttm();
	fd = drm_open_driver(DRIVER_ANY);
	igt_require_vttm(fd);

	return fd;
}

/**
 * drm_open_vttm_render - open the vttm render node, or skip
 *
 * Like IGT's drm_open_driver_render() this falls back to the primary
 * node when no render node matches; use drmGetNodeTypeFromFd() to tell.
 */
int drm_open_vttm_render(void)
{
	int fd;

	force_vttm();
	fd = drm_open_driver_render(DRIVER_ANY);
	igt_require_vttm(fd);

	return fd;
}

/* Run an ioctl and turn failure into -errno, leaving errno clear. */
static int vttm_ioctl(int fd, unsigned long request, void *arg)
{
	int err = 0;

	if (igt_ioctl(fd, request, arg))
		err = -errno;
	errno = 0;

	return err;
}

int __vttm_gem_create(int fd, struct drm_vttm_gem_create *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_CREATE, arg);
}

/**
 * vttm_gem_create - create a buffer object
 * @fd: vttm DRM fd
 * @size: size in bytes, rounded up to pages by the kernel
 *
 * Returns: the new GEM handle (never 0).
 */
uint32_t vttm_gem_create(int fd, uint64_t size)
{
	struct drm_vttm_gem_create arg = { .size = size };

	igt_assert_eq(__vttm_gem_create(fd, &arg), 0);
	igt_assert_neq_u32(arg.handle, 0);

	return arg.handle;
}

/**
 * vttm_gem_create_method - create a buffer object tracked by @method
 * @fd: vttm DRM fd
 * @size: size in bytes, rounded up to pages by the kernel
 * @method: one of the VTTM_METHOD_* values
 *
 * Returns: the new GEM handle (never 0).
 */
uint32_t vttm_gem_create_method(int fd, uint64_t size, uint32_t method)
{
	struct drm_vttm_gem_create arg = {
		.size = size,
		.flags = VTTM_CREATE_METHOD(method),
	};

	igt_assert_eq(__vttm_gem_create(fd, &arg), 0);
	igt_assert_neq_u32(arg.handle, 0);

	return arg.handle;
}

int __vttm_gem_mmap_offset(int fd, struct drm_vttm_gem_mmap_offset *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_MMAP_OFFSET, arg);
}

uint64_t vttm_gem_mmap_offset(int fd, uint32_t handle)
{
	struct drm_vttm_gem_mmap_offset arg = { .handle = handle };

	igt_assert_eq(__vttm_gem_mmap_offset(fd, &arg), 0);

	return arg.offset;
}

/**
 * __vttm_gem_mmap - map a buffer object, MAP_SHARED
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @size: bytes to map
 * @prot: PROT_* flags
 *
 * Only shared mappings are coherent with the device, so that is the
 * only kind offered.
 *
 * Returns: the mapping, or NULL with errno set.
 */
void *__vttm_gem_mmap(int fd, uint32_t handle, uint64_t size, int prot)
{
	struct drm_vttm_gem_mmap_offset arg = { .handle = handle };
	void *ptr;
	int err;

	err = __vttm_gem_mmap_offset(fd, &arg);
	if (err) {
		errno = -err;
		return NULL;
	}

	ptr = mmap(NULL, size, prot, MAP_SHARED, fd, arg.offset);
	if (ptr == MAP_FAILED)
		return NULL;

	return ptr;
}

void *vttm_gem_mmap(int fd, uint32_t handle, uint64_t size, int prot)
{
	void *ptr = __vttm_gem_mmap(fd, handle, size, prot);

	igt_assert_f(ptr, "mmap of handle %u failed: %s\n",
		     handle, strerror(errno));

	return ptr;
}

/**
 * vttm_prime_mmap - export a BO as a dma-buf and map the dma-buf, MAP_SHARED
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @size: bytes to map, from the start of the BO
 * @prot: PROT_* flags
 * @dmabuf: set to the dma-buf fd; the caller closes it
 *
 * The export asks for DRM_RDWR, without which the dma-buf file is
 * read-only and a writable shared mapping of it is refused.
 *
 * Returns: the mapping; fails the test if the export or the mmap fails.
 */
void *vttm_prime_mmap(int fd, uint32_t handle, uint64_t size, int prot,
		      int *dmabuf)
{
	void *ptr;

	*dmabuf = prime_handle_to_fd_for_mmap(fd, handle);
	igt_assert_f(*dmabuf >= 0, "export of handle %u failed: %s\n",
		     handle, strerror(errno));

	ptr = mmap(NULL, size, prot, MAP_SHARED, *dmabuf, 0);
	igt_assert_f(ptr != MAP_FAILED,
		     "mmap of the dma-buf of handle %u failed: %s\n",
		     handle, strerror(errno));

	return ptr;
}

int __vttm_gem_sync(int fd, struct drm_vttm_gem_sync *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_SYNC, arg);
}

/**
 * vttm_gem_sync_bitmap - sync a BO, optionally collecting its bitmap
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @bitmap: buffer for one bit per page, or NULL
 * @bitmap_size: size of @bitmap in bytes (0 with a NULL @bitmap)
 *
 * Returns: the number of pages this sync copied.
 */
uint64_t vttm_gem_sync_bitmap(int fd, uint32_t handle,
			      void *bitmap, uint64_t bitmap_size)
{
	struct drm_vttm_gem_sync arg = {
		.handle = handle,
		.bitmap_ptr = to_user_pointer(bitmap),
		.bitmap_size = bitmap_size,
	};

	igt_assert_eq(__vttm_gem_sync(fd, &arg), 0);

	return arg.pages_copied;
}

uint64_t vttm_gem_sync(int fd, uint32_t handle)
{
	return vttm_gem_sync_bitmap(fd, handle, NULL, 0);
}

int __vttm_device_read(int fd, struct drm_vttm_device_read *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_DEVICE_READ, arg);
}

/**
 * vttm_device_read - copy part of a BO's device copy to @data
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @offset: byte offset into the BO
 * @data: destination
 * @size: bytes to read
 */
void vttm_device_read(int fd, uint32_t handle, uint64_t offset,
		      void *data, uint64_t size)
{
	struct drm_vttm_device_read arg = {
		.handle = handle,
		.offset = offset,
		.size = size,
		.data_ptr = to_user_pointer(data),
	};

	igt_assert_eq(__vttm_device_read(fd, &arg), 0);
}

int __vttm_gem_info(int fd, struct drm_vttm_gem_info *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_INFO, arg);
}

void vttm_gem_info(int fd, uint32_t handle, struct drm_vttm_gem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;

	igt_assert_eq(__vttm_gem_info(fd, info), 0);
}

int __vttm_gem_set_method(int fd, struct drm_vttm_gem_set_method *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_SET_METHOD, arg);
}

/**
 * vttm_gem_set_method - change how a BO's CPU writes are tracked
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @method: VTTM_METHOD_AUTO, _MKWRITE or _PAGETABLE
 */
void vttm_gem_set_method(int fd, uint32_t handle, uint32_t method)
{
	struct drm_vttm_gem_set_method arg = {
		.handle = handle,
		.method = method,
	};

	igt_assert_eq(__vttm_gem_set_method(fd, &arg), 0);
}

int __vttm_gem_move(int fd, struct drm_vttm_gem_move *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GEM_MOVE, arg);
}

/**
 * vttm_gem_move - move a BO's pages to another placement
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @placement: VTTM_PLACEMENT_SYSTEM or _DEVICE
 */
void vttm_gem_move(int fd, uint32_t handle, uint32_t placement)
{
	struct drm_vttm_gem_move arg = {
		.handle = handle,
		.placement = placement,
	};

	igt_assert_eq(__vttm_gem_move(fd, &arg), 0);
}

/**
 * vttm_gem_placement - where a BO's pages are now
 * @fd: vttm DRM fd
 * @handle: GEM handle
 *
 * Returns: the VTTM_PLACEMENT_* of the BO.
 */
uint32_t vttm_gem_placement(int fd, uint32_t handle)
{
	struct drm_vttm_gem_info info;

	vttm_gem_info(fd, handle, &info);

	return info.placement;
}

int __vttm_get_param(int fd, struct drm_vttm_get_param *arg)
{
	return vttm_ioctl(fd, DRM_IOCTL_VTTM_GET_PARAM, arg);
}

/**
 * vttm_get_param - read a device property
 * @fd: vttm DRM fd
 * @param: a VTTM_PARAM_* value
 *
 * Returns: the value of @param.
 */
uint64_t vttm_get_param(int fd, uint32_t param)
{
	struct drm_vttm_get_param arg = { .param = param };

	igt_assert_eq(__vttm_get_param(fd, &arg), 0);

	return arg.value;
}

/**
 * vttm_require_device_mem - skip unless the device has device memory
 * @fd: vttm DRM fd
 * @size: bytes the test needs there
 *
 * The amount is a module parameter (vttm.vram_mb), so a device may have
 * none or too little; the test harness boots with the default.
 */
void vttm_require_device_mem(int fd, uint64_t size)
{
	igt_require_f(vttm_get_param(fd, VTTM_PARAM_DEVICE_MEM_SIZE) >= size,
		      "needs %llu bytes of vttm device memory\n",
		      (unsigned long long)size);
}

/**
 * vttm_assert_bytes_eq:
 * @got: bytes read back
 * @want: bytes expected
 * @size: number of bytes
 * @what: what is compared, for the failure message
 *
 * Fails the subtest naming the first differing byte and its page.
 */
void vttm_assert_bytes_eq(const void *got, const void *want, uint64_t size,
			  const char *what)
{
	const uint8_t *g = got, *w = want;
	uint64_t i;

	if (!memcmp(g, w, size))
		return;

	for (i = 0; g[i] == w[i]; i++)
		;
	igt_assert_f(false,
		     "%s differs at byte %#llx (page %llu): got %#04x, want %#04x\n",
		     what, (unsigned long long)i,
		     (unsigned long long)(i / sysconf(_SC_PAGESIZE)), g[i], w[i]);
}

/**
 * vttm_assert_device_eq:
 * @fd: vttm DRM fd
 * @handle: GEM handle
 * @want: bytes expected
 * @size: size of the BO in bytes
 *
 * Reads back the whole device copy of @handle and fails the subtest unless
 * it equals @want. The buffer is pre-filled with a pattern no test writes.
 */
void vttm_assert_device_eq(int fd, uint32_t handle, const void *want,
			   uint64_t size)
{
	void *got = malloc(size);

	igt_assert(got);
	memset(got, 0xa5, size);
	vttm_device_read(fd, handle, 0, got, size);
	vttm_assert_bytes_eq(got, want, size, "device copy");
	free(got);
}

/**
 * vttm_pattern_word:
 * @seed: per-use seed
 * @word: index of the 32-bit word in the BO
 *
 * Content for a word of a BO: a mix of the index and the seed, so that a
 * page, a shifted range or an older pattern is never mistaken for the
 * right one. Never zero, so a written page differs from a fresh one.
 *
 * Returns: the word's value.
 */
uint32_t vttm_pattern_word(uint32_t seed, uint64_t word)
{
	uint32_t x = seed ^ (uint32_t)((word + 1) * 0x9e3779b1u);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;

	return x | 1;
}
