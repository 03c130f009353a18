/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Tracking of CPU writes to TTM buffer objects through user-space mappings,
 * for devices that do not snoop the CPU and must be told what changed.
 */
#ifndef _TTM_BO_DIRTY_H_
#define _TTM_BO_DIRTY_H_

#include <linux/mm_types.h>
#include <linux/types.h>

struct ttm_buffer_object;

/**
 * enum ttm_bo_dirty_method - how a buffer object finds its written pages
 * @TTM_BO_DIRTY_AUTO: let the policy pick MKWRITE or PAGETABLE per BO from
 * its size and observed writes, and switch while mapped.
 * @TTM_BO_DIRTY_MKWRITE: map pages read-only and record each page on its
 * first write fault. Costs a fault per page written between scans; a scan
 * only write-protects what was recorded. Good for sparse writes into big
 * buffers.
 * @TTM_BO_DIRTY_PAGETABLE: map pages writable and collect the hardware
 * dirty bits at scan time. No faults; a scan walks every mapped PTE. Good
 * for dense writes into small buffers.
 * @TTM_BO_DIRTY_AUTO_VMWGFX: as AUTO, with the rules vmwgfx applies in
 * Linux 6.1; a reference for measuring AUTO, not for production.
 */
enum ttm_bo_dirty_method {
	TTM_BO_DIRTY_AUTO,
	TTM_BO_DIRTY_MKWRITE,
	TTM_BO_DIRTY_PAGETABLE,
	TTM_BO_DIRTY_AUTO_VMWGFX,
};

/* Whether @method leaves the choice to a policy. */
static inline bool ttm_bo_dirty_method_is_auto(enum ttm_bo_dirty_method method)
{
	return method == TTM_BO_DIRTY_AUTO || method == TTM_BO_DIRTY_AUTO_VMWGFX;
}

/**
 * struct ttm_bo_dirty_stats - what the tracking of one BO has done
 * @method: the method in use: %TTM_BO_DIRTY_MKWRITE or _PAGETABLE.
 * @scans: calls to ttm_bo_dirty_scan().
 * @faults: write faults that recorded a page.
 * @switches: changes of method.
 * @pages_reported: pages found dirty by scans, summed over scans.
 * @full_scans: scans that reported every page without looking (AUTO, when
 *	nearly every page is written between scans).
 */
struct ttm_bo_dirty_stats {
	enum ttm_bo_dirty_method method;
	u64 scans;
	u64 faults;
	u64 switches;
	u64 pages_reported;
	u64 full_scans;
};

/**
 * struct ttm_bo_dirty_costs - what tracking costs on the running system
 * @fault_ns: one write fault that records a page, exception included.
 * @pte_ns: cleaning or write-protecting one PTE in a scan.
 * @scan_ns: what a PAGETABLE scan costs whatever its size: setting up the
 *	walk, the mmu notifier, the TLB flush.
 * @write_ns: what a page written costs user space under PAGETABLE beyond
 *	what it costs under MKWRITE, apart from the fault handler (the CPU
 *	setting a dirty bit again, against a fault's entry and exit): never
 *	seen by the kernel, learned from the cycles AUTO measured under both
 *	methods. Negative when a write costs PAGETABLE less.
 * @switch_ns: what a switch of method costs whatever the BO's size, the
 *	cycle after it included, from switches of BOs so small that their
 *	PTEs hardly count.
 * @switch_pte_ns: what a switch of method costs a PTE, the cycle after it
 *	included, from switches of BOs big enough for their PTEs to
 *	dominate.
 *
 * Measured as the tracking runs (see ttm_bo_dirty_cost.c) and fed to the
 * AUTO policy.
 */
struct ttm_bo_dirty_costs {
	u32 fault_ns;
	u32 pte_ns;
	u32 scan_ns;
	s32 write_ns;
	u32 switch_ns;
	u32 switch_pte_ns;
};

/**
 * struct ttm_bo_dirty_cycles - the cycles a BO took under one method
 * @ns: the time from one scan to the next, the last two of them: all the
 *	BO's user costs its own, the stores, the faults, the scan and
 *	whatever the user does between two scans.
 * @dirtied: pages written per cycle when they were measured.
 * @count: how many of @ns are valid, 0 to 2.
 * @age: scans since the last of them.
 */
