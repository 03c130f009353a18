// SPDX-License-Identifier: MIT
/*
 * Concurrency stress for vttm's write tracking: several processes share
 * buffer objects by PRIME and write them from several threads each, while
 * other threads sync, switch tracking methods and move the BOs between
 * system and device memory, and the parent swaps them out. No write may be
 * lost: mid-run, every write finished before a sync started must be on the
 * device after it; at the end, the device copy of every BO equals what was
 * written, byte for byte.
 *
 * Bounded by time (VTTM_STRESS_SECONDS, see stress_seconds()) and by
 * iteration caps. The checks do not depend on timing; only how much gets
 * done does.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "igt_vttm.h"

#define DESCRIPTION \
	"Stress: processes sharing BOs by PRIME write them from several " \
	"threads while others sync, switch methods, move and swap the BOs " \
	"out; every write reaches the device."
IGT_TEST_DESCRIPTION(DESCRIPTION);

/* How long the stress runs, in seconds, unless VTTM_STRESS_SECONDS says. */
#define DEFAULT_SECONDS		5
#define MAX_SECONDS		600

#define PROCS			4
#define WRITERS_PER_PROC	2
#define WRITERS			(PROCS * WRITERS_PER_PROC)

/* Iteration caps, so that a fast machine stops too. */
#define MAX_WRITES		(1u << 24)	/* per writer; seq fits 48 bits */
#define MAX_CHECKS		(1u << 20)	/* per process */
#define MAX_CHAOS		(1u << 20)	/* per process */
#define CHAOS_PAUSE_US		5000

/* Bounds the wait for the other side of a pipe: a passing run never nears it. */
#define WAIT_MS			(120 * 1000)

/*
 * A record a writer stores: its id + 1 in the top 16 bits, its sequence
 * number below. Never zero, and a slot only ever holds records of the
 * writer that owns it, in increasing order.
 */
#define SEQ_BITS		48
#define SEQ_MASK		((1ull << SEQ_BITS) - 1)

static uint64_t page_size;
static uint64_t words_per_page;	/* 8-byte slots in a page */
static uint64_t slots_per_writer;	/* of them, per writer, in each page */

static const struct stress_bo {
	const char *name;
	uint64_t npages;
	uint32_t method;
} stress_bos[] = {
	{ "auto", 16, VTTM_METHOD_AUTO },
	{ "mkwrite", 64, VTTM_METHOD_MKWRITE },
	{ "pagetable", 128, VTTM_METHOD_PAGETABLE },
	{ "auto-vmwgfx", 96, VTTM_METHOD_AUTO_VMWGFX },
	{ "auto-large", 1024, VTTM_METHOD_AUTO },	/* starts MKWRITE */
	{ "none", 8, VTTM_METHOD_NONE },
};

#define NBOS	ARRAY_SIZE(stress_bos)

static const uint32_t switch_methods[] = {
	VTTM_METHOD_AUTO, VTTM_METHOD_MKWRITE, VTTM_METHOD_PAGETABLE,
	VTTM_METHOD_AUTO_VMWGFX,
};

/* What each process did, for the parent to add up. */
struct proc_stats {
	uint64_t writes;
	uint64_t checks;		/* syncs whose result was checked */
	uint64_t slots_checked;	/* writes found on the device by them */
	uint64_t syncs;
	uint64_t switches;
	uint64_t moves;
	uint64_t moves_refused;	/* -ENOSPC/-ENOMEM: device memory full */
};

/*
 * Memory shared by the parent and every child (MAP_SHARED | MAP_ANONYMOUS,
 * set up before the fork).
 */
struct shared {
	int stop;
	/* Per writer: the last sequence number it is about to store. */
	uint64_t intent[WRITERS];
	struct proc_stats stats[PROCS];
};

