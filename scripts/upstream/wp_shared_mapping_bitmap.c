// SPDX-License-Identifier: GPL-2.0
/*
 * Appended by scripts/build-kernel.sh to upstream 6.1's
 * mm/mapping_dirty_helpers.c for the comparison kernel (MM_HELPERS=upstream,
 * make bench). Upstream has no wp_shared_mapping_bitmap(); this stands in
 * for it the way a user of upstream's API would: one write-protect of the
 * span from the first to the last page the bitmap selects.
 */
unsigned long wp_shared_mapping_bitmap(struct address_space *mapping,
				       pgoff_t first_index, pgoff_t nr,
				       pgoff_t bitmap_pgoff,
				       const unsigned long *bitmap)
{
	unsigned long first = first_index - bitmap_pgoff;
	unsigned long end = first + nr;
	unsigned long lo = find_next_bit(bitmap, end, first);
	unsigned long hi;

	if (lo >= end)
		return 0;
	hi = find_last_bit(bitmap, end);
	return wp_shared_mapping_range(mapping, bitmap_pgoff + lo,
				       hi + 1 - lo);
}
EXPORT_SYMBOL_GPL(wp_shared_mapping_bitmap);