struct ttm_bo_dirty_cycles {
	u64 ns[2];
	u64 dirtied;
	unsigned int count;
	unsigned int age;
};

/**
 * struct ttm_bo_dirty_policy_state - what a policy remembers of a BO
 * @method: the method in use.
 * @streak: consecutive scans that argued for the other method.
 * @dirtied_x16: pages written per scan, a moving average, times 16
 *	(AUTO only).
 * @dense_scans: consecutive scans that found nearly every page written
 *	(AUTO only).
 * @full_left: scans still to report every page without looking, because
 *	looking costs more than it saves (AUTO, PAGETABLE only).
 * @cycles: measured cycles under MKWRITE ([0]) and PAGETABLE ([1])
 *	(AUTO only).
 * @probe_gap: scans a measurement of the method not in use stays valid;
 *	grows each time measuring both gives a verdict (AUTO only).
 * @probing: AUTO switched to the other method to measure it, and goes
 *	back to measure the one it left once it has (AUTO only).
 * @rechecking: the last verdict went against the model, and the method
 *	in use is being measured again before it is believed (AUTO only).
 * @stand_age: the age the measurement of the other method may reach
 *	through scans that ttm_bo_dirty_policy_standing() takes, at the
 *	load of the last update; 0 when none may (AUTO only).
 * @learned: set by an update whose verdict measured both methods at one
 *	load, for the caller to feed @write_ns_sample to the costs (AUTO
 *	only).
 * @write_ns_sample: &ttm_bo_dirty_costs.write_ns as that verdict found it.
 * @scan_ns: what a PAGETABLE scan of this BO takes, a moving average fed
 *	by ttm_bo_dirty_policy_scan_timed(); 0 until one was timed (AUTO
 *	only).
 * @switch_ns: what the last switch of this BO to MKWRITE ([0]) and to
 *	PAGETABLE ([1]) cost: the kernel's work, as
 *	ttm_bo_dirty_policy_switch_timed() noted it, and once the first
 *	plain cycle after it was measured, what the cycle right after the
 *	switch took beyond that one; 0 until one was timed.
 * @after_switch_ns: the cycle right after the last timed switch, as
 *	ttm_bo_dirty_policy_after_switch_timed() noted it, until a plain
 *	cycle is measured to compare it with; 0 otherwise.
 * @switch_sample_ns: set by an update that completed @switch_ns so, to
 *	what it now holds, for the caller to feed to the costs; 0 otherwise.
 * @lost_ns: what a cycle of MKWRITE ([0]) or PAGETABLE ([1]) took beyond
 *	one of the other method in the last verdict that method lost; 0
 *	until it lost one, or since it won one (AUTO only).
 */
struct ttm_bo_dirty_policy_state {
	enum ttm_bo_dirty_method method;
	unsigned int streak;
	u64 dirtied_x16;
	unsigned int dense_scans;
	unsigned int full_left;
	struct ttm_bo_dirty_cycles cycles[2];
	unsigned int probe_gap;
	unsigned int stand_age;
	bool probing;
	bool rechecking;
	bool learned;
	s32 write_ns_sample;
	u32 scan_ns;
	u32 switch_ns[2];
	u32 after_switch_ns;
	u32 switch_sample_ns;
	u32 lost_ns[2];
};

/**
 * struct ttm_bo_dirty - write tracking state of one buffer object
 *
 * Protected by the BO's reservation: faults, mkwrite, scans, switches and
 * the range walk all hold it. Drivers use the functions below and never
 * touch the fields.
 */
