// SPDX-License-Identifier: MIT
/*
 * Isolation between vttm clients: what one open DRM file can reach of
 * another's buffer objects, what an unprivileged user may do with the
 * render node, and the cap on the BO memory each client may hold.
 *
 * A client is an open DRM file. Handles and the right to mmap a BO's
 * offset belong to the file; PRIME is the only way to hand a BO to
 * another one. Every subtest asserts errnos exactly.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Isolation between vttm clients: handles, mmap offsets, PRIME, " \
	"the render node for an unprivileged user, and the cap on each " \
	"client's BO memory."
IGT_TEST_DESCRIPTION(DESCRIPTION);

#define MIB			(1ull << 20)
#define NOBODY			65534
#define CLIENT_MEM_MB		"/sys/module/vttm/parameters/client_mem_mb"

static uint64_t page_size;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* A raw ioctl: 0, or -errno. */
static int ioctl_err(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? -errno : 0;
}

static int open_render(void)
{
	int fd = drm_open_vttm_render();
	struct stat st;

	/*
	 * The test kernel has render nodes (minors 128 and up): falling back
	 * to the primary node would be a failure.
	 */
	igt_assert_eq(fstat(fd, &st), 0);
	igt_assert_f(S_ISCHR(st.st_mode) && minor(st.st_rdev) >= 128,
		     "not a render node\n");
	return fd;
}

static void fd_path(int fd, char *path, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, len - 1);
	igt_assert_f(n > 0, "readlink %s: %s\n", link, strerror(errno));
	path[n] = '\0';
}

static void fill(void *p, uint64_t size, uint32_t seed)
{
	uint32_t *w = p;

	for (uint64_t i = 0; i < size / 4; i++)
		w[i] = vttm_pattern_word(seed, i);
}

static void assert_filled(const void *p, uint64_t size, uint32_t seed,
			  const char *what)
{
	void *want = malloc(size);

	igt_assert(want);
	fill(want, size, seed);
	vttm_assert_bytes_eq(p, want, size, what);
	free(want);
}

/* The device copy of @handle holds the pattern @seed. */
static void assert_device_filled(int fd, uint32_t handle, uint64_t size,
				 uint32_t seed)
{
	void *want = malloc(size);

	igt_assert(want);
	fill(want, size, seed);
	vttm_assert_device_eq(fd, handle, want, size);
	free(want);
}

static uint64_t mem_used(int fd)
{
	return vttm_get_param(fd, VTTM_PARAM_CLIENT_MEM_USED);
}

static uint64_t mem_limit(int fd)
{
	return vttm_get_param(fd, VTTM_PARAM_CLIENT_MEM_LIMIT);
}

static int create(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_vttm_gem_create arg = { .size = size };
	int err = __vttm_gem_create(fd, &arg);

	*handle = err ? 0 : arg.handle;
	return err;
}

/* ------------------------------------------------------------------ */
/* The client_mem_mb module parameter                                 */
/* ------------------------------------------------------------------ */

static long saved_client_mem_mb = -1;

static long read_client_mem_mb(void)
{
	FILE *f = fopen(CLIENT_MEM_MB, "r");
	long mb = -1;

	igt_assert_f(f, "%s: %s\n", CLIENT_MEM_MB, strerror(errno));
	igt_assert_eq(fscanf(f, "%ld", &mb), 1);
	fclose(f);
	return mb;
}

/* Also runs from a signal handler: no asserts, no stdio. */
static int write_client_mem_mb(long mb)
{
	char buf[32];
	int fd, len, ret = -1;

	len = snprintf(buf, sizeof(buf), "%ld", mb);
	fd = open(CLIENT_MEM_MB, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, buf, len) == len)
			ret = 0;
		close(fd);
	}
	return ret;
}

/* The first change saves the value to restore at exit. */
static void set_client_mem_mb(long mb)
{
	if (saved_client_mem_mb < 0)
		saved_client_mem_mb = read_client_mem_mb();
	igt_assert_f(write_client_mem_mb(mb) == 0, "cannot write %s: %s\n",
		     CLIENT_MEM_MB, strerror(errno));
	igt_assert_eq(read_client_mem_mb(), mb);
}

