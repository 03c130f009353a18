// SPDX-License-Identifier: MIT
/*
 * vttm_demo - show emulated coherence on a vttm device, with plain ioctls
 * on libdrm's DRM headers.
 *
 * Finds the vttm DRM node, creates a 1 MiB buffer object, writes a
 * pattern into it with ordinary CPU stores through a mapping, and shows
 * the device copy before the sync (still zero: it is a separate copy)
 * and after it (equal to what the CPU wrote), plus the driver's
 * counters. The last line says whether the device copy matched; the
 * exit status is 0 only if it did.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "vttm_drm.h"
#include "vttm_tool.h"

#define BO_SIZE		(1u << 20)

static long page_size;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("vttm demo: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");

	return 1;
}

/* The pattern: each 32-bit word holds its index mixed with a tag. */
static uint32_t pattern(uint32_t word)
{
	return 0xc0de0000u ^ (word * 0x9e3779b1u);
}

static int device_read(int fd, uint32_t handle, void *buf, uint64_t size)
{
	struct drm_vttm_device_read arg = {
		.handle = handle,
		.size = size,
		.data_ptr = (uintptr_t)buf,
	};

	return xioctl(fd, DRM_IOCTL_VTTM_DEVICE_READ, &arg) ? -errno : 0;
}

/* Number of whole pages of @got equal to the same pages of @want. */
static unsigned int pages_matching(const uint8_t *got, const uint8_t *want,
				   unsigned int npages)
{
	unsigned int n, same = 0;

	for (n = 0; n < npages; n++)
		same += !memcmp(got + n * page_size, want + n * page_size,
				page_size);

	return same;
}

static void show(const char *when, const uint8_t *dev, unsigned int same,
		 unsigned int npages)
{
	printf("vttm demo: %s: device copy begins %02x %02x %02x %02x %02x %02x %02x %02x",
	       when, dev[0], dev[1], dev[2], dev[3], dev[4], dev[5], dev[6],
	       dev[7]);
	printf(", %u/%u pages match the CPU's writes\n", same, npages);
}

/* Pages the second round writes: few, so only tracking keeps it cheap. */
#define SPARSE_PAGES	3

static const char *method_name(uint32_t method)
{
	switch (method) {
	case VTTM_METHOD_MKWRITE:
		return "MKWRITE";
	case VTTM_METHOD_PAGETABLE:
		return "PAGETABLE";
	default:
		return "NONE";
	}
}

int main(void)
{
	struct drm_vttm_gem_create create = { .size = BO_SIZE };
	struct drm_vttm_gem_mmap_offset mo = {};
	struct drm_vttm_gem_sync sync = {};
	struct drm_vttm_gem_info info = {};
	unsigned int npages, same, n;
	uint8_t *want, *dev, *bitmap;
	char path[300];
	uint32_t *map;
	int fd, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	npages = BO_SIZE / page_size;

	fd = open_vttm(path, sizeof(path));
	if (fd < 0)
		return fail("no vttm device under " DRI_DIR);
	printf("vttm demo: using %s\n", path);

	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_CREATE, &create))
		return fail("GEM_CREATE: %s", strerror(errno));
	printf("vttm demo: created a %u KiB BO (%u pages), handle %u\n",
	       BO_SIZE >> 10, npages, create.handle);

	mo.handle = create.handle;
	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_MMAP_OFFSET, &mo))
		return fail("GEM_MMAP_OFFSET: %s", strerror(errno));
	map = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   mo.offset);
	if (map == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));

	want = malloc(BO_SIZE);
	dev = malloc(BO_SIZE);
	bitmap = calloc(1, (npages + 7) / 8);
	if (!want || !dev || !bitmap)
		return fail("out of memory");

	/* Ordinary CPU stores: nothing tells the driver about them. */
	for (n = 0; n < BO_SIZE / 4; n++) {
		map[n] = pattern(n);
		((uint32_t *)want)[n] = pattern(n);
	}
	printf("vttm demo: wrote the pattern through the CPU mapping\n");

	err = device_read(fd, create.handle, dev, BO_SIZE);
	if (err)
		return fail("DEVICE_READ: %s", strerror(-err));
	same = pages_matching(dev, want, npages);
	show("before sync", dev, same, npages);
	for (n = 0; n < BO_SIZE; n++)
		if (dev[n])
			return fail("device copy changed before sync (byte %u is %#x)",
				    n, dev[n]);

	sync.handle = create.handle;
	sync.bitmap_ptr = (uintptr_t)bitmap;
	sync.bitmap_size = (npages + 7) / 8;
	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_SYNC, &sync))
		return fail("GEM_SYNC: %s", strerror(errno));
	for (n = 0, same = 0; n < npages; n++)
		same += !!(bitmap[n / 8] & (1u << (n % 8)));
	printf("vttm demo: sync copied %llu pages (%u flagged in its bitmap)\n",
	       (unsigned long long)sync.pages_copied, same);

	err = device_read(fd, create.handle, dev, BO_SIZE);
	if (err)
		return fail("DEVICE_READ: %s", strerror(-err));
	same = pages_matching(dev, want, npages);
	show("after sync", dev, same, npages);

	info.handle = create.handle;
	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_INFO, &info))
		return fail("GEM_INFO: %s", strerror(errno));
	printf("vttm demo: GEM_INFO: size %llu, placement %s, syncs %llu, pages copied %llu\n",
	       (unsigned long long)info.size,
	       info.placement == VTTM_PLACEMENT_SYSTEM ? "system" : "other",
	       (unsigned long long)info.syncs,
	       (unsigned long long)info.pages_copied);

	if (same != npages)
		return fail("device copy differs from the CPU's writes in %u of %u pages",
			    npages - same, npages);
	if (sync.pages_copied != npages)
		return fail("sync copied %llu pages, expected %u",
			    (unsigned long long)sync.pages_copied, npages);

	printf("vttm demo: device copy matches (%u pages)\n", npages);

	/* Second round: a few scattered stores; only their pages move. */
	for (n = 0; n < SPARSE_PAGES; n++) {
		unsigned int page = (n * 37 + 5) % npages;
		unsigned int word = page * (page_size / 4) + 7;

		map[word] = ~pattern(word);
		((uint32_t *)want)[word] = ~pattern(word);
	}
	memset(bitmap, 0, (npages + 7) / 8);
	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_SYNC, &sync))
		return fail("GEM_SYNC: %s", strerror(errno));
	err = device_read(fd, create.handle, dev, BO_SIZE);
	if (err)
		return fail("DEVICE_READ: %s", strerror(-err));
	same = pages_matching(dev, want, npages);
	if (xioctl(fd, DRM_IOCTL_VTTM_GEM_INFO, &info))
		return fail("GEM_INFO: %s", strerror(errno));
	printf("vttm demo: wrote %u scattered words; sync copied %llu pages\n",
	       SPARSE_PAGES, (unsigned long long)sync.pages_copied);
	printf("vttm demo: tracking: %s, %llu write faults, %llu scans\n",
	       method_name(info.active_method),
	       (unsigned long long)info.faults,
	       (unsigned long long)info.scans);
	if (same != npages)
		return fail("device copy differs in %u of %u pages after the sparse round",
			    npages - same, npages);
	if (sync.pages_copied != SPARSE_PAGES)
		return fail("sparse sync copied %llu pages, expected %u",
			    (unsigned long long)sync.pages_copied,
			    SPARSE_PAGES);
	printf("vttm demo: device copy matches again, after copying %u of %u pages\n",
	       SPARSE_PAGES, npages);

	return 0;
}
