// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Per-BO tracking of CPU writes through user-space mappings.
 *
 * Two methods find the pages written since the last scan:
 *
 * MKWRITE: PTEs are inserted read-only; the first write to a page faults,
 * records the page and makes that PTE writable (ttm_bo_dirty_vm.c). A scan
 * write-protects the pages made writable since the previous one.
 *
 * PAGETABLE: PTEs are inserted writable and the CPU sets their dirty bits;
 * a scan cleans the dirty bits of every PTE of the BO and records the pages
 * that had them.
 *
 * Everything here runs with the BO reserved, and so do the fault and
 * mkwrite handlers: a scan, a switch or a move never interleaves with a
 * fault. What user space can still do concurrently is store through a PTE
 * that is already writable. The invariant that makes that safe:
 *
 *   A page written since it was last reported has its bit set in the
 *   bitmap, or (PAGETABLE only) is mapped by a PTE whose dirty bit is set.
 *   In MKWRITE mode, every writable PTE maps a page whose bit is set in
 *   the writable bitmap, so the next scan write-protects it.
 *
 * Switching keeps it, in both directions, while the BO is mapped and being
 * written:
 *
 * MKWRITE -> PAGETABLE: recorded pages stay recorded, and every writable
 * PTE maps a recorded page. The switch makes the read-only PTEs writable
 * and clean (mkwrite_shared_mapping_range(): no store went through them
 * since their last write-protect), then cleans and records the writable
 * ones, whose pages are recorded already: no PTE is left whose dirty bit
 * repeats what MKWRITE recorded, to be reported twice. Left read-only,
 * each would cost a fault at its page's first write; zapped, the BO would
 * fault in again, a fault per TTM_BO_VM_NUM_PREFAULT pages. A BO with huge
 * entries, which the walk leaves read-only, is zapped (losing nothing, as
 * every writable entry maps recorded pages).
 *
 * PAGETABLE -> MKWRITE: first write-protect every PTE of the BO, then clean
 * and record the dirty bits. After the write-protect (and its TLB flush) no
 * store can set a dirty bit, so the clean that follows sees every store
 * made before; a store after it faults and is recorded. The other order
 * would lose a store made between the clean and the write-protect.
 *
 * Before TTM zaps the PTEs of a BO (move, eviction, swap-out), a PAGETABLE
 * BO is harvested the same way, so the dirty state follows the BO to its
 * new placement: the bitmap is in page units of the BO, not of a placement.
 */

#include <linux/bitmap.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <drm/drm_vma_manager.h>
#include <drm/ttm/ttm_bo_api.h>
#include <drm/ttm/ttm_bo_driver.h>
#include <drm/ttm/ttm_bo_dirty.h>
#include <drm/ttm/ttm_device.h>

#include "ttm_bo_dirty_internal.h"

/* Scans of a new BO whose cycles AUTO does not measure. */
#define TTM_BO_DIRTY_WARM_SCANS	3

static void ttm_bo_dirty_reset_range(struct ttm_bo_dirty *dirty)
{
	dirty->start = dirty->num_pages;
	dirty->end = 0;
}

static void ttm_bo_dirty_reset_wp(struct ttm_bo_dirty *dirty)
{
	if (dirty->wp_start < dirty->wp_end)
		bitmap_clear(dirty->writable, dirty->wp_start,
			     dirty->wp_end - dirty->wp_start);
	dirty->wp_start = dirty->num_pages;
	dirty->wp_end = 0;
}

/**
 * ttm_bo_dirty_alloc - allocate tracking state with nothing dirty
 * @num_pages: size of the buffer object in pages.
 * @method: the method asked for; AUTO or AUTO_VMWGFX lets a policy pick
 * the first one.
 *
 * Return: the state, or NULL if out of memory or @num_pages is too large.
 */
struct ttm_bo_dirty *ttm_bo_dirty_alloc(pgoff_t num_pages,
					enum ttm_bo_dirty_method method)
{
	struct ttm_bo_dirty *dirty;
	size_t longs = BITS_TO_LONGS(num_pages);
	size_t size;

