// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The AUTO policy of BO write tracking: which method to use, from the size
 * of a BO and how much of it each scan finds written. Pure functions, so
 * they can be tuned and unit-tested alone.
 *
 * A MKWRITE scan costs about one write fault per page written; a PAGETABLE
 * scan costs a walk over every PTE of the BO whatever was written. So
 * PAGETABLE wins when a large share of the BO is written between scans,
 * and MKWRITE when writes are sparse. A page of PTEs holds 512 entries:
 * for a BO that size or smaller a full scan touches one page-table page,
 * which is cheaper than even a few faults, so small BOs start with
 * PAGETABLE and large ones with MKWRITE.
 *
 * Switching has a cost (a full write-protect and harvest towards MKWRITE,
 * a fault per page towards PAGETABLE), so the policy switches only after
 * several scans in a row argue for the other method, and the two
 * thresholds leave a band in between where it never switches.
 */

#include <drm/ttm/ttm_bo_dirty.h>

/* BOs up to this many pages start with PAGETABLE. */
#define TTM_BO_DIRTY_SMALL_PAGES	512
/* MKWRITE -> PAGETABLE when a scan finds at least this share written. */
#define TTM_BO_DIRTY_DENSE_PERCENT	20
/* PAGETABLE -> MKWRITE when a scan finds less than this share written. */
#define TTM_BO_DIRTY_SPARSE_PERCENT	5
/* Scans in a row that must agree before switching. */
#define TTM_BO_DIRTY_SWITCH_STREAK	2

/**
 * ttm_bo_dirty_policy_initial - the method a new AUTO BO starts with
 * @num_pages: size of the BO in pages.
 *
 * Return: %TTM_BO_DIRTY_PAGETABLE for small BOs, else %TTM_BO_DIRTY_MKWRITE.
 */
enum ttm_bo_dirty_method ttm_bo_dirty_policy_initial(pgoff_t num_pages)
{
	return num_pages <= TTM_BO_DIRTY_SMALL_PAGES ?
		TTM_BO_DIRTY_PAGETABLE : TTM_BO_DIRTY_MKWRITE;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_initial);

/**
 * ttm_bo_dirty_policy_update - feed one scan to the AUTO policy
 * @state: the method in use and the current streak.
 * @num_pages: size of the BO in pages.
 * @dirtied: pages the scan found written.
 *
 * Return: the new state; its method differs from @state's when the policy
 * decides to switch, and its streak then starts again from zero.
 */
struct ttm_bo_dirty_policy_state
ttm_bo_dirty_policy_update(struct ttm_bo_dirty_policy_state state,
			   pgoff_t num_pages, pgoff_t dirtied)
{
	/* In 64 bits: pages times percent cannot overflow for any BO. */
	u64 share = (u64)dirtied * 100;
	u64 size = num_pages;
	bool other;

	if (state.method == TTM_BO_DIRTY_MKWRITE)
		other = share >= size * TTM_BO_DIRTY_DENSE_PERCENT;
	else
		other = share < size * TTM_BO_DIRTY_SPARSE_PERCENT;

	if (!other) {
		state.streak = 0;
		return state;
	}

	if (++state.streak < TTM_BO_DIRTY_SWITCH_STREAK)
		return state;

	state.method = state.method == TTM_BO_DIRTY_MKWRITE ?
		TTM_BO_DIRTY_PAGETABLE : TTM_BO_DIRTY_MKWRITE;
	state.streak = 0;
	return state;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_update);