static void restore_client_mem_mb(int sig)
{
	(void)sig;
	if (saved_client_mem_mb >= 0)
		write_client_mem_mb(saved_client_mem_mb);
}

/* ------------------------------------------------------------------ */
/* Device node modes, as udev would set them                          */
/* ------------------------------------------------------------------ */

struct node_mode {
	char path[PATH_MAX];
	mode_t mode;
	bool saved;
};

static struct node_mode saved_modes[2];

static void restore_modes(int sig)
{
	(void)sig;
	for (unsigned int i = 0; i < ARRAY_SIZE(saved_modes); i++) {
		if (saved_modes[i].saved)
			chmod(saved_modes[i].path, saved_modes[i].mode);
		saved_modes[i].saved = false;
	}
}

static void set_mode(unsigned int slot, const char *path, mode_t mode)
{
	struct node_mode *m = &saved_modes[slot];
	struct stat st;

	igt_assert_eq(stat(path, &st), 0);
	if (!m->saved) {
		snprintf(m->path, sizeof(m->path), "%s", path);
		m->mode = st.st_mode & 07777;
		m->saved = true;
	}
	igt_assert_f(chmod(path, mode) == 0, "chmod %s: %s\n", path,
		     strerror(errno));
}

/*
 * udev's default rules: render nodes for everyone (0666), primary nodes
 * for root and the video group (0660). devtmpfs alone makes both 0600.
 */
static void udev_modes(const char *card, const char *render)
{
	set_mode(0, card, 0660);
	set_mode(1, render, 0666);
}

/* In a child: become nobody, with no supplementary groups. */
static void become_nobody(void)
{
	igt_assert_eq(setgroups(0, NULL), 0);
	igt_assert_eq(setgid(NOBODY), 0);
	igt_assert_eq(setuid(NOBODY), 0);
	igt_assert_eq(getuid(), NOBODY);
	igt_assert_eq(geteuid(), NOBODY);
}

/* ------------------------------------------------------------------ */
/* Handles and mmap offsets                                           */
/* ------------------------------------------------------------------ */

/*
 * A handle of one client names nothing in another, which has no BO of
 * its own: every ioctl that takes a handle says ENOENT (GEM_CLOSE,
 * from the DRM core, says EINVAL) and the BO lives on in its owner.
 */