	/* Two bitmaps: pages written, and PTEs made writable. */
	size = struct_size(dirty, bitmap, size_mul(longs, 2));
	if (size == SIZE_MAX)
		return NULL;
	dirty = kvzalloc(size, GFP_KERNEL);
	if (!dirty)
		return NULL;

	dirty->writable = dirty->bitmap + longs;
	dirty->num_pages = num_pages;
	dirty->requested = method;
	dirty->policy.method = ttm_bo_dirty_method_is_auto(method) ?
		ttm_bo_dirty_policy_initial(method, num_pages) : method;
	dirty->stats.method = dirty->policy.method;
	ttm_bo_dirty_reset_range(dirty);
	ttm_bo_dirty_reset_wp(dirty);
	return dirty;
}
EXPORT_SYMBOL(ttm_bo_dirty_alloc);

/**
 * ttm_bo_dirty_mark - record pages as written
 * @dirty: tracking state.
 * @first: first page.
 * @end: one past the last page; clamped to the size of the BO.
 *
 * For writes the tracking cannot see, such as kernel writes through a
 * kernel mapping. The caller holds the BO's reservation.
 */
void ttm_bo_dirty_mark(struct ttm_bo_dirty *dirty, pgoff_t first,
		       pgoff_t end)
{
	end = min(end, dirty->num_pages);
	if (first >= end)
		return;

	bitmap_set(dirty->bitmap, first, end - first);
	dirty->start = min(dirty->start, first);
	dirty->end = max(dirty->end, end);
}
EXPORT_SYMBOL(ttm_bo_dirty_mark);

/**
 * ttm_bo_dirty_next - find the next run of dirty pages
 * @dirty: tracking state.
 * @from: first page to look at.
 * @first: set to the first dirty page at or after @from.
 * @end: set to one past the last page of that run.
 *
 * The caller holds the BO's reservation.
 *
 * Return: true if a run was found, false if no page at or after @from is
 * dirty.
 */
bool ttm_bo_dirty_next(const struct ttm_bo_dirty *dirty, pgoff_t from,
		       pgoff_t *first, pgoff_t *end)
{
	pgoff_t bit;

	from = max(from, dirty->start);
	if (from >= dirty->end)
		return false;

	bit = find_next_bit(dirty->bitmap, dirty->end, from);
	if (bit >= dirty->end)
		return false;

	*first = bit;
	*end = find_next_zero_bit(dirty->bitmap, dirty->end, bit);
	return true;
}
EXPORT_SYMBOL(ttm_bo_dirty_next);

/**
 * ttm_bo_dirty_clear - forget pages the driver has consumed
 * @dirty: tracking state.
 * @first: first page.
 * @end: one past the last page; clamped to the size of the BO.
 *
 * Only clears the record: the caller must have scanned (which re-arms the
 * tracking of those pages) in the same reservation, so that a later write
 * is recorded again. The caller holds the BO's reservation.
 */
void ttm_bo_dirty_clear(struct ttm_bo_dirty *dirty, pgoff_t first,
			pgoff_t end)
{
	end = min(end, dirty->num_pages);
	if (first >= end)
		return;

	bitmap_clear(dirty->bitmap, first, end - first);

	/* Shrink the hint from the left; a loose right end is harmless. */
	if (first <= dirty->start) {
		dirty->start = find_next_bit(dirty->bitmap, dirty->end,
					     dirty->start);
		if (dirty->start >= dirty->end)
			ttm_bo_dirty_reset_range(dirty);
	}
}
EXPORT_SYMBOL(ttm_bo_dirty_clear);

/* A write fault recorded @page and is about to make its PTE writable. */
void ttm_bo_dirty_record_write(struct ttm_bo_dirty *dirty, pgoff_t page)
{
	ttm_bo_dirty_mark(dirty, page, page + 1);
	__set_bit(page, dirty->writable);
	dirty->wp_start = min(dirty->wp_start, page);
	dirty->wp_end = max(dirty->wp_end, page + 1);
	dirty->stats.faults++;
}

/*
 * Whether a fault may map the BO with huge entries. A dirty huge entry is
 * reported whole, so only where that over-reports nothing: PAGETABLE asked
 * for by the driver (which then gets whole entries, as documented), or
 * AUTO once it found the BO written nearly whole. MKWRITE records pages
 * one by one, and vmwgfx's rules map 4 KiB pages only.
 */
