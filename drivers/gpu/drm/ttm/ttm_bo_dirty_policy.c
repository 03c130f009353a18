// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The AUTO policies of BO write tracking: which method to use, from the size
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

/**
 * struct ttm_bo_dirty_rules - the numbers a threshold policy runs on
 * @small_pages: BOs of at most this many pages start with PAGETABLE.
 * @dense_percent: MKWRITE argues for PAGETABLE when a scan finds at least
 *	this share of the BO written.
 * @sparse_percent: PAGETABLE argues for MKWRITE when a scan finds less
 *	than this share written.
 * @streak: scans in a row that must argue for the other method.
 */
struct ttm_bo_dirty_rules {
	pgoff_t small_pages;
	unsigned int dense_percent;
	unsigned int sparse_percent;
	unsigned int streak;
};

/* Ours: a band between the thresholds in which the method never flaps. */
static const struct ttm_bo_dirty_rules ttm_bo_dirty_auto_rules = {
	.small_pages = 512,
	.dense_percent = 20,
	.sparse_percent = 5,
	.streak = 2,
};

/*
 * vmwgfx in Linux 6.1, as a reference: PAGETABLE below one page of PTEs,
 * one 10% threshold both ways, and a switch on the third scan in a row.
 */
static const struct ttm_bo_dirty_rules ttm_bo_dirty_vmwgfx_rules = {
	.small_pages = 511,
	.dense_percent = 10,
	.sparse_percent = 10,
	.streak = 3,
};

static const struct ttm_bo_dirty_rules *
ttm_bo_dirty_rules(enum ttm_bo_dirty_method policy)
{
	return policy == TTM_BO_DIRTY_AUTO_VMWGFX ?
		&ttm_bo_dirty_vmwgfx_rules : &ttm_bo_dirty_auto_rules;
}

/**
 * ttm_bo_dirty_policy_initial - the method a new BO of a policy starts with
 * @policy: %TTM_BO_DIRTY_AUTO or %TTM_BO_DIRTY_AUTO_VMWGFX.
 * @num_pages: size of the BO in pages.
 *
 * Return: %TTM_BO_DIRTY_PAGETABLE for small BOs, else %TTM_BO_DIRTY_MKWRITE.
 */
enum ttm_bo_dirty_method
ttm_bo_dirty_policy_initial(enum ttm_bo_dirty_method policy,
			    pgoff_t num_pages)
{
	return num_pages <= ttm_bo_dirty_rules(policy)->small_pages ?
		TTM_BO_DIRTY_PAGETABLE : TTM_BO_DIRTY_MKWRITE;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_initial);

/**
 * ttm_bo_dirty_policy_update - feed one scan to a policy
 * @policy: %TTM_BO_DIRTY_AUTO or %TTM_BO_DIRTY_AUTO_VMWGFX.
 * @state: the method in use and the current streak.
 * @num_pages: size of the BO in pages.
 * @dirtied: pages the scan found written.
 *
 * Return: the new state; its method differs from @state's when the policy
 * decides to switch, and its streak then starts again from zero.
 */
struct ttm_bo_dirty_policy_state
ttm_bo_dirty_policy_update(enum ttm_bo_dirty_method policy,
			   struct ttm_bo_dirty_policy_state state,
			   pgoff_t num_pages, pgoff_t dirtied)
{
	const struct ttm_bo_dirty_rules *rules = ttm_bo_dirty_rules(policy);
	/* In 64 bits: pages times percent cannot overflow for any BO. */
	u64 share = (u64)dirtied * 100;
	u64 size = num_pages;
	bool other;

	if (state.method == TTM_BO_DIRTY_MKWRITE)
		other = share >= size * rules->dense_percent;
	else
		other = share < size * rules->sparse_percent;

	if (!other) {
		state.streak = 0;
		return state;
	}

	if (++state.streak < rules->streak)
		return state;

	state.method = state.method == TTM_BO_DIRTY_MKWRITE ?
		TTM_BO_DIRTY_PAGETABLE : TTM_BO_DIRTY_MKWRITE;
	state.streak = 0;
	return state;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_update);