static void test_foreign_handles(void)
{
	int a = open_render(), b = open_render();
	uint64_t size = 4 * page_size;
	uint32_t h = vttm_gem_create(a, size);
	uint8_t buf[16];
	struct drm_vttm_gem_mmap_offset mo = { .handle = h };
	struct drm_vttm_gem_sync sync = { .handle = h };
	struct drm_vttm_device_read rd = {
		.handle = h, .size = sizeof(buf), .data_ptr = to_user_pointer(buf),
	};
	struct drm_vttm_gem_info info = { .handle = h };
	struct drm_vttm_gem_set_method sm = {
		.handle = h, .method = VTTM_METHOD_MKWRITE,
	};
	struct drm_vttm_gem_move mv = {
		.handle = h, .placement = VTTM_PLACEMENT_DEVICE,
	};
	struct drm_prime_handle prime = { .handle = h, .flags = DRM_CLOEXEC };
	struct drm_gem_close cl = { .handle = h };
	void *map = vttm_gem_mmap(a, h, size, PROT_READ | PROT_WRITE);

	fill(map, size, 0xf0e1);

	igt_assert_eq(__vttm_gem_mmap_offset(b, &mo), -ENOENT);
	igt_assert_eq(__vttm_gem_sync(b, &sync), -ENOENT);
	igt_assert_eq(__vttm_device_read(b, &rd), -ENOENT);
	igt_assert_eq(__vttm_gem_info(b, &info), -ENOENT);
	igt_assert_eq(__vttm_gem_set_method(b, &sm), -ENOENT);
	igt_assert_eq(__vttm_gem_move(b, &mv), -ENOENT);
	igt_assert_eq(ioctl_err(b, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime),
		      -ENOENT);
	igt_assert_eq(ioctl_err(b, DRM_IOCTL_GEM_CLOSE, &cl), -EINVAL);

	/* Nothing B did reached A's BO: not synced, not moved, not closed. */
	vttm_gem_info(a, h, &info);
	igt_assert_eq_u64(info.syncs, 0);
	igt_assert_eq_u32(info.placement, VTTM_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(info.method, VTTM_METHOD_AUTO);
	vttm_gem_sync(a, h);
	assert_device_filled(a, h, size, 0xf0e1);

	munmap(map, size);
	gem_close(a, h);
	close(b);
	close(a);
}

/*
 * Two clients given the same handle number each reach their own BO
 * through it.
 */
static void test_same_handle_number(void)
{
	int fd[2] = { open_render(), open_render() };
	uint64_t size = 2 * page_size;
	uint32_t h[2];
	void *map[2];

	for (int i = 0; i < 2; i++) {
		h[i] = vttm_gem_create(fd[i], size);
		map[i] = vttm_gem_mmap(fd[i], h[i], size,
				       PROT_READ | PROT_WRITE);
	}
	igt_assert_eq_u32(h[0], h[1]);

	for (int i = 0; i < 2; i++) {
		fill(map[i], size, 0x5a00 + i);
		vttm_gem_sync(fd[i], h[i]);
	}
	for (int i = 0; i < 2; i++) {
		assert_device_filled(fd[i], h[i], size, 0x5a00 + i);
		assert_filled(map[i], size, 0x5a00 + i, "own mapping");
		munmap(map[i], size);
		gem_close(fd[i], h[i]);
		close(fd[i]);
	}
}

/*
 * The fake offset of a BO is the same number in every client, but only
 * files that hold a handle to the BO may map it: another client's mmap()
 * of it fails with EACCES, read-only or not.
 */
static void test_foreign_mmap_offset(void)
{
	int a = open_render(), b = open_render();
	uint64_t size = 4 * page_size;
	uint32_t h = vttm_gem_create(a, size);
	uint64_t offset = vttm_gem_mmap_offset(a, h);
	const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE };
	void *map = vttm_gem_mmap(a, h, size, PROT_READ | PROT_WRITE);

	fill(map, size, 0x0ff5);
	for (unsigned int i = 0; i < ARRAY_SIZE(prots); i++) {
		void *p = mmap(NULL, size, prots[i], MAP_SHARED, b, offset);

		igt_assert_f(p == MAP_FAILED,
			     "client B mapped client A's BO (prot %d)\n",
			     prots[i]);
		igt_assert_eq(errno, EACCES);
		/* Nor a single page of it. */
		p = mmap(NULL, page_size, prots[i], MAP_SHARED, b, offset);
		igt_assert(p == MAP_FAILED);
		igt_assert_eq(errno, EACCES);
	}
	assert_filled(map, size, 0x0ff5, "owner's mapping");

	munmap(map, size);
	gem_close(a, h);
	close(b);
	close(a);
}

/*
 * PRIME is the way: once B imported A's dma-buf it holds a handle, the
 * same offset maps, and both see the same bytes, in memory and on the
 * device.
 */
static void test_prime_shares_the_bo(void)
{
	int a = open_render(), b = open_render();
	uint64_t size = 4 * page_size;
	uint32_t ha = vttm_gem_create(a, size), hb;
	uint64_t offset = vttm_gem_mmap_offset(a, ha);
	void *map_a = vttm_gem_mmap(a, ha, size, PROT_READ | PROT_WRITE);
	void *map_b;
	int dmabuf;

	fill(map_a, size, 0xa000);
	dmabuf = prime_handle_to_fd(a, ha);
	hb = prime_fd_to_handle(b, dmabuf);
	close(dmabuf);

	igt_assert_eq_u64(vttm_gem_mmap_offset(b, hb), offset);
	map_b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b,
		     offset);
	igt_assert_f(map_b != MAP_FAILED, "mmap after import: %s\n",
		     strerror(errno));
	assert_filled(map_b, size, 0xa000, "importer's mapping");

	/* B writes and syncs; A sees it on the device and in memory. */
	fill(map_b, size, 0xb000);
	vttm_gem_sync(b, hb);
	assert_device_filled(a, ha, size, 0xb000);
	assert_filled(map_a, size, 0xb000, "exporter's mapping");

	munmap(map_b, size);
	munmap(map_a, size);
	gem_close(b, hb);
	gem_close(a, ha);
	close(b);
	close(a);
}