struct ttm_bo_dirty {
	/** @num_pages: size of the BO in pages. */
	pgoff_t num_pages;
	/** @requested: what the driver asked for, possibly AUTO. */
	enum ttm_bo_dirty_method requested;
	/** @policy: the method in use and the AUTO policy's memory. */
	struct ttm_bo_dirty_policy_state policy;
	/** @stats: counters for the driver to expose. */
	struct ttm_bo_dirty_stats stats;
	/** @start: first page that may have its bit set. */
	pgoff_t start;
	/** @end: one past the last page that may have its bit set. */
	pgoff_t end;
	/**
	 * @wp_start: first page made writable by a fault since the last
	 * write-protect (MKWRITE only).
	 */
	pgoff_t wp_start;
	/** @wp_end: one past the last such page. */
	pgoff_t wp_end;
	/**
	 * @writable: one bit per page, set for a page made writable by a
	 * fault since the last write-protect: what the next one must undo.
	 * Points into the same allocation, after @bitmap.
	 */
	unsigned long *writable;
	/**
	 * @last_scan_ns: when the last scan found what it reports, or 0 when
	 * the time until the next will not be one comparable cycle (a switch,
	 * a zap or a scan reported whole comes in between).
	 */
	u64 last_scan_ns;
	/**
	 * @switch_end_ns: when the work of the last timed switch ended,
	 * until the scan after it times the cycle since, which is the
	 * switch's too; 0 otherwise.
	 */
	u64 switch_end_ns;
	/**
	 * @left_pagetable: the BO switched from PAGETABLE to MKWRITE at least
	 * once. A mapping whose PTEs were zapped before the switch and that
	 * closes after it lost dirty bits the switch could not see; with no
	 * hook between the zap and the close, its close must record its
	 * whole range from then on.
	 */
	bool left_pagetable;
	/**
	 * @huge_mapped: a fault may have mapped part of the BO with a huge
	 * entry since its PTEs were last zapped.
	 */
	bool huge_mapped;
	/** @bitmap: one bit per page, set for a page written. */
	unsigned long bitmap[];
};

int ttm_bo_dirty_attach(struct ttm_buffer_object *bo,
			enum ttm_bo_dirty_method method);
void ttm_bo_dirty_detach(struct ttm_buffer_object *bo);
int ttm_bo_dirty_set_method(struct ttm_buffer_object *bo,
			    enum ttm_bo_dirty_method method);
void ttm_bo_dirty_scan(struct ttm_buffer_object *bo);
void ttm_bo_dirty_unmap_notify(struct ttm_buffer_object *bo);
void ttm_bo_dirty_get_stats(struct ttm_buffer_object *bo,
			    struct ttm_bo_dirty_stats *stats);

/* Dirty-range bookkeeping, on the state alone so it can be unit-tested. */
struct ttm_bo_dirty *ttm_bo_dirty_alloc(pgoff_t num_pages,
					enum ttm_bo_dirty_method method);
void ttm_bo_dirty_mark(struct ttm_bo_dirty *dirty, pgoff_t first,
		       pgoff_t end);
bool ttm_bo_dirty_next(const struct ttm_bo_dirty *dirty, pgoff_t from,
		       pgoff_t *first, pgoff_t *end);
void ttm_bo_dirty_clear(struct ttm_bo_dirty *dirty, pgoff_t first,
			pgoff_t end);

/* The AUTO policies: pure functions of per-BO statistics. */
enum ttm_bo_dirty_method
ttm_bo_dirty_policy_initial(enum ttm_bo_dirty_method policy,
			    pgoff_t num_pages);
bool ttm_bo_dirty_policy_dense(const struct ttm_bo_dirty_policy_state *state);
bool ttm_bo_dirty_policy_standing(struct ttm_bo_dirty_policy_state *state,
				  pgoff_t num_pages, pgoff_t dirtied);
void ttm_bo_dirty_policy_scan_timed(struct ttm_bo_dirty_policy_state *state,
				    u64 ns);
void ttm_bo_dirty_policy_switch_timed(struct ttm_bo_dirty_policy_state *state,
				      u64 ns);
void
ttm_bo_dirty_policy_after_switch_timed(struct ttm_bo_dirty_policy_state *state,
				       u64 ns);
void ttm_bo_dirty_policy_update(enum ttm_bo_dirty_method policy,
				struct ttm_bo_dirty_policy_state *state,
				pgoff_t num_pages, pgoff_t dirtied,
				u64 cycle_ns,
				const struct ttm_bo_dirty_costs *costs);

/* Measured costs, for the AUTO policy and for drivers to report. */
void ttm_bo_dirty_costs_get(struct ttm_bo_dirty_costs *costs);

/* Pieces of a driver's vm_operations_struct. */
vm_fault_t ttm_bo_dirty_vm_fault(struct vm_fault *vmf);
vm_fault_t ttm_bo_dirty_vm_mkwrite(struct vm_fault *vmf);
void ttm_bo_dirty_vm_close(struct vm_area_struct *vma);
int ttm_bo_dirty_vm_may_split(struct vm_area_struct *vma, unsigned long addr);
int ttm_bo_dirty_vm_access(struct vm_area_struct *vma, unsigned long addr,
			   void *buf, int len, int write);

#endif
