// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What write tracking costs on the running system, measured as it runs:
 * the time a recording write fault takes, and what a scan costs: a fixed
 * part (the walk's setup, the mmu notifier, the TLB flush) and a part per
 * PTE; and, learned from the cycles AUTO measured under both methods, what
 * a page written costs user space under PAGETABLE beyond the rest; and
 * what a switch of method costs, again a fixed part and a part per PTE.
 * The AUTO policy weighs one against the other.
 *
 * One estimate for the whole system, a moving average that every BO feeds.
 * The updates race (a load, then a store); a lost sample is harmless, and
 * no lock is worth taking in a fault handler for it.
 */

#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include <drm/ttm/ttm_bo_dirty.h>

#include "ttm_bo_dirty_internal.h"

/*
 * The fault handler sees only its own part of a fault. The exception
 * entry and exit and the core's fault path around it cost about as much
 * again, so the handler time is counted twice.
 */
#define TTM_BO_DIRTY_FAULT_SCALE	2
/*
 * The per-PTE cost comes from walks big enough that the fixed part is lost
 * in it (under 2 ns a PTE at a few us); the fixed part from walks so short
 * that their PTEs hardly count (a MKWRITE scan write-protecting a few
 * pages, a PAGETABLE scan of a small BO). Walks in between say little of
 * either: what they took beyond their PTEs at an estimate per PTE that
 * is off by a few ns is mostly that error.
 */
#define TTM_BO_DIRTY_MIN_SAMPLE_PTES	4096
#define TTM_BO_DIRTY_MAX_FIXED_PTES	64
/* Before any sample: a fault about a hundred times a PTE. */
#define TTM_BO_DIRTY_FAULT_NS_INIT	2000
#define TTM_BO_DIRTY_PTE_NS_INIT	20
#define TTM_BO_DIRTY_SCAN_NS_INIT	2000
/* A switch walks every PTE twice, rewriting each in one of the walks. */
#define TTM_BO_DIRTY_SWITCH_NS_INIT	(2 * TTM_BO_DIRTY_SCAN_NS_INIT)
#define TTM_BO_DIRTY_SWITCH_PTE_NS_INIT	(3 * TTM_BO_DIRTY_PTE_NS_INIT)
/*
 * A sample counts for at most this many times the average: a fault that
 * waited for the reservation or was preempted must not make faults look
 * dear for the next many scans. A real change of cost still shows, the
 * average growing by up to this factor each quarter of the way.
 */
#define TTM_BO_DIRTY_MAX_SAMPLE_FACTOR	4

static atomic_t ttm_bo_dirty_fault_ns = ATOMIC_INIT(TTM_BO_DIRTY_FAULT_NS_INIT);
static atomic_t ttm_bo_dirty_pte_ns = ATOMIC_INIT(TTM_BO_DIRTY_PTE_NS_INIT);
static atomic_t ttm_bo_dirty_scan_ns = ATOMIC_INIT(TTM_BO_DIRTY_SCAN_NS_INIT);
/* Unseen until AUTO has measured both methods somewhere. */
static atomic_t ttm_bo_dirty_write_ns = ATOMIC_INIT(0);
static atomic_t ttm_bo_dirty_switch_ns = ATOMIC_INIT(TTM_BO_DIRTY_SWITCH_NS_INIT);
static atomic_t ttm_bo_dirty_switch_pte_ns =
	ATOMIC_INIT(TTM_BO_DIRTY_SWITCH_PTE_NS_INIT);

/* Move the average a quarter of the way towards @sample, at least 1 ns. */
static void ttm_bo_dirty_cost_sample(atomic_t *avg, u64 sample)
{
	s64 old = atomic_read(avg);
	u64 limit = min_t(u64, (u64)old * TTM_BO_DIRTY_MAX_SAMPLE_FACTOR,
			  S32_MAX);
	s64 new = old + ((s64)min(sample, limit) - old) / 4;

	atomic_set(avg, max_t(s64, new, 1));
}

/**
 * ttm_bo_dirty_cost_fault - note the time a recording fault took
 * @handler_ns: time spent in the fault handler, reservation held.
 */
void ttm_bo_dirty_cost_fault(u64 handler_ns)
{
	ttm_bo_dirty_cost_sample(&ttm_bo_dirty_fault_ns,
				 handler_ns * TTM_BO_DIRTY_FAULT_SCALE);
}

/*
 * A walk of @ptes PTEs that took @ns: a sample of the cost per PTE
 * (@per_pte) from big walks, of the fixed part (@fixed) from small ones,
 * what the walk took beyond its PTEs.
 */
static void ttm_bo_dirty_cost_walk(atomic_t *per_pte, atomic_t *fixed,
				   pgoff_t ptes, u64 ns)
{
	u64 per_ptes;

	if (ptes >= TTM_BO_DIRTY_MIN_SAMPLE_PTES) {
		ttm_bo_dirty_cost_sample(per_pte, div64_u64(ns, ptes));
		return;
	}
	if (ptes > TTM_BO_DIRTY_MAX_FIXED_PTES)
		return;
	per_ptes = (u64)ptes * atomic_read(per_pte);
	ttm_bo_dirty_cost_sample(fixed, ns > per_ptes ? ns - per_ptes : 0);
}

/**
 * ttm_bo_dirty_cost_scan - note the time a walk of a scan took
 * @ptes: pages of the range walked.
 * @ns: time the walk took.
 */
void ttm_bo_dirty_cost_scan(pgoff_t ptes, u64 ns)
{
	ttm_bo_dirty_cost_walk(&ttm_bo_dirty_pte_ns, &ttm_bo_dirty_scan_ns,
			       ptes, ns);
}

/**
 * ttm_bo_dirty_cost_switch - note what a switch of method cost
 * @ptes: pages of the BO.
 * @ns: time the switch's walks took, and the cycle after the switch
 *	beyond a plain one.
 *
 * As for scans, the part per PTE from big BOs and the fixed part from
 * small ones. The fixed part is most of what a small BO's switch costs:
 * under emulation the cycle after one took a 16-page BO tens of
 * microseconds beyond its plain cycles of six.
 */
void ttm_bo_dirty_cost_switch(pgoff_t ptes, u64 ns)
{
	ttm_bo_dirty_cost_walk(&ttm_bo_dirty_switch_pte_ns,
			       &ttm_bo_dirty_switch_ns, ptes, ns);
}

/**
 * ttm_bo_dirty_cost_write - note what a verdict of AUTO found a page written
 * costs PAGETABLE beyond MKWRITE, unseen by the kernel
 * @sample_ns: that cost; negative when PAGETABLE pays less.
 *
 * Any sign, so not through ttm_bo_dirty_cost_sample(): a quarter of the way
 * too, the policy keeping each sample within bounds.
 */
void ttm_bo_dirty_cost_write(s32 sample_ns)
{
	s32 old = atomic_read(&ttm_bo_dirty_write_ns);

	atomic_set(&ttm_bo_dirty_write_ns, old + (sample_ns - old) / 4);
}

/**
 * ttm_bo_dirty_costs_get - the current estimates
 * @costs: filled in.
 */
void ttm_bo_dirty_costs_get(struct ttm_bo_dirty_costs *costs)
{
	costs->fault_ns = atomic_read(&ttm_bo_dirty_fault_ns);
	costs->pte_ns = atomic_read(&ttm_bo_dirty_pte_ns);
	costs->scan_ns = atomic_read(&ttm_bo_dirty_scan_ns);
	costs->write_ns = atomic_read(&ttm_bo_dirty_write_ns);
	costs->switch_ns = atomic_read(&ttm_bo_dirty_switch_ns);
	costs->switch_pte_ns = atomic_read(&ttm_bo_dirty_switch_pte_ns);
}
EXPORT_SYMBOL(ttm_bo_dirty_costs_get);