/* ------------------------------------------------------------------ */
/* Nodes and privileges                                               */
/* ------------------------------------------------------------------ */

/*
 * FLINK names are global and guessable, which is why render nodes do not
 * have them: as root too, both FLINK and GEM_OPEN of a name made on the
 * primary node fail with EACCES.
 */
static void test_render_node_has_no_flink(void)
{
	int card = drm_open_vttm(), render = open_render();
	uint32_t hc = vttm_gem_create(card, page_size);
	uint32_t hr = vttm_gem_create(render, page_size);
	struct drm_gem_flink flink = { .handle = hc };
	struct drm_gem_open open_arg = { 0 };

	/* On the primary node, flink works: the name is real. */
	do_ioctl(card, DRM_IOCTL_GEM_FLINK, &flink);
	igt_assert_neq_u32(flink.name, 0);

	open_arg.name = flink.name;
	igt_assert_eq(ioctl_err(render, DRM_IOCTL_GEM_OPEN, &open_arg),
		      -EACCES);
	igt_assert_eq_u32(open_arg.handle, 0);

	flink.handle = hr;
	flink.name = 0;
	igt_assert_eq(ioctl_err(render, DRM_IOCTL_GEM_FLINK, &flink),
		      -EACCES);
	igt_assert_eq_u32(flink.name, 0);

	gem_close(render, hr);
	gem_close(card, hc);
	close(render);
	close(card);
}

/*
 * With the node modes udev gives, nobody opens the render node and uses
 * it fully: create, mmap, write, sync, read back from the device.
 */
static void test_nobody_uses_the_render_node(void)
{
	int card = drm_open_vttm(), render = open_render();
	char card_path[PATH_MAX], render_path[PATH_MAX];

	fd_path(card, card_path, sizeof(card_path));
	fd_path(render, render_path, sizeof(render_path));
	close(render);
	close(card);
	udev_modes(card_path, render_path);

	igt_fork(child, 1) {
		uint64_t size = 8 * page_size;
		uint32_t h;
		void *map;
		int fd;

		become_nobody();
		fd = open(render_path, O_RDWR | O_CLOEXEC);
		igt_assert_f(fd >= 0, "nobody cannot open %s: %s\n",
			     render_path, strerror(errno));
		igt_assert(is_vttm_device(fd));

		h = vttm_gem_create(fd, size);
		map = vttm_gem_mmap(fd, h, size, PROT_READ | PROT_WRITE);
		fill(map, size, 0x0b0d);
		igt_assert_eq_u64(vttm_gem_sync(fd, h), size / page_size);
		assert_device_filled(fd, h, size, 0x0b0d);
		munmap(map, size);
		gem_close(fd, h);
		close(fd);
	}
	igt_waitchildren();
	restore_modes(0);
}

/* Nobody is not in the video group: the primary node is closed to it. */
static void test_nobody_cannot_open_the_primary_node(void)
{
	int card = drm_open_vttm(), render = open_render();
	char card_path[PATH_MAX], render_path[PATH_MAX];

	fd_path(card, card_path, sizeof(card_path));
	fd_path(render, render_path, sizeof(render_path));
	close(render);
	close(card);
	udev_modes(card_path, render_path);

	igt_fork(child, 1) {
		become_nobody();
		igt_assert_eq(open(card_path, O_RDWR | O_CLOEXEC), -1);
		igt_assert_eq(errno, EACCES);
		igt_assert_eq(open(card_path, O_RDONLY | O_CLOEXEC), -1);
		igt_assert_eq(errno, EACCES);
	}
	igt_waitchildren();
	restore_modes(0);
}