bool ttm_bo_dirty_huge_ok(const struct ttm_bo_dirty *dirty)
{
	if (dirty->policy.method != TTM_BO_DIRTY_PAGETABLE)
		return false;
	if (dirty->requested == TTM_BO_DIRTY_PAGETABLE)
		return true;
	return dirty->requested == TTM_BO_DIRTY_AUTO &&
		ttm_bo_dirty_policy_dense(&dirty->policy);
}

static pgoff_t ttm_bo_dirty_offset(struct ttm_buffer_object *bo)
{
	return drm_vma_node_start(&bo->base.vma_node);
}

static void ttm_bo_dirty_write_protect(struct ttm_buffer_object *bo,
				       pgoff_t first, pgoff_t end)
{
	if (first < end)
		wp_shared_mapping_range(bo->bdev->dev_mapping,
					ttm_bo_dirty_offset(bo) + first,
					end - first);
}

/* Write-protect the PTEs faults made writable, and only those. */
static void ttm_bo_dirty_write_protect_writable(struct ttm_buffer_object *bo)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	pgoff_t offset = ttm_bo_dirty_offset(bo);
	u64 t0;

	if (dirty->wp_start >= dirty->wp_end)
		return;
	t0 = ktime_get_ns();
	wp_shared_mapping_bitmap(bo->bdev->dev_mapping,
				 offset + dirty->wp_start,
				 dirty->wp_end - dirty->wp_start,
				 offset, dirty->writable);
	ttm_bo_dirty_cost_scan(dirty->wp_end - dirty->wp_start,
			       ktime_get_ns() - t0);
}

/*
 * Move the dirty bits of every PTE of the BO into the bitmap. Returns the
 * time that took, or 0 where it says nothing of a walk over the BO's PTEs.
 */
static u64 ttm_bo_dirty_clean_record(struct ttm_buffer_object *bo)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	pgoff_t offset = ttm_bo_dirty_offset(bo);
	u64 t0 = ktime_get_ns(), ns;

	clean_record_shared_mapping_range(bo->bdev->dev_mapping, offset,
					  dirty->num_pages, offset,
					  dirty->bitmap, &dirty->start,
					  &dirty->end);
	/* A huge entry stands for 512 PTEs: its scan says nothing of theirs. */
	if (dirty->huge_mapped)
		return 0;
	ns = ktime_get_ns() - t0;
	ttm_bo_dirty_cost_scan(dirty->num_pages, ns);
	return ns;
}

/*
 * Write-protect, then harvest: see the comment at the top for why this
 * order loses nothing.
 */
static void ttm_bo_dirty_protect_and_harvest(struct ttm_buffer_object *bo)
{
	ttm_bo_dirty_write_protect(bo, 0, bo->dirty->num_pages);
	ttm_bo_dirty_clean_record(bo);
	ttm_bo_dirty_reset_wp(bo->dirty);
}

/* No PTE of the BO is left mapped: none to write-protect or harvest. */
static void ttm_bo_dirty_forget_ptes(struct ttm_bo_dirty *dirty)
{
	ttm_bo_dirty_reset_wp(dirty);
	dirty->huge_mapped = false;
	/* Faults map it all again: the next cycle is not one to measure. */
	dirty->last_scan_ns = 0;
}

/*
 * The BO's method changed from @from to dirty->policy.method: make its
 * PTEs follow.
 */
