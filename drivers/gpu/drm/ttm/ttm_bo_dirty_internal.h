/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Shared between the tracking state (ttm_bo_dirty.c) and the fault-side
 * pieces (ttm_bo_dirty_vm.c); not for drivers.
 */
#ifndef _TTM_BO_DIRTY_INTERNAL_H_
#define _TTM_BO_DIRTY_INTERNAL_H_

#include <drm/ttm/ttm_bo_dirty.h>

void ttm_bo_dirty_record_write(struct ttm_bo_dirty *dirty, pgoff_t page);
bool ttm_bo_dirty_huge_ok(const struct ttm_bo_dirty *dirty);
void ttm_bo_dirty_harvest(struct ttm_buffer_object *bo);

/* ttm_bo_dirty_cost.c */
void ttm_bo_dirty_cost_fault(u64 handler_ns);
void ttm_bo_dirty_cost_scan(pgoff_t ptes, u64 ns);
void ttm_bo_dirty_cost_write(s32 sample_ns);
void ttm_bo_dirty_cost_switch(pgoff_t ptes, u64 ns);

#endif