/*
 * On the render node, nobody gets EACCES from every ioctl meant for the
 * master or for authenticated primary clients, and becomes neither.
 */
static void test_nobody_cannot_use_master_ioctls(void)
{
	int card = drm_open_vttm(), render = open_render();
	char card_path[PATH_MAX], render_path[PATH_MAX];

	fd_path(card, card_path, sizeof(card_path));
	fd_path(render, render_path, sizeof(render_path));
	close(render);
	close(card);
	udev_modes(card_path, render_path);

	igt_fork(child, 1) {
		struct drm_auth auth = { 0 };
		struct drm_gem_flink flink = { 0 };
		struct drm_gem_open gopen = { .name = 1 };
		struct drm_mode_create_dumb dumb = {
			.width = 64, .height = 64, .bpp = 32,
		};
		struct drm_mode_map_dumb map_dumb = { 0 };
		struct drm_set_client_cap cap = {
			.capability = DRM_CLIENT_CAP_UNIVERSAL_PLANES,
			.value = 1,
		};
		struct drm_unique unique = { 0 };
		int fd;

		become_nobody();
		fd = open(render_path, O_RDWR | O_CLOEXEC);
		igt_assert_fd(fd);
		flink.handle = vttm_gem_create(fd, page_size);
		map_dumb.handle = flink.handle;

		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_SET_MASTER, NULL),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_DROP_MASTER, NULL),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_GET_MAGIC, &auth),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_AUTH_MAGIC, &auth),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_SET_UNIQUE, &unique),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_GEM_FLINK, &flink),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_GEM_OPEN, &gopen),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb),
			      -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_MODE_MAP_DUMB,
					&map_dumb), -EACCES);
		igt_assert_eq(ioctl_err(fd, DRM_IOCTL_SET_CLIENT_CAP, &cap),
			      -EACCES);
		igt_assert_eq_u32(flink.name, 0);
		igt_assert_eq_u32(dumb.handle, 0);

		gem_close(fd, flink.handle);
		close(fd);
	}
	igt_waitchildren();
	restore_modes(0);
}

/* ------------------------------------------------------------------ */
/* The per-client cap on BO memory                                    */
/* ------------------------------------------------------------------ */

static uint64_t mem_total(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	igt_assert(kb);
	return kb * 1024;
}

/*
 * GET_PARAM reports the limit the parameter sets, and a quarter of RAM
 * when it is 0, the default.
 */
static void test_limit_follows_the_parameter(void)
{
	int fd = open_render();

	set_client_mem_mb(0);
	igt_assert_eq_u64(mem_limit(fd), mem_total() / 4);
	set_client_mem_mb(5);
	igt_assert_eq_u64(mem_limit(fd), 5 * MIB);
	igt_assert_eq_u64(mem_used(fd), 0);
	close(fd);
}

/*
 * At its limit a client's create fails with ENOSPC and creates nothing:
 * no handle, no charge. Up to the limit, to the page, creates succeed.
 */
static void test_create_past_the_limit(void)
{
	int fd = open_render();
	uint32_t h[3], none;
	struct drm_vttm_gem_info info = { .handle = 3 };

	set_client_mem_mb(4);
	igt_assert_eq(create(fd, 3 * MIB, &h[0]), 0);
	igt_assert_eq(create(fd, 2 * MIB, &none), -ENOSPC);
	igt_assert_eq_u64(mem_used(fd), 3 * MIB);
	/* Rounded up to a page, one byte over is a page over. */
	igt_assert_eq(create(fd, MIB + 1, &none), -ENOSPC);
	igt_assert_eq(create(fd, MIB - page_size, &h[1]), 0);
	igt_assert_eq(create(fd, page_size, &h[2]), 0);
	igt_assert_eq_u64(mem_used(fd), 4 * MIB);
	igt_assert_eq(create(fd, 1, &none), -ENOSPC);
	igt_assert_eq_u64(mem_used(fd), 4 * MIB);

	/* The failed creates left no handle behind: 4 names nothing. */
	igt_assert_eq_u32(h[2], 3);
	info.handle = 4;
	igt_assert_eq(__vttm_gem_info(fd, &info), -ENOENT);

	for (int i = 0; i < 3; i++)
		gem_close(fd, h[i]);
	igt_assert_eq_u64(mem_used(fd), 0);
	close(fd);
}