static void ttm_bo_dirty_follow_switch(struct ttm_buffer_object *bo,
				       enum ttm_bo_dirty_method from)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	u64 t0 = ktime_get_ns();

	if (from == TTM_BO_DIRTY_PAGETABLE) {
		ttm_bo_dirty_protect_and_harvest(bo);
		dirty->left_pagetable = true;
	} else if (!dirty->huge_mapped) {
		/*
		 * From MKWRITE, every writable PTE maps a recorded page.
		 * Make the read-only ones writable and clean, then clean
		 * the others: the BO stays mapped as it was, where a zap
		 * would have it fault in again, a fault per 16 pages.
		 */
		mkwrite_shared_mapping_range(bo->bdev->dev_mapping,
					     ttm_bo_dirty_offset(bo),
					     dirty->num_pages);
		ttm_bo_dirty_clean_record(bo);
		ttm_bo_dirty_reset_wp(dirty);
	} else {
		/*
		 * Huge entries stay read-only through the above: zap them,
		 * without a harvest (TTM's unmap hook would now see
		 * PAGETABLE and walk the BO twice for nothing).
		 */
		drm_vma_node_unmap(&bo->base.vma_node, bo->bdev->dev_mapping);
		ttm_bo_dirty_forget_ptes(dirty);
	}
	/*
	 * Not while the BO is new: see ttm_bo_dirty_scan(). The costs learn
	 * of it once the cycle after it has been weighed too.
	 */
	if (dirty->stats.scans > TTM_BO_DIRTY_WARM_SCANS) {
		dirty->switch_end_ns = ktime_get_ns();
		ttm_bo_dirty_policy_switch_timed(&dirty->policy,
						 dirty->switch_end_ns - t0);
	}
	/*
	 * The cycle after a switch is not one of the new method's to
	 * measure: after one to MKWRITE every store refills the TLB entry
	 * the write-protect flushed, and under emulation a switch either
	 * way made a 16 MiB BO's next cycle two to four times slower.
	 */
	dirty->last_scan_ns = 0;
	dirty->stats.method = dirty->policy.method;
	dirty->stats.switches++;
}

static void ttm_bo_dirty_switch(struct ttm_buffer_object *bo,
				enum ttm_bo_dirty_method method)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	enum ttm_bo_dirty_method from = dirty->policy.method;

	if (from == method)
		return;
	dirty->policy.method = method;
	dirty->policy.streak = 0;
	dirty->policy.full_left = 0;
	dirty->policy.probing = false;
	dirty->policy.rechecking = false;
	ttm_bo_dirty_follow_switch(bo, from);
}

/**
 * ttm_bo_dirty_attach - start tracking CPU writes to a buffer object
 * @bo: the buffer object, reserved, and not yet mapped by user space.
 * @method: how to track; %TTM_BO_DIRTY_AUTO (or _AUTO_VMWGFX) lets a
 * policy decide.
 *
 * The driver must use ttm_bo_dirty_vm_fault(), ttm_bo_dirty_vm_mkwrite()
 * (as pfn_mkwrite and/or page_mkwrite) and ttm_bo_dirty_vm_access() in the
 * vm_operations_struct of the BO's mappings: the tracking relies on them.
 *
 * Return: 0, -EINVAL for an unknown method, -EBUSY if already tracked, or
 * -ENOMEM.
 */
int ttm_bo_dirty_attach(struct ttm_buffer_object *bo,
			enum ttm_bo_dirty_method method)
{
	struct ttm_bo_dirty *dirty;

	dma_resv_assert_held(bo->base.resv);
	if (method > TTM_BO_DIRTY_AUTO_VMWGFX)
		return -EINVAL;
	if (bo->dirty)
		return -EBUSY;

	dirty = ttm_bo_dirty_alloc(PFN_UP(bo->base.size), method);
	if (!dirty)
		return -ENOMEM;

	bo->dirty = dirty;
	return 0;
}
EXPORT_SYMBOL(ttm_bo_dirty_attach);

/**
 * ttm_bo_dirty_detach - stop tracking and free the state
 * @bo: the buffer object, with no user-space mapping left (typically from
 * its destroy path).
 */
void ttm_bo_dirty_detach(struct ttm_buffer_object *bo)
{
	kvfree(bo->dirty);
	bo->dirty = NULL;
}
EXPORT_SYMBOL(ttm_bo_dirty_detach);

/**
 * ttm_bo_dirty_set_method - change how a buffer object is tracked
 * @bo: the buffer object, reserved, possibly mapped and being written.
 * @method: the new method; %TTM_BO_DIRTY_AUTO (or _AUTO_VMWGFX) hands
 * the choice back to a policy, starting from the method in use.
 *
 * No write is lost by a switch: see the comment at the top of this file.
 *
 * Return: 0, -EINVAL for an unknown method or a BO without tracking.
 */