/* Everything about the BOs that the fork hands down. */
struct stress {
	struct shared *sh;
	uint64_t first_page[NBOS];	/* of each BO in @done */
	uint64_t total_pages;
	/*
	 * Per writer and page of every BO: (seq << 16 | slot) of the
	 * writer's last finished store to that page, 0 if none. Shared.
	 */
	uint64_t *done;
	/* The expected contents of every BO, in the BOs' layout. Shared. */
	uint64_t *shadow[NBOS];
	int dmabuf[NBOS];
	uint32_t handle[NBOS];		/* in the parent's file */
};

/* Small seeded PRNG (xorshift64*), so that a failure can be replayed. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;

	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/*
 * VTTM_STRESS_SECONDS: how long writers run. make check passes a few
 * seconds, make check-debug more; anything unparsable gets the default,
 * anything above MAX_SECONDS is capped.
 */
static unsigned int stress_seconds(void)
{
	const char *env = getenv("VTTM_STRESS_SECONDS");
	unsigned long s;
	char *end;

	if (!env || !*env)
		return DEFAULT_SECONDS;
	s = strtoul(env, &end, 10);
	if (*end || !s) {
		igt_warn("VTTM_STRESS_SECONDS=%s: not a positive number, using %u\n",
			 env, DEFAULT_SECONDS);
		return DEFAULT_SECONDS;
	}

	return s > MAX_SECONDS ? MAX_SECONDS : s;
}

static void *shared_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	igt_assert(p != MAP_FAILED);

	return p;
}

static uint64_t bo_size(unsigned int b)
{
	return stress_bos[b].npages * page_size;
}