/* Closing a BO gives its size back, and the room can be used again. */
static void test_free_returns_the_charge(void)
{
	int fd = open_render();
	uint32_t h[4], none;

	set_client_mem_mb(4);
	for (int i = 0; i < 4; i++)
		igt_assert_eq(create(fd, MIB, &h[i]), 0);
	igt_assert_eq(create(fd, page_size, &none), -ENOSPC);

	for (int round = 0; round < 8; round++) {
		gem_close(fd, h[round % 4]);
		igt_assert_eq_u64(mem_used(fd), 3 * MIB);
		igt_assert_eq(create(fd, MIB, &h[round % 4]), 0);
		igt_assert_eq_u64(mem_used(fd), 4 * MIB);
		igt_assert_eq(create(fd, page_size, &none), -ENOSPC);
	}
	for (int i = 0; i < 4; i++)
		gem_close(fd, h[i]);
	igt_assert_eq_u64(mem_used(fd), 0);
	close(fd);
}

/* One client at its limit takes nothing from another. */
static void test_limit_is_per_client(void)
{
	int a = open_render(), b = open_render();
	uint32_t ha, hb, none;

	set_client_mem_mb(2);
	igt_assert_eq(create(a, 2 * MIB, &ha), 0);
	igt_assert_eq(create(a, page_size, &none), -ENOSPC);
	igt_assert_eq_u64(mem_used(b), 0);
	igt_assert_eq(create(b, 2 * MIB, &hb), 0);
	igt_assert_eq_u64(mem_used(a), 2 * MIB);
	igt_assert_eq_u64(mem_used(b), 2 * MIB);
	gem_close(b, hb);
	gem_close(a, ha);
	close(b);
	close(a);
}

/* Dumb buffers are BOs like the others and count alike. */
static void test_dumb_buffers_count(void)
{
	int fd = drm_open_vttm();
	struct drm_mode_create_dumb dumb = {
		.width = 512, .height = 512, .bpp = 32,	/* 1 MiB */
	};
	struct drm_mode_destroy_dumb destroy = { 0 };
	uint32_t h;

	set_client_mem_mb(2);
	igt_assert_eq(create(fd, MIB, &h), 0);
	do_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	igt_assert_eq_u64(dumb.size, MIB);
	igt_assert_eq_u64(mem_used(fd), 2 * MIB);

	destroy.handle = dumb.handle;
	dumb.handle = 0;
	igt_assert_eq(ioctl_err(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb),
		      -ENOSPC);
	igt_assert_eq_u32(dumb.handle, 0);

	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	igt_assert_eq_u64(mem_used(fd), MIB);
	gem_close(fd, h);
	igt_assert_eq_u64(mem_used(fd), 0);
	close(fd);
}

