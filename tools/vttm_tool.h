/* SPDX-License-Identifier: MIT */
/*
 * vttm_tool.h - what the libdrm-only tools (the demo and the benchmark)
 * need to reach a vttm device: plain ioctls, no IGT and no libdrm calls.
 */
#ifndef VTTM_TOOL_H
#define VTTM_TOOL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm.h>

#define DRI_DIR		"/dev/dri"

/*
 * ioctl() that retries on EINTR and EAGAIN, as drmIoctl() does: a signal
 * (the benchmark's SIGSEGV handler, a profiler) or a driver that asks for
 * a retry must not turn into a spurious failure of the tool.
 */
static inline int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));

	return ret;
}

/*
 * Whether vttm drives the DRM node behind @fd. The driver name is the
 * only thing that tells vttm from another DRM driver; name_len comes
 * back as the full length, so a longer name sharing the prefix does not
 * match.
 */
static inline bool is_vttm(int fd)
{
	char name[16] = "";
	struct drm_version v = {
		.name_len = sizeof(name) - 1,
		.name = name,
	};

	return !xioctl(fd, DRM_IOCTL_VERSION, &v) && v.name_len == 4 &&
	       !memcmp(name, "vttm", 4);
}

/*
 * Opens the first vttm node under /dev/dri, render nodes before card
 * nodes: the tools never modeset, and minor numbers depend on what else
 * the machine has, so the node is found by its driver, not by name.
 * @path (@len bytes) receives the node's path. Returns the fd or -1.
 */
static inline int open_vttm(char *path, size_t len)
{
	static const char *const prefixes[] = { "renderD", "card" };

	for (unsigned int p = 0; p < sizeof(prefixes) / sizeof(*prefixes);
	     p++) {
		struct dirent *e;
		DIR *dir = opendir(DRI_DIR);

		if (!dir)
			return -1;
		while ((e = readdir(dir))) {
			int fd;

			if (strncmp(e->d_name, prefixes[p],
				    strlen(prefixes[p])))
				continue;
			snprintf(path, len, DRI_DIR "/%s", e->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (is_vttm(fd)) {
				closedir(dir);
				return fd;
			}
			close(fd);
		}
		closedir(dir);
	}

	return -1;
}

#endif /* VTTM_TOOL_H */