static bool stopped(const struct shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

static void stop_all(struct shared *sh)
{
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* Threads of a child process                                         */
/* ------------------------------------------------------------------ */

/* The state of one child, shared by its threads. */
struct child {
	const struct stress *st;
	unsigned int proc;
	int fd;
	uint32_t handle[NBOS];		/* imported into the child's file */
	uint64_t *gem_map[NBOS];	/* through the child's GEM handle */
	uint64_t *dmabuf_map[NBOS];	/* through the dma-buf */
	pthread_mutex_t lock;
	char error[512];		/* the first failure, if any */
};

/* Record the first failure of any thread and stop everyone. */
__attribute__((format(printf, 2, 3)))
static void child_fail(struct child *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	if (!c->error[0]) {
		va_start(ap, fmt);
		vsnprintf(c->error, sizeof(c->error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&c->lock);
	stop_all(c->st->sh);
}

struct writer {
	pthread_t thread;
	struct child *c;
	unsigned int id;		/* among all writers */
	uint64_t writes;
};

/*
 * Store records into random pages of random BOs: each writer owns
 * slots_per_writer slots of every page and fills them in turn, so a slot
 * is only overwritten, by a later record of the same writer, after that
 * many writes to its page. The record goes to the BO, then to the shadow,
 * then "done" is published: a checker that sees it knows the store was
 * made before it looked.
 */
static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	struct child *c = w->c;
	const struct stress *st = c->st;
	struct shared *sh = st->sh;
	uint64_t state = 0x57e55000ull + w->id * 0x9e3779b97f4a7c15ull;
	uint64_t *done = st->done + w->id * st->total_pages;
	uint64_t *map[NBOS];
	uint32_t *fill;
	uint64_t seq;

	/* Even writers store through the GEM mapping, odd ones the dma-buf. */
	for (unsigned int b = 0; b < NBOS; b++)
		map[b] = w->id % 2 ? c->dmabuf_map[b] : c->gem_map[b];

	fill = calloc(st->total_pages, sizeof(*fill));
	if (!fill) {
		child_fail(c, "writer %u: out of memory\n", w->id);
		return NULL;
	}

	for (seq = 1; seq <= MAX_WRITES; seq++) {
		uint64_t r = prng_next(&state);
		unsigned int b = r % NBOS;
		uint64_t page = (r >> 8) % stress_bos[b].npages;
		uint64_t n = fill[st->first_page[b] + page]++;
		uint64_t col = w->id * slots_per_writer + n % slots_per_writer;
		uint64_t slot = page * words_per_page + col;
		uint64_t rec = (uint64_t)(w->id + 1) << SEQ_BITS | seq;

		if (seq % 64 == 0) {
			if (stopped(sh))
				break;
			if (seq % 256 == 0)
				sched_yield();
		}

		__atomic_store_n(&sh->intent[w->id], seq, __ATOMIC_RELEASE);
		__atomic_store_n(&map[b][slot], rec, __ATOMIC_RELAXED);
		st->shadow[b][slot] = rec;
		__atomic_store_n(&done[st->first_page[b] + page],
				 seq << 16 | col, __ATOMIC_RELEASE);
	}
	w->writes = seq - 1;
	free(fill);

	return NULL;
}

struct checker {
	pthread_t thread;
	struct child *c;
	uint64_t checks;
	uint64_t slots_checked;
	uint64_t syncs;
};

/*
 * Check the device copy of BO @b, read after a sync that started once
 * @snap (each writer's "done" records of the BO) was taken and before
 * @intent (each writer's last sequence number about to be stored):
 * every record in @snap is on the device, or a later one of the same
 * writer in its slot, and every slot holds zero or a record its owner
 * stored. Returns the number of records of @snap found, or -1.
 */
static int64_t check_device(struct child *c, unsigned int b,
			    const uint64_t *dev, const uint64_t *snap,
			    const uint64_t *intent)
{
	uint64_t npages = stress_bos[b].npages;
	int64_t found = 0;

	for (unsigned int w = 0; w < WRITERS; w++) {
		for (uint64_t p = 0; p < npages; p++) {
			uint64_t d = snap[w * npages + p];
			uint64_t got;

			if (!d)
				continue;
			got = dev[p * words_per_page + (d & 0xffff)];
			if (got >> SEQ_BITS != w + 1 ||
			    (got & SEQ_MASK) < d >> 16) {
				child_fail(c,
					   "%s page %llu slot %llu: device has %#llx, but writer %u stored seq %llu there before the sync\n",
					   stress_bos[b].name,
					   (unsigned long long)p,
					   (unsigned long long)(d & 0xffff),
					   (unsigned long long)got, w,
					   (unsigned long long)(d >> 16));
				return -1;
			}
			found++;
		}
	}

	for (uint64_t i = 0; i < npages * words_per_page; i++) {
		uint64_t got = dev[i];
		uint64_t owner = i % words_per_page / slots_per_writer;

		if (!got)
			continue;
		if (owner >= WRITERS || got >> SEQ_BITS != owner + 1 ||
		    (got & SEQ_MASK) > intent[owner]) {
			child_fail(c,
				   "%s word %llu: device has %#llx, which its owner never stored\n",
				   stress_bos[b].name, (unsigned long long)i,
				   (unsigned long long)got);
			return -1;
		}
	}

	return found;
}

/*
 * Sync a random BO over and over, and check after each sync that every
 * write finished before it started is on the device.
 */
static void *checker_fn(void *arg)
{
	struct checker *k = arg;
	struct child *c = k->c;
	const struct stress *st = c->st;
	struct shared *sh = st->sh;
	uint64_t state = 0xc4ec0000ull + c->proc * 0x9e3779b97f4a7c15ull;
	uint64_t max_pages = 0, *snap, *dev;
	uint64_t intent[WRITERS];
	uint8_t *bitmap;

	for (unsigned int b = 0; b < NBOS; b++)
		if (stress_bos[b].npages > max_pages)
			max_pages = stress_bos[b].npages;
	snap = malloc(WRITERS * max_pages * sizeof(*snap));
	dev = malloc(max_pages * page_size);
	bitmap = malloc(vttm_bitmap_bytes(max_pages));
	if (!snap || !dev || !bitmap) {
		child_fail(c, "checker: out of memory\n");
		goto out;
	}

	while (!stopped(sh) && k->checks < MAX_CHECKS) {
		uint64_t r = prng_next(&state);
		unsigned int b = r % NBOS;
		uint64_t npages = stress_bos[b].npages;
		struct drm_vttm_gem_sync sync = { .handle = c->handle[b] };
		struct drm_vttm_device_read rd = {
			.handle = c->handle[b],
			.size = npages * page_size,
			.data_ptr = to_user_pointer(dev),
		};
		int64_t found;
		int err;

		for (unsigned int w = 0; w < WRITERS; w++)
			for (uint64_t p = 0; p < npages; p++)
				snap[w * npages + p] =
					__atomic_load_n(&st->done[w * st->total_pages +
								 st->first_page[b] + p],
							__ATOMIC_ACQUIRE);

		/* Every other sync asks for its bitmap as well. */
		if (r & 0x100) {
			sync.bitmap_ptr = to_user_pointer(bitmap);
			sync.bitmap_size = vttm_bitmap_bytes(npages);
		}
		err = __vttm_gem_sync(c->fd, &sync);
		if (err) {
			child_fail(c, "sync of %s: %s\n", stress_bos[b].name,
				   strerror(-err));
			break;
		}
		k->syncs++;

		err = __vttm_device_read(c->fd, &rd);
		if (err) {
			child_fail(c, "device read of %s: %s\n",
				   stress_bos[b].name, strerror(-err));
			break;
		}
		/*
		 * A record on the device was stored after its intent was
		 * published, and x86 keeps stores in order: the loads here
		 * see at least that intent.
		 */
		for (unsigned int w = 0; w < WRITERS; w++)
			intent[w] = __atomic_load_n(&sh->intent[w],
						    __ATOMIC_ACQUIRE);

		found = check_device(c, b, dev, snap, intent);
		if (found < 0)
			break;
		k->checks++;
		k->slots_checked += found;
	}
out:
	free(bitmap);
	free(dev);
	free(snap);

	return NULL;
}

struct chaos {
	pthread_t thread;
	struct child *c;
	uint64_t switches;
	uint64_t moves;
	uint64_t refused;
};

/* Switch methods and move BOs between placements, at random. */
static void *chaos_fn(void *data)
{
	struct chaos *x = data;
	struct child *c = x->c;
	struct shared *sh = c->st->sh;
	uint64_t state = 0xc4a05000ull + c->proc * 0x9e3779b97f4a7c15ull;

	for (unsigned int i = 0; i < MAX_CHAOS && !stopped(sh); i++) {
		uint64_t r = prng_next(&state);
		unsigned int b = r % NBOS;
		int err;

		if (r & 0x100 && stress_bos[b].method != VTTM_METHOD_NONE) {
			struct drm_vttm_gem_set_method arg = {
				.handle = c->handle[b],
				.method = switch_methods[(r >> 9) %
							 ARRAY_SIZE(switch_methods)],
			};

			err = __vttm_gem_set_method(c->fd, &arg);
			if (err) {
				child_fail(c, "set method %u on %s: %s\n",
					   arg.method, stress_bos[b].name,
					   strerror(-err));
				break;
			}
			x->switches++;
		} else {
			struct drm_vttm_gem_move arg = {
				.handle = c->handle[b],
				.placement = (r >> 9) & 1 ?
					VTTM_PLACEMENT_DEVICE :
					VTTM_PLACEMENT_SYSTEM,
			};

			err = __vttm_gem_move(c->fd, &arg);
			/* Device memory may be full: the one refusal allowed. */
			if (err == -ENOSPC || err == -ENOMEM) {
				x->refused++;
			} else if (err) {
				child_fail(c, "move of %s to %u: %s\n",
					   stress_bos[b].name, arg.placement,
					   strerror(-err));
				break;
			}
			x->moves++;
		}
		/*
		 * A pause: every move and most switches unmap the BO, and
		 * writers would otherwise spend the run faulting it back.
		 */
		usleep(CHAOS_PAUSE_US);
	}

	return NULL;
}

/* ------------------------------------------------------------------ */
/* Processes                                                          */
/* ------------------------------------------------------------------ */

static void pipe_post(int wfd)
{
	igt_assert_eq(write(wfd, "", 1), 1);
}

/* Wait for a byte: true if one came, false on EOF or timeout. */
static bool pipe_wait(int rfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char byte;

	return poll(&pfd, 1, timeout_ms) == 1 && read(rfd, &byte, 1) == 1;
}

/*
 * One child: its own DRM file with the BOs imported from the parent's
 * dma-bufs, a GEM mapping and a dma-buf mapping of each, and
 * WRITERS_PER_PROC writers, a checker and a chaos thread. Once they are
 * done it reports ready and keeps its mappings until the parent has
 * checked the final contents: closing a PAGETABLE mapping reports every
 * page it covered, which would hide a lost dirty bit.
 */
static void stress_child(const struct stress *st, unsigned int proc,
			 int ready, int go)
{
	struct writer w[WRITERS_PER_PROC];
	struct proc_stats *ps = &st->sh->stats[proc];
	struct checker k = {};
	struct chaos x = {};
	struct child c = {
		.st = st,
		.proc = proc,
	};

	pthread_mutex_init(&c.lock, NULL);
	c.fd = drm_open_vttm();
	for (unsigned int b = 0; b < NBOS; b++) {
		c.handle[b] = prime_fd_to_handle(c.fd, st->dmabuf[b]);
		c.gem_map[b] = vttm_gem_mmap(c.fd, c.handle[b], bo_size(b),
					     PROT_READ | PROT_WRITE);
		c.dmabuf_map[b] = mmap(NULL, bo_size(b),
				       PROT_READ | PROT_WRITE, MAP_SHARED,
				       st->dmabuf[b], 0);
		igt_assert(c.dmabuf_map[b] != MAP_FAILED);
	}

	for (unsigned int i = 0; i < WRITERS_PER_PROC; i++) {
		w[i] = (struct writer){
			.c = &c,
			.id = proc * WRITERS_PER_PROC + i,
		};
		igt_assert_eq(pthread_create(&w[i].thread, NULL, writer_fn,
					     &w[i]), 0);
	}
	k.c = &c;
	igt_assert_eq(pthread_create(&k.thread, NULL, checker_fn, &k), 0);
	x.c = &c;
	igt_assert_eq(pthread_create(&x.thread, NULL, chaos_fn, &x), 0);

	for (unsigned int i = 0; i < WRITERS_PER_PROC; i++) {
		igt_assert_eq(pthread_join(w[i].thread, NULL), 0);
		ps->writes += w[i].writes;
	}
	igt_assert_eq(pthread_join(k.thread, NULL), 0);
	igt_assert_eq(pthread_join(x.thread, NULL), 0);
	ps->checks = k.checks;
	ps->slots_checked = k.slots_checked;
	ps->syncs = k.syncs;
	ps->switches = x.switches;
	ps->moves = x.moves;
	ps->moves_refused = x.refused;
	igt_assert_f(!c.error[0], "process %u: %s", proc, c.error);

	pipe_post(ready);
	igt_assert_f(!pipe_wait(go, WAIT_MS),
		     "process %u: the parent sent data instead of closing\n",
		     proc);

	for (unsigned int b = 0; b < NBOS; b++) {
		munmap(c.gem_map[b], bo_size(b));
		munmap(c.dmabuf_map[b], bo_size(b));
		gem_close(c.fd, c.handle[b]);
	}
	close(c.fd);
}

/*
 * The parent's share of the pressure: swap BOs out. TTM's debugfs file
 * does what its shrinker would under memory pressure.
 */
#define TT_SHRINK	"/sys/kernel/debug/ttm/tt_shrink"

static int open_shrink(void)
{
	return open(TT_SHRINK, O_RDONLY);
}

/* Each read of tt_shrink swaps out one BO and prints its pages, or 0. */
static long shrink_once(void)
{
	char buf[32] = "";
	long n;
	int fd;

	fd = open_shrink();
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;

	return strtol(buf, NULL, 10);
}

/*
 * Run until the deadline or until a child stops on its own (a failure or
 * a cap), swapping BOs out meanwhile; then stop everyone and wait for
 * every child to report ready. Returns false if a child died instead.
 */
static bool run_parent(struct stress *st, int *ready, unsigned int seconds,
		       uint64_t *swapouts, uint64_t *swapped_pages)
{
	uint64_t deadline = now_ms() + seconds * 1000ull;
	uint64_t next_shrink = 0;
	unsigned int left = PROCS;
	bool died = false, gone[PROCS] = {};
	bool shrink = !access(TT_SHRINK, R_OK);

	while (left) {
		struct pollfd pfd[PROCS];
		unsigned int n = 0, map[PROCS];

		for (unsigned int i = 0; i < PROCS; i++) {
			if (gone[i])
				continue;
			pfd[n] = (struct pollfd){ .fd = ready[i],
						  .events = POLLIN };
			map[n++] = i;
		}
		igt_assert_lte(0, poll(pfd, n, 50));
		for (unsigned int j = 0; j < n; j++) {
			char byte;

			if (!pfd[j].revents)
				continue;
			if (read(ready[map[j]], &byte, 1) != 1)
				died = true;
			gone[map[j]] = true;
			left--;
			/* Anyone done before the deadline ends the run. */
			stop_all(st->sh);
		}

		if (now_ms() >= deadline)
			stop_all(st->sh);
		igt_assert_f(now_ms() < deadline + WAIT_MS,
			     "the children did not stop\n");

		if (shrink && !stopped(st->sh) && now_ms() >= next_shrink) {
			long pages = 0;

			/*
			 * Every 200 ms, what can go: a BO at a time, and not
			 * more than all of them, as faults bring them back.
			 */
			for (unsigned int i = 0; i < NBOS; i++) {
				pages = shrink_once();
				if (pages <= 0)
					break;
				(*swapouts)++;
				*swapped_pages += pages;
			}
			igt_assert_f(pages >= 0, "%s: %s\n", TT_SHRINK,
				     strerror(-pages));
			next_shrink = now_ms() + 200;
		}
	}

	return !died;
}

static void test_stress(int fd, unsigned int seconds)
{
	struct proc_stats sum = {};
	uint64_t swapouts = 0, swapped_pages = 0, in_place = 0;
	int ready[PROCS][2], go[2], rfd[PROCS];
	struct stress st = {};
	uint64_t *parent_map[NBOS];
	bool ok;

	igt_assert_lte(WRITERS, words_per_page);
	st.sh = shared_alloc(sizeof(*st.sh));
	for (unsigned int b = 0; b < NBOS; b++) {
		st.first_page[b] = st.total_pages;
		st.total_pages += stress_bos[b].npages;
		st.shadow[b] = shared_alloc(bo_size(b));
		st.handle[b] = vttm_gem_create_method(fd, bo_size(b),
						      stress_bos[b].method);
		/* Read-write, so that the children can map the dma-buf. */
		st.dmabuf[b] = prime_handle_to_fd_for_mmap(fd, st.handle[b]);
		igt_assert_fd(st.dmabuf[b]);
		/* A read-only mapping among the writers, for the final look. */
		parent_map[b] = vttm_gem_mmap(fd, st.handle[b], bo_size(b),
					      PROT_READ);
	}
	st.done = shared_alloc(WRITERS * st.total_pages * sizeof(*st.done));

	for (unsigned int i = 0; i < PROCS; i++)
		igt_assert_eq(pipe(ready[i]), 0);
	igt_assert_eq(pipe(go), 0);

	igt_info("stress: %u processes, %u writers, %u BOs, %u s\n",
		 PROCS, WRITERS, (unsigned int)NBOS, seconds);
	igt_fork(proc, PROCS) {
		for (unsigned int i = 0; i < PROCS; i++) {
			close(ready[i][0]);
			if (i != (unsigned int)proc)
				close(ready[i][1]);
		}
		close(go[1]);
		stress_child(&st, proc, ready[proc][1], go[0]);
	}
	for (unsigned int i = 0; i < PROCS; i++) {
		close(ready[i][1]);
		rfd[i] = ready[i][0];
	}
	close(go[0]);

	ok = run_parent(&st, rfd, seconds, &swapouts, &swapped_pages);
	if (!ok) {
		/* A child died: let igt_waitchildren() report why. */
		close(go[1]);
		igt_waitchildren();
		igt_assert_f(false, "a child exited early\n");
	}

	/*
	 * Everyone has stopped and every child still maps every BO: one
	 * sync each, then the device copy must be exactly what was written.
	 */
	for (unsigned int b = 0; b < NBOS; b++) {
		vttm_gem_sync(fd, st.handle[b]);
		vttm_assert_bytes_eq(parent_map[b], st.shadow[b], bo_size(b),
				     stress_bos[b].name);
		vttm_assert_device_eq(fd, st.handle[b], st.shadow[b],
				      bo_size(b));
		for (uint64_t i = 0; i < bo_size(b) / 8; i++)
			in_place += !!st.shadow[b][i];
	}

	close(go[1]);
	igt_waitchildren_timeout(WAIT_MS / 1000, "stress children");

	/* The children's mappings went away; nothing changed by that. */
	for (unsigned int b = 0; b < NBOS; b++) {
		vttm_gem_sync(fd, st.handle[b]);
		vttm_assert_device_eq(fd, st.handle[b], st.shadow[b],
				      bo_size(b));
	}

	for (unsigned int i = 0; i < PROCS; i++) {
		const struct proc_stats *ps = &st.sh->stats[i];

		sum.writes += ps->writes;
		sum.checks += ps->checks;
		sum.slots_checked += ps->slots_checked;
		sum.syncs += ps->syncs;
		sum.switches += ps->switches;
		sum.moves += ps->moves;
		sum.moves_refused += ps->moves_refused;
		close(rfd[i]);
	}

	igt_info("stress: %llu writes by %u threads in %u processes into %u BOs\n",
		 (unsigned long long)sum.writes, WRITERS, PROCS,
		 (unsigned int)NBOS);
	igt_info("stress: %llu mid-run checks, each after a sync, found %llu writes on the device\n",
		 (unsigned long long)sum.checks,
		 (unsigned long long)sum.slots_checked);
	igt_info("stress: %llu method switches, %llu moves (%llu refused for space), %llu swap-outs (%llu pages)\n",
		 (unsigned long long)sum.switches,
		 (unsigned long long)sum.moves,
		 (unsigned long long)sum.moves_refused,
		 (unsigned long long)swapouts,
		 (unsigned long long)swapped_pages);
	igt_info("stress: at the end the %llu writes still in their slots (the others were overwritten by a later write of the same writer) were on the device, which equals the BOs byte for byte\n",
		 (unsigned long long)in_place);

	/* The run did something of each kind. */
	igt_assert_lt_u64(0, sum.writes);
	igt_assert_lt_u64(0, sum.checks);
	igt_assert_lt_u64(0, sum.switches);
	igt_assert_lt_u64(sum.moves_refused, sum.moves);

	for (unsigned int b = 0; b < NBOS; b++) {
		munmap(parent_map[b], bo_size(b));
		close(st.dmabuf[b]);
		gem_close(fd, st.handle[b]);
		munmap(st.shadow[b], bo_size(b));
	}
	munmap(st.done, WRITERS * st.total_pages * sizeof(*st.done));
	munmap(st.sh, sizeof(*st.sh));
}

igt_main
{
	unsigned int seconds = DEFAULT_SECONDS;
	int fd = -1;

	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		words_per_page = page_size / 8;
		slots_per_writer = words_per_page / WRITERS;
		seconds = stress_seconds();
		fd = drm_open_vttm();
	}

	igt_describe("PRIME-sharing processes write, sync, switch, move, swap out: no loss.");
	igt_subtest("prime-processes-writing-while-syncing-switching-and-moving-lose-nothing")
		test_stress(fd, seconds);

	igt_fixture {
		close(fd);
	}
}