/* Bad arguments are EINVAL, at the limit as below it: checked first. */
static void test_bad_arguments_before_the_limit(void)
{
	int fd = open_render();
	struct drm_vttm_gem_create bad[] = {
		{ .size = 0 },
		{ .size = DRM_VTTM_MAX_BO_SIZE + 1 },
		{ .size = ~0ull },
		{ .size = page_size, .flags = 1u << 31 },
		{ .size = page_size,
		  .flags = VTTM_CREATE_METHOD(VTTM_METHOD_AUTO_VMWGFX + 1) },
	};
	uint32_t h;

	set_client_mem_mb(1);
	igt_assert_eq(create(fd, MIB, &h), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		igt_assert_eq(__vttm_gem_create(fd, &bad[i]), -EINVAL);
	igt_assert_eq_u64(mem_used(fd), MIB);
	gem_close(fd, h);
	close(fd);
}

/*
 * A mapping keeps a BO alive after its handle is closed, and so its
 * charge: the memory is still there. The munmap gives it back.
 */
static void test_mapping_keeps_the_charge(void)
{
	int fd = open_render();
	uint32_t h, none;
	void *map;

	set_client_mem_mb(1);
	igt_assert_eq(create(fd, MIB, &h), 0);
	map = vttm_gem_mmap(fd, h, MIB, PROT_READ | PROT_WRITE);
	fill(map, MIB, 0x3a9);
	gem_close(fd, h);

	igt_assert_eq_u64(mem_used(fd), MIB);
	igt_assert_eq(create(fd, page_size, &none), -ENOSPC);
	assert_filled(map, MIB, 0x3a9, "mapping of a closed handle");

	munmap(map, MIB);
	igt_assert_eq_u64(mem_used(fd), 0);
	igt_assert_eq(create(fd, MIB, &h), 0);
	gem_close(fd, h);
	close(fd);
}

/*
 * An import charges the importer nothing; the creator stays charged
 * while the importer alone holds the BO, until it lets go.
 */
static void test_import_charges_the_creator(void)
{
	int a = open_render(), b = open_render();
	uint32_t ha, hb;
	int dmabuf;

	set_client_mem_mb(2);
	igt_assert_eq(create(a, MIB, &ha), 0);
	dmabuf = prime_handle_to_fd(a, ha);
	hb = prime_fd_to_handle(b, dmabuf);
	igt_assert_eq_u64(mem_used(b), 0);
	igt_assert_eq_u64(mem_used(a), MIB);

	close(dmabuf);
	gem_close(a, ha);
	igt_assert_eq_u64(mem_used(a), MIB);
	igt_assert_eq_u64(mem_used(b), 0);

	gem_close(b, hb);
	igt_assert_eq_u64(mem_used(a), 0);
	close(b);
	close(a);
}

/*
 * The creator may close its file while another client holds the BO:
 * the BO stays whole and usable, and freeing it later, when its charge
 * goes back to an account nobody can see any more, is clean (KASAN and
 * kmemleak watch this in make check-debug).
 */
static void test_bo_outlives_its_creator(void)
{
	int a = open_render(), b = open_render();
	uint64_t size = 4 * page_size;
	uint32_t ha, hb;
	void *map;
	int dmabuf;

	ha = vttm_gem_create(a, size);
	map = vttm_gem_mmap(a, ha, size, PROT_READ | PROT_WRITE);
	fill(map, size, 0xdead);
	munmap(map, size);
	vttm_gem_sync(a, ha);
	dmabuf = prime_handle_to_fd(a, ha);
	hb = prime_fd_to_handle(b, dmabuf);
	close(dmabuf);
	close(a);

	igt_assert_eq_u64(mem_used(b), 0);
	assert_device_filled(b, hb, size, 0xdead);
	map = vttm_gem_mmap(b, hb, size, PROT_READ | PROT_WRITE);
	assert_filled(map, size, 0xdead, "BO of a closed client");
	fill(map, size, 0xbeef);
	vttm_gem_sync(b, hb);
	assert_device_filled(b, hb, size, 0xbeef);
	gem_close(b, hb);
	/* The mapping is the last reference now. */
	assert_filled(map, size, 0xbeef, "last mapping");
	munmap(map, size);
	close(b);
}

/*
 * Lowering the limit takes nothing away: the BOs stay, only new ones
 * wait until the client is below the new limit.
 */
static void test_lowered_limit_keeps_what_is_held(void)
{
	int fd = open_render();
	uint32_t h[3], none;

	set_client_mem_mb(3);
	for (int i = 0; i < 3; i++)
		igt_assert_eq(create(fd, MIB, &h[i]), 0);
	set_client_mem_mb(1);
	igt_assert_eq_u64(mem_used(fd), 3 * MIB);
	igt_assert_eq(create(fd, page_size, &none), -ENOSPC);

	gem_close(fd, h[0]);
	igt_assert_eq(create(fd, page_size, &none), -ENOSPC);
	gem_close(fd, h[1]);
	igt_assert_eq(create(fd, page_size, &none), -ENOSPC);
	gem_close(fd, h[2]);
	igt_assert_eq_u64(mem_used(fd), 0);
	igt_assert_eq(create(fd, MIB, &h[0]), 0);
	gem_close(fd, h[0]);
	close(fd);
}

igt_main
{
	igt_fixture {
		int fd = open_render();

		page_size = sysconf(_SC_PAGESIZE);
		close(fd);
		igt_install_exit_handler(restore_client_mem_mb);
		igt_install_exit_handler(restore_modes);
	}

	igt_subtest_group {
		igt_describe("A client's handles name nothing in another: ENOENT everywhere.");
		igt_subtest("handles-of-one-client-are-unknown-to-another")
			test_foreign_handles();

		igt_describe("The same handle number reaches each client's own BO.");
		igt_subtest("same-handle-number-reaches-each-clients-own-bo")
			test_same_handle_number();

		igt_describe("Another client's mmap of a BO's offset fails with EACCES.");
		igt_subtest("mmap-offset-of-another-client-is-refused")
			test_foreign_mmap_offset();

		igt_describe("After a PRIME import the offset maps; both see the same bytes.");
		igt_subtest("prime-import-shares-the-bo-and-its-data")
			test_prime_shares_the_bo();
	}

	igt_subtest_group {
		igt_describe("FLINK and GEM_OPEN are refused on render nodes, as root too.");
		igt_subtest("render-node-refuses-flink-and-gem-open")
			test_render_node_has_no_flink();

		igt_describe("Nobody can create, map, write, sync and read back: render node.");
		igt_subtest("nobody-can-use-the-render-node")
			test_nobody_uses_the_render_node();

		igt_describe("Nobody cannot open the primary node: EACCES.");
		igt_subtest("nobody-cannot-open-the-primary-node")
			test_nobody_cannot_open_the_primary_node();

		igt_describe("Master and auth-only ioctls give nobody EACCES on the render node.");
		igt_subtest("nobody-cannot-use-master-or-auth-ioctls")
			test_nobody_cannot_use_master_ioctls();
	}

	igt_subtest_group {
		igt_describe("GET_PARAM gives client_mem_mb's limit, a quarter of RAM for 0.");
		igt_subtest("client-mem-limit-follows-the-parameter")
			test_limit_follows_the_parameter();

		igt_describe("Past its limit a create fails with ENOSPC and creates nothing.");
		igt_subtest("create-past-the-limit-fails-with-enospc")
			test_create_past_the_limit();

		igt_describe("Closing a BO returns its charge; the room can be used again.");
		igt_subtest("freeing-a-bo-returns-its-charge")
			test_free_returns_the_charge();

		igt_describe("One client at its limit leaves another's room alone.");
		igt_subtest("the-limit-is-per-client")
			test_limit_is_per_client();

		igt_describe("Dumb buffers count against the limit too.");
		igt_subtest("dumb-buffers-count-against-the-limit")
			test_dumb_buffers_count();

		igt_describe("Bad create arguments give EINVAL, not ENOSPC, at the limit.");
		igt_subtest("bad-arguments-are-einval-even-at-the-limit")
			test_bad_arguments_before_the_limit();

		igt_describe("A mapping keeps a closed BO and its charge until munmap.");
		igt_subtest("a-mapped-bo-stays-charged-after-close")
			test_mapping_keeps_the_charge();

		igt_describe("A PRIME import charges the creator only, until the last user goes.");
		igt_subtest("a-prime-import-charges-the-creator-only")
			test_import_charges_the_creator();

		igt_describe("A BO stays whole and usable after its creator closed its file.");
		igt_subtest("a-bo-outlives-its-creators-file")
			test_bo_outlives_its_creator();

		igt_describe("A lowered limit takes nothing away; new BOs wait until below it.");
		igt_subtest("a-lowered-limit-keeps-what-is-held")
			test_lowered_limit_keeps_what_is_held();

		igt_fixture
			restore_client_mem_mb(0);
	}
}
