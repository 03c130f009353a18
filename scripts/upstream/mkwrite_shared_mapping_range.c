// SPDX-License-Identifier: GPL-2.0
/*
 * Appended by scripts/build-kernel.sh to upstream 6.1's
 * mm/mapping_dirty_helpers.c for the comparison kernel (MM_HELPERS=upstream,
 * make bench). Upstream has no mkwrite_shared_mapping_range(); a user of
 * upstream's API unmaps the range instead, so that faults map it again
 * writable. For TTM's switch to PAGETABLE that loses nothing either: every
 * writable entry maps a page already recorded.
 */
unsigned long mkwrite_shared_mapping_range(struct address_space *mapping,
					   pgoff_t first_index, pgoff_t nr)
{
	if (nr)
		unmap_mapping_pages(mapping, first_index, nr, false);
	return 0;
}
EXPORT_SYMBOL_GPL(mkwrite_shared_mapping_range);