int ttm_bo_dirty_set_method(struct ttm_buffer_object *bo,
			    enum ttm_bo_dirty_method method)
{
	dma_resv_assert_held(bo->base.resv);
	if (!bo->dirty || method > TTM_BO_DIRTY_AUTO_VMWGFX)
		return -EINVAL;

	bo->dirty->requested = method;
	/* Whoever decides next looks at the PTEs first, and decides. */
	bo->dirty->policy.full_left = 0;
	bo->dirty->policy.stand_age = 0;
	if (!ttm_bo_dirty_method_is_auto(method))
		ttm_bo_dirty_switch(bo, method);
	return 0;
}
EXPORT_SYMBOL(ttm_bo_dirty_set_method);

/*
 * A scan that reports every page without looking, for a PAGETABLE BO the
 * policy found written nearly whole, scan after scan. Dirty bits pile up
 * in the PTEs meanwhile; the last such scan cleans them, so the next one
 * looks at one interval's writes only, and the policy decides afresh.
 */
static void ttm_bo_dirty_scan_full(struct ttm_buffer_object *bo)
{
	struct ttm_bo_dirty *dirty = bo->dirty;

	if (!--dirty->policy.full_left)
		ttm_bo_dirty_clean_record(bo);
	/* Nor is the cycle after a switch timed through these scans. */
	dirty->switch_end_ns = 0;
	ttm_bo_dirty_mark(dirty, 0, dirty->num_pages);
	dirty->stats.full_scans++;
	dirty->stats.pages_reported += dirty->num_pages;
	dirty->last_scan_ns = 0;
}

/* Feed a scan to the BO's policy, and follow it if it switches. */
static void ttm_bo_dirty_decide(struct ttm_buffer_object *bo,
				pgoff_t dirtied, u64 cycle_ns,
				u64 after_switch_ns)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	enum ttm_bo_dirty_method from = dirty->policy.method;
	struct ttm_bo_dirty_costs costs;

	if (after_switch_ns)
		ttm_bo_dirty_policy_after_switch_timed(&dirty->policy,
						       after_switch_ns);
	ttm_bo_dirty_costs_get(&costs);
	ttm_bo_dirty_policy_update(dirty->requested, &dirty->policy,
				   dirty->num_pages, dirtied, cycle_ns, &costs);
	if (dirty->policy.learned)
		ttm_bo_dirty_cost_write(dirty->policy.write_ns_sample);
	if (dirty->policy.switch_sample_ns)
		ttm_bo_dirty_cost_switch(dirty->num_pages,
					 dirty->policy.switch_sample_ns);
	if (dirty->policy.method != from)
		ttm_bo_dirty_follow_switch(bo, from);
}

/**
 * ttm_bo_dirty_scan - gather the writes since the last scan
 * @bo: the buffer object, reserved.
 *
 * Afterwards the bitmap holds every page written before the scan, and the
 * tracking is re-armed so that a write after it is recorded again: MKWRITE
 * write-protects the pages made writable since the last scan, PAGETABLE
 * cleans the dirty bits it recorded. The driver then walks the dirty
 * ranges with ttm_bo_dirty_next() and clears what it consumed,
 * within the same reservation.
 *
 * With %TTM_BO_DIRTY_AUTO or _AUTO_VMWGFX the policy may switch method
 * here.
 */
