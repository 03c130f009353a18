/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the vttm uAPI (include/uapi/drm/vttm_drm.h), in the manner
 * of IGT's lib/igt_vmwgfx.h: plain forms assert that the ioctl succeeds
 * and return its result; __ forms return 0 or -errno and leave checking
 * to the caller, for tests of bad input.
 */
#ifndef IGT_VTTM_H
#define IGT_VTTM_H

#include <stdbool.h>
#include <stdint.h>

#include "vttm_drm.h"

bool is_vttm_device(int fd);
void igt_require_vttm(int fd);

int drm_open_vttm(void);
int drm_open_vttm_render(void);

int __vttm_gem_create(int fd, struct drm_vttm_gem_create *arg);
uint32_t vttm_gem_create(int fd, uint64_t size);
uint32_t vttm_gem_create_method(int fd, uint64_t size, uint32_t method);

int __vttm_gem_mmap_offset(int fd, struct drm_vttm_gem_mmap_offset *arg);
uint64_t vttm_gem_mmap_offset(int fd, uint32_t handle);
void *__vttm_gem_mmap(int fd, uint32_t handle, uint64_t size, int prot);
void *vttm_gem_mmap(int fd, uint32_t handle, uint64_t size, int prot);
void *vttm_prime_mmap(int fd, uint32_t handle, uint64_t size, int prot,
		      int *dmabuf);

int __vttm_gem_sync(int fd, struct drm_vttm_gem_sync *arg);
uint64_t vttm_gem_sync(int fd, uint32_t handle);
uint64_t vttm_gem_sync_bitmap(int fd, uint32_t handle,
			      void *bitmap, uint64_t bitmap_size);

int __vttm_device_read(int fd, struct drm_vttm_device_read *arg);
void vttm_device_read(int fd, uint32_t handle, uint64_t offset,
		      void *data, uint64_t size);

int __vttm_gem_info(int fd, struct drm_vttm_gem_info *arg);
void vttm_gem_info(int fd, uint32_t handle, struct drm_vttm_gem_info *info);

int __vttm_gem_set_method(int fd, struct drm_vttm_gem_set_method *arg);
void vttm_gem_set_method(int fd, uint32_t handle, uint32_t method);

int __vttm_gem_move(int fd, struct drm_vttm_gem_move *arg);
void vttm_gem_move(int fd, uint32_t handle, uint32_t placement);
uint32_t vttm_gem_placement(int fd, uint32_t handle);

int __vttm_get_param(int fd, struct drm_vttm_get_param *arg);
uint64_t vttm_get_param(int fd, uint32_t param);
void vttm_require_device_mem(int fd, uint64_t size);

uint32_t vttm_pattern_word(uint32_t seed, uint64_t word);
void vttm_assert_bytes_eq(const void *got, const void *want, uint64_t size,
			  const char *what);
void vttm_assert_device_eq(int fd, uint32_t handle, const void *want,
			   uint64_t size);

/* Bytes of a sync bitmap for @npages pages: one bit each, rounded up. */
static inline uint64_t vttm_bitmap_bytes(uint64_t npages)
{
	return (npages + 7) / 8;
}

/* Page @n's bit, laid out as the uAPI defines: bit n % 8 of byte n / 8. */
static inline bool vttm_bitmap_test(const uint8_t *bitmap, uint64_t n)
{
	return bitmap[n / 8] & (1u << (n % 8));
}

#endif /* IGT_VTTM_H */