void ttm_bo_dirty_scan(struct ttm_buffer_object *bo)
{
	struct ttm_bo_dirty *dirty = bo->dirty;
	u64 now, cycle_ns, after_switch_ns;
	pgoff_t dirtied;

	dma_resv_assert_held(bo->base.resv);
	if (!dirty)
		return;

	dirty->stats.scans++;
	if (dirty->policy.full_left) {
		ttm_bo_dirty_scan_full(bo);
		return;
	}

	if (dirty->policy.method == TTM_BO_DIRTY_MKWRITE) {
		ttm_bo_dirty_write_protect_writable(bo);
		ttm_bo_dirty_reset_wp(dirty);
	} else {
		u64 ns = ttm_bo_dirty_clean_record(bo);

		/*
		 * Timed only in a plain cycle: the first scans of a BO, and
		 * the first after a switch or a zap, follow a TLB flush
		 * and look several times dearer (under emulation above all).
		 */
		if (ns && dirty->last_scan_ns &&
		    dirty->stats.scans > TTM_BO_DIRTY_WARM_SCANS)
			ttm_bo_dirty_policy_scan_timed(&dirty->policy, ns);
	}

	dirtied = 0;
	if (dirty->start < dirty->end)
		dirtied = bitmap_weight(dirty->bitmap, dirty->end);
	dirty->stats.pages_reported += dirtied;

	now = ktime_get_ns();
	cycle_ns = dirty->last_scan_ns ? now - dirty->last_scan_ns : 0;
	dirty->last_scan_ns = now;
	/*
	 * A BO's first cycles also pay for populating it and for code run
	 * for the first time (which an emulator must first translate): a
	 * method measured then would look several times dearer than it is.
	 */
	if (dirty->stats.scans <= TTM_BO_DIRTY_WARM_SCANS)
		cycle_ns = 0;
	after_switch_ns = dirty->switch_end_ns ? now - dirty->switch_end_ns : 0;
	dirty->switch_end_ns = 0;

	if (ttm_bo_dirty_method_is_auto(dirty->requested) &&
	    (after_switch_ns || dirty->requested != TTM_BO_DIRTY_AUTO ||
	     !ttm_bo_dirty_policy_standing(&dirty->policy, dirty->num_pages,
					   dirtied)))
		ttm_bo_dirty_decide(bo, dirtied, cycle_ns, after_switch_ns);

	/*
	 * Writes no longer cover whole huge entries: each would now report
	 * up to 511 pages nobody wrote, every scan. Zap the mappings (the
	 * unmap hook harvests them first) so that faults map 4 KiB again.
	 */
	if (dirty->huge_mapped &&
	    dirty->policy.method == TTM_BO_DIRTY_PAGETABLE &&
	    !ttm_bo_dirty_huge_ok(dirty))
		ttm_bo_unmap_virtual(bo);
}
EXPORT_SYMBOL(ttm_bo_dirty_scan);

/*
 * Some PTEs of the BO are about to be zapped: a zap drops their dirty
 * bits, so a PAGETABLE BO moves them into the bitmap first. MKWRITE has
 * the page of every writable PTE recorded already.
 */
void ttm_bo_dirty_harvest(struct ttm_buffer_object *bo)
{
	dma_resv_assert_held(bo->base.resv);
	if (bo->dirty->policy.method == TTM_BO_DIRTY_PAGETABLE)
		ttm_bo_dirty_protect_and_harvest(bo);
}

/**
 * ttm_bo_dirty_unmap_notify - keep the dirty state across a PTE zap
 * @bo: the buffer object, reserved, whose PTEs are about to be zapped.
 *
 * Called by ttm_bo_unmap_virtual(). A zap drops the dirty bits of the
 * PTEs, so a PAGETABLE BO moves them into the bitmap first; MKWRITE has
 * every writable PTE's page recorded already.
 */
void ttm_bo_dirty_unmap_notify(struct ttm_buffer_object *bo)
{
	struct ttm_bo_dirty *dirty = bo->dirty;

	if (!dirty)
		return;

	ttm_bo_dirty_harvest(bo);
	ttm_bo_dirty_forget_ptes(dirty);
}
EXPORT_SYMBOL(ttm_bo_dirty_unmap_notify);

/**
 * ttm_bo_dirty_get_stats - read the tracking counters of a BO
 * @bo: the buffer object, reserved.
 * @stats: filled in; all zero (and method AUTO) without tracking.
 */
void ttm_bo_dirty_get_stats(struct ttm_buffer_object *bo,
			    struct ttm_bo_dirty_stats *stats)
{
	dma_resv_assert_held(bo->base.resv);
	if (bo->dirty)
		*stats = bo->dirty->stats;
	else
		memset(stats, 0, sizeof(*stats));
}
EXPORT_SYMBOL(ttm_bo_dirty_get_stats);
