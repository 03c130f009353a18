// SPDX-License-Identifier: GPL-2.0
/*
 * Write-protect, or clean and record, the page table entries that map a
 * range of an address_space, in every process that maps it.
 *
 * A driver that must learn which pages of a buffer user space wrote through
 * a shared mapping (for example TTM, to emulate coherent memory for a device
 * that does not snoop the CPU) has two tools:
 *
 * - wp_shared_mapping_range() removes write permission, so that the next
 *   store to each page faults into the driver's page_mkwrite() or
 *   pfn_mkwrite() handler, where the driver records it. Cheap when few
 *   pages are written.
 * - clean_record_shared_mapping_range() clears the dirty bit the CPU set on
 *   each written page and reports the page in a bitmap. Cheap when many
 *   pages are written, as stores do not fault.
 *
 * A driver that goes from the first to the second, with stores faulting no
 * more, can give write permission back with mkwrite_shared_mapping_range()
 * rather than unmap the range and fault it all in again.
 *
 * The walking itself is walk_page_mapping()'s: it visits every VMA of the
 * address_space that overlaps the range, under the mapping's i_mmap_rwsem
 * and without any mmap_lock, and hands us each entry under its page table
 * lock. What lives here are the callbacks, and the bracket around each VMA
 * that keeps the CPU TLBs and the secondary MMUs in step with the change.
 */
#include <linux/mm.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm_inline.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/pagewalk.h>
#include <asm/cacheflush.h>
#include <asm/tlbflush.h>

#include "internal.h"

/**
 * struct dirty_walk - State of one write-protect or clean walk
 * @range: The mmu_notifier range of the VMA being walked: the part of the
 *	VMA that maps the requested index range.
 * @flush_start: Lowest address whose entry was changed in this VMA.
 * @flush_end: End of the highest page whose entry was changed in this VMA;
 *	not above @flush_start if nothing was changed.
 * @total: Number of entries changed, over all VMAs.
 * @bitmap: Where to record dirty pages; NULL when write-protecting or
 *	making writable.
 * @mkwrite: Make read-only entries writable, rather than write-protect.
 * @only: When write-protecting, the pages to write-protect, or NULL for
 *	all in the range.
 * @bitmap_pgoff: Page offset in the address_space of bit 0 of @bitmap or
 *	@only.
 * @rec_start: Lowest bit set by this walk.
 * @rec_end: Highest bit set by this walk, plus one; not above @rec_start if
 *	no bit was set.
 */
struct dirty_walk {
	struct mmu_notifier_range range;
	unsigned long flush_start;
	unsigned long flush_end;
	unsigned long total;
	unsigned long *bitmap;
	const unsigned long *only;
	bool mkwrite;
	pgoff_t bitmap_pgoff;
	pgoff_t rec_start;
	pgoff_t rec_end;
};

/* Note an entry of @addr as changed, for the count and the TLB flush. */
static inline void dirty_walk_changed(struct dirty_walk *dw,
				      unsigned long addr, unsigned long size)
{
	dw->total++;
	dw->flush_start = min(dw->flush_start, addr);
	dw->flush_end = max(dw->flush_end, addr + size);
}

/* Record the @npages pages mapped from @addr on as dirty in the bitmap. */
static inline void dirty_walk_record(struct dirty_walk *dw,
				     struct vm_area_struct *vma,
				     unsigned long addr, unsigned long npages)
{
	pgoff_t bit = linear_page_index(vma, addr) - dw->bitmap_pgoff;

	if (npages == 1)
		__set_bit(bit, dw->bitmap);
	else
		bitmap_set(dw->bitmap, bit, npages);
	dw->rec_start = min(dw->rec_start, bit);
	dw->rec_end = max(dw->rec_end, bit + npages);
}

/*
 * The tests of the two entry functions below look at the write or dirty
 * bit first, as nearly every entry a walk skips fails on that one, and
 * only then at the present bit. Swap, migration and marker entries are
 * not present and their bits mean something else (on x86 the "write" bit
 * of a swap entry is its soft-dirty bit), so both tests are needed.
 * Present entries cannot become anything else while we hold the page
 * table lock; only the accessed and dirty bits may still be set by the
 * hardware, and ptep_modify_prot_start() takes them with it.
 */

/* Write-protect one PTE, under its page table lock. */
static inline void wp_one_pte(struct dirty_walk *dw,
			      struct vm_area_struct *vma, pte_t *pte,
			      unsigned long addr)
{
	pte_t old = ptep_get(pte);

	if (!pte_write(old) || !pte_present(old))
		return;

	old = ptep_modify_prot_start(vma, addr, pte);
	ptep_modify_prot_commit(vma, addr, pte, old, pte_wrprotect(old));
	dirty_walk_changed(dw, addr, PAGE_SIZE);
}

/* Clean one PTE and record its page if it was dirty, under its lock. */
static inline void clean_one_pte(struct dirty_walk *dw,
				 struct vm_area_struct *vma, pte_t *pte,
				 unsigned long addr)
{
	struct page *page;
	pte_t old = ptep_get(pte);

	/*
	 * A CPU may set the dirty bit right after this look: then the page
	 * is written after we started and stays dirty for the next call,
	 * which is all we promise.
	 */
	if (!pte_dirty(old) || !pte_present(old))
		return;

	/*
	 * Clear the entry while reading it, rather than read it and write
	 * back a clean copy: between a read and a write a CPU holding a
	 * writable but clean translation could set the dirty bit, and we
	 * would wipe it without reporting the page. With the entry cleared,
	 * such a CPU faults instead and waits for our page table lock.
	 */
	old = ptep_modify_prot_start(vma, addr, pte);
	ptep_modify_prot_commit(vma, addr, pte, old, pte_mkclean(old));

	/*
	 * Core mm never drops the dirty bit of an entry without passing it
	 * on to the page, or writeback and reclaim would lose data. Driver
	 * mappings (special or pfn entries) have no such page, but a page
	 * cache or shmem page must stay dirty. As in zap_pte_range(), the
	 * mapped entry and the page table lock keep truncation away. A
	 * special entry, what TTM maps, never has one: skip the lookup.
	 */
	if (!pte_special(old)) {
		page = vm_normal_page(vma, addr, old);
		if (page && !PageAnon(page))
			set_page_dirty(page);
	}

	dirty_walk_changed(dw, addr, PAGE_SIZE);
	dirty_walk_record(dw, vma, addr, 1);
}

/*
 * Make one read-only PTE writable and clean, under its page table lock.
 * Only a special entry, which maps no struct page: for a page that has
 * one, the write fault is how its filesystem learns it is written, and we
 * leave that fault to happen. Clean, as the caller recorded every page
 * written so far: a dirty bit from before the write-protect that made the
 * entry read-only says nothing new. Giving a permission needs no TLB
 * flush: a CPU still holding the read-only translation takes a spurious
 * fault, which finds the entry writable and just retries.
 */
static inline void mkwrite_one_pte(struct dirty_walk *dw,
				   struct vm_area_struct *vma, pte_t *pte,
				   unsigned long addr)
{
	pte_t old = ptep_get(pte);

	if (pte_write(old) || !pte_present(old) || !pte_special(old))
		return;

	old = ptep_modify_prot_start(vma, addr, pte);
	ptep_modify_prot_commit(vma, addr, pte, old,
				pte_mkwrite(pte_mkclean(old)));
	dw->total++;
}

/*
 * The bits of @dw->only for the pages mapped at [@addr, @end) are
 * [*@first, *@last); returns the first of them that is set, or *@last.
 */
static pgoff_t dirty_walk_first_only(struct dirty_walk *dw,
				     struct vm_area_struct *vma,
				     unsigned long addr, unsigned long end,
				     pgoff_t *first, pgoff_t *last)
{
	*first = linear_page_index(vma, addr) - dw->bitmap_pgoff;
	*last = *first + ((end - addr) >> PAGE_SHIFT);
	return find_next_bit(dw->only, *last, *first);
}

/*
 * The entries of one page table that map [@addr, @end), under the table's
 * lock. We loop over them here rather than have the walker call us per
 * entry: the loop body is then a few instructions for an entry skipped,
 * where an indirect call per entry cost several times that.
 *
 * When write-protecting only the pages selected by @dw->only, the other
 * entries are not even read, and a table without any selected page is
 * not locked: after sparse write faults, the cost is that of the pages
 * faulted on, not of the range.
 *
 * Under the lock and before the first entry: if reclaim cleared entries
 * of this mm and deferred the TLB flush, do it now. Without this we could
 * see such an entry empty, skip it and return while another CPU can still
 * write through the old translation.
 */
static void dirty_walk_table(struct dirty_walk *dw, struct mm_walk *walk,
			     pmd_t *pmd, unsigned long addr,
			     unsigned long end)
{
	struct vm_area_struct *vma = walk->vma;
	pgoff_t first = 0, last = 0, bit = 0;
	spinlock_t *ptl;	/* the page table's lock */
	pte_t *table, *pte;

	if (dw->only) {
		bit = dirty_walk_first_only(dw, vma, addr, end, &first, &last);
		if (bit >= last)
			return;
	}

	table = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	flush_tlb_batched_pending(walk->mm);

	if (dw->only) {
		for (; bit < last; bit = find_next_bit(dw->only, last, bit + 1))
			wp_one_pte(dw, vma, table + (bit - first),
				   addr + ((bit - first) << PAGE_SHIFT));
	} else if (dw->bitmap) {
		for (pte = table; addr < end; pte++, addr += PAGE_SIZE)
			clean_one_pte(dw, vma, pte, addr);
	} else if (dw->mkwrite) {
		/*
		 * Read under the lock: mprotect() clears VM_WRITE before it
		 * takes this lock to write-protect the entries, so either
		 * we see the flag cleared or it comes after us.
		 */
		if (READ_ONCE(vma->vm_flags) & VM_WRITE)
			for (pte = table; addr < end; pte++, addr += PAGE_SIZE)
				mkwrite_one_pte(dw, vma, pte, addr);
	} else {
		for (pte = table; addr < end; pte++, addr += PAGE_SIZE)
			wp_one_pte(dw, vma, pte, addr);
	}

	pte_unmap_unlock(table, ptl);
}

/*
 * A huge entry maps [@addr, @next) of the walk: the walker has clipped it
 * to the VMA and to the requested range, but the entry itself may reach
 * further. Nothing here splits one: splitting a huge pfn entry zaps it,
 * dirty bit and all, and needs the mmap_lock we do not hold.
 */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * A huge PMD, handled whole under its lock: a writable one is
 * write-protected, a dirty one cleaned and every page it maps recorded.
 * One that reaches outside the requested range is left as it is (cleaning
 * it would drop the dirty state of pages the caller did not ask about);
 * its pages in the range are recorded if it is dirty, and it stays dirty,
 * so it is reported again: over-reporting, never losing a write.
 */
static void dirty_walk_huge_pmd(struct dirty_walk *dw, struct mm_walk *walk,
				pmd_t *pmd, unsigned long addr,
				unsigned long next)
{
	struct vm_area_struct *vma = walk->vma;
	unsigned long haddr = addr & HPAGE_PMD_MASK;
	bool whole = haddr == addr && next - addr == HPAGE_PMD_SIZE;
	struct page *page;
	spinlock_t *ptl;	/* the PMD's page table lock */
	pmd_t old;

	ptl = pmd_lock(walk->mm, pmd);
	old = *pmd;
	if (!pmd_present(old) || !(pmd_trans_huge(old) || pmd_devmap(old)))
		goto out_unlock;

	if (!dw->bitmap) {
		if (!pmd_write(old) || !whole)
			goto out_unlock;
		if (dw->only) {
			pgoff_t first, last;

			if (dirty_walk_first_only(dw, vma, addr, next, &first,
						  &last) >= last)
				goto out_unlock;
		}
		/* Invalidate first, so no CPU sets a bit we then overwrite. */
		old = pmdp_invalidate(vma, haddr, pmd);
		set_pmd_at(walk->mm, haddr, pmd, pmd_wrprotect(old));
		dirty_walk_changed(dw, haddr, HPAGE_PMD_SIZE);
		goto out_unlock;
	}

	if (!pmd_dirty(old))
		goto out_unlock;
	if (whole) {
		old = pmdp_invalidate(vma, haddr, pmd);
		set_pmd_at(walk->mm, haddr, pmd, pmd_mkclean(old));
		/* As for a PTE: a page cache THP must stay dirty. */
		page = vm_normal_page_pmd(vma, haddr, old);
		if (page && !PageAnon(page))
			set_page_dirty(page);
		dirty_walk_changed(dw, haddr, HPAGE_PMD_SIZE);
	}
	dirty_walk_record(dw, vma, addr, (next - addr) >> PAGE_SHIFT);
out_unlock:
	spin_unlock(ptl);
}

#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
/*
 * Huge PUDs: nothing maps them for a driver yet, so only the safe part:
 * a dirty one has its pages in the range recorded and stays dirty, a
 * writable one stays writable.
 */
static void dirty_walk_huge_pud(struct dirty_walk *dw, struct mm_walk *walk,
				unsigned long addr, unsigned long next,
				bool dirty)
{
	if (dw->bitmap && dirty)
		dirty_walk_record(dw, walk->vma, addr,
				  (next - addr) >> PAGE_SHIFT);
}
#endif
#endif

/*
 * PUD and PMD callbacks: let the walker descend to the page tables, walk
 * each table ourselves, and keep the walker away from everything else.
 * Left to itself the walker would split a huge entry it meets (see
 * walk_pmd_range()), which needs the mmap_lock we do not hold, and which
 * zaps pfn and file entries. Page tables cannot go away or turn into huge
 * entries under us: freeing them, collapsing them and moving them whole
 * all take the i_mmap_rwsem for write.
 */
static int dirty_walk_pud(pud_t *pud, unsigned long addr, unsigned long next,
			  struct mm_walk *walk)
{
	pud_t val = READ_ONCE(*pud);

	if (pud_present(val) && !pud_leaf(val) && !pud_trans_huge(val) &&
	    !pud_devmap(val)) {
		walk->action = ACTION_SUBTREE;
		return 0;
	}

	/* Empty (zapped since the walker looked), huge, or not present. */
	walk->action = ACTION_CONTINUE;
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && \
	defined(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD)
	if (pud_present(val))
		dirty_walk_huge_pud(walk->private, walk, addr, next,
				    pud_dirty(val));
#endif
	return 0;
}

static int dirty_walk_pmd(pmd_t *pmd, unsigned long addr, unsigned long next,
			  struct mm_walk *walk)
{
	struct dirty_walk *dw = walk->private;
	pmd_t val = pmd_read_atomic(pmd);

	if (pmd_present(val) && !pmd_leaf(val) && !pmd_trans_huge(val) &&
	    !pmd_devmap(val)) {
		dirty_walk_table(dw, walk, pmd, addr, next);
		walk->action = ACTION_CONTINUE;
		return 0;
	}

	/*
	 * Empty (zapped since the walker looked), huge, or not present (a
	 * huge entry under migration: its bits are not those of a mapping).
	 */
	walk->action = ACTION_CONTINUE;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	/* A read-only huge entry is left to fault: see the kernel-doc. */
	if (pmd_present(val) && !dw->mkwrite)
		dirty_walk_huge_pmd(dw, walk, pmd, addr, next);
#endif
	return 0;
}

/*
 * Which VMAs to touch. Only the immutable flags are tested: the mmap_lock
 * that guards the others is not held, so VM_WRITE may change under us.
 *
 * - VM_SHARED: in a private mapping, writes go to anonymous copies and
 *   never reach the address_space, and the entries of pages not yet copied
 *   are read-only anyway. Skipping private VMAs also keeps us off the COW
 *   pages. A MAP_SHARED mapping of a file opened read-only has VM_MAYSHARE
 *   but neither VM_SHARED nor VM_MAYWRITE, and is skipped too.
 * - VM_MAYWRITE, not VM_WRITE: a shared VMA that was writable and then
 *   mprotect()ed read-only can still hold dirty entries (mprotect() keeps
 *   the dirty bit), and those must be reported and cleaned; mprotect() may
 *   also make it writable again at any time, restoring write permission on
 *   entries that are dirty without a fault. Without VM_MAYWRITE a VMA has
 *   never been writable (VM_MAYWRITE is only ever cleared before the VMA
 *   is set up, for a read-only file or a write-sealed memfd, and
 *   mprotect() refuses PROT_WRITE without it), so it can have neither
 *   writable nor dirty entries: nothing to do there.
 * - not VM_HUGETLB: hugetlb entries are not walked by entry callbacks and
 *   hugetlbfs has no use for this.
 *
 * Returning 1 skips only this VMA (see walk_page_mapping()).
 */
static int dirty_walk_test(unsigned long start, unsigned long end,
			   struct mm_walk *walk)
{
	unsigned long vm_flags = READ_ONCE(walk->vma->vm_flags);

	if ((vm_flags & (VM_SHARED | VM_MAYWRITE | VM_HUGETLB)) !=
	    (VM_SHARED | VM_MAYWRITE))
		return 1;

	return 0;
}

/*
 * Open the bracket around one VMA, whose part [@start, @end) is about to be
 * walked.
 *
 * The mmu_notifier range makes secondary MMUs (KVM, devices sharing the
 * page tables) drop their translations for the range and not take new ones
 * until the bracket closes; afterwards they fault again through the updated
 * entries. PROTECTION_PAGE: only the write permission or dirty bit of some
 * entries changes, which ones can only be learned from the page tables. No
 * owner: the change is not made on behalf of any device, so no device may
 * ignore it. No flags: invalidate_range_start() marks the range blockable
 * itself, and we may sleep here (i_mmap_rwsem is a sleeping lock).
 *
 * inc_tlb_flush_pending() tells others changing entries of this mm that a
 * flush is owed for entries they may find already changed by us; it must
 * come before our first change.
 */
static int dirty_walk_pre_vma(unsigned long start, unsigned long end,
			      struct mm_walk *walk)
{
	struct dirty_walk *dw = walk->private;

	dw->flush_start = end;
	dw->flush_end = start;

	mmu_notifier_range_init_owner(&dw->range, MMU_NOTIFY_PROTECTION_PAGE,
				      0, walk->vma, walk->mm, start, end, NULL);
	mmu_notifier_invalidate_range_start(&dw->range);
	flush_cache_range(walk->vma, start, end);
	inc_tlb_flush_pending(walk->mm);

	return 0;
}

/*
 * Close the bracket: flush the CPU TLBs, end the notifier range (which also
 * flushes the TLBs of devices sharing the CPU page tables), and only then
 * drop our pending-flush count.
 *
 * Why changing the entries first and flushing last is safe. The caller acts
 * on our result only once we return: it copies the pages we reported, or
 * counts on stores faulting. Until the flush, another CPU may still write
 * through a translation it cached before our change, without touching the
 * entry (a cached translation that is writable and already dirty). Each
 * such store completes before the flush does, as the flush waits for every
 * CPU to drop the translation; so it lands before we return, before the
 * caller copies the page, and the page was reported if we cleaned it (a
 * write-protected entry keeps its dirty bit for the clean that follows).
 * After the flush, every store walks the page tables again: it faults on an
 * entry we write-protected, or sets again the dirty bit of one we cleaned,
 * for the next clean to report. So nothing is written after we return
 * without leaving a trace.
 *
 * The flush covers only the span we changed, and is skipped if we changed
 * nothing, unless someone else changing entries of this mm has a flush
 * pending too (another of our walks, mprotect(), a zap...). It may have
 * changed entries that we then found read-only or clean already and
 * skipped, and not have flushed them yet; returning before its flush would
 * break the promise above. Then flush all of [start, end), as
 * tlb_finish_mmu() does for the same reason.
 */
static void dirty_walk_post_vma(struct mm_walk *walk)
{
	struct dirty_walk *dw = walk->private;

	if (mm_tlb_flush_nested(walk->mm))
		flush_tlb_range(walk->vma, dw->range.start, dw->range.end);
	else if (dw->flush_end > dw->flush_start)
		flush_tlb_range(walk->vma, dw->flush_start, dw->flush_end);

	mmu_notifier_invalidate_range_end(&dw->range);
	dec_tlb_flush_pending(walk->mm);
}

/* One set for every walk: what a walk does is in its struct dirty_walk. */
static const struct mm_walk_ops dirty_walk_ops = {
	.pud_entry	= dirty_walk_pud,
	.pmd_entry	= dirty_walk_pmd,
	.test_walk	= dirty_walk_test,
	.pre_vma	= dirty_walk_pre_vma,
	.post_vma	= dirty_walk_post_vma,
};

static void dirty_walk_mapping(struct address_space *mapping,
			       pgoff_t first_index, pgoff_t nr,
			       struct dirty_walk *dw)
{
	/*
	 * Our callbacks never fail nor stop the walk, so walk_page_mapping()
	 * has nothing to report.
	 */
	i_mmap_lock_read(mapping);
	walk_page_mapping(mapping, first_index, nr, &dirty_walk_ops, dw);
	i_mmap_unlock_read(mapping);
}

/**
 * wp_shared_mapping_range - Write-protect every entry mapping a range of an
 * address_space
 * @mapping: The address_space.
 * @first_index: Page offset in @mapping of the first page of the range.
 * @nr: Number of pages in the range.
 *
 * Removes write permission from every page table entry, in every process,
 * that maps a page of [@first_index, @first_index + @nr) of @mapping through
 * a shared mapping that may be writable (VM_SHARED and VM_MAYWRITE; private
 * and hugetlb mappings are left alone). The dirty bits are kept. When this
 * returns, no CPU TLB and no secondary MMU holds a writable translation of
 * such an entry, so the next store to any of the pages faults into the
 * page_mkwrite() or pfn_mkwrite() handler of the mapping.
 *
 * Meant for mappings whose entries only their fault handlers create (driver
 * pfn or mixed maps, such as TTM's). Entries that are not present (swap or
 * migration entries) are left as they are. A huge PMD entry is
 * write-protected whole, never split, if it lies inside the range; one
 * that reaches outside it, and huge PUD entries, are left writable.
 *
 * Locking: takes @mapping->i_mmap_rwsem for read; no mmap_lock is needed or
 * taken. Must be called from process context, may sleep. The caller must
 * not hold i_mmap_rwsem nor any page table lock; holding an mmap_lock or a
 * driver lock that is taken outside i_mmap_rwsem elsewhere (as TTM's
 * buffer object reservation) is fine. Faults are not blocked: a fault
 * running concurrently (under its mmap_lock, not i_mmap_rwsem) may install
 * a writable entry right after we passed. A caller that needs none to
 * appear must hold the lock its fault and mkwrite handlers take; for TTM,
 * the reservation of the buffer object.
 *
 * Return: The number of entries write-protected. Entries that were already
 * read-only are not counted; an entry mapped in several VMAs counts once
 * per VMA.
 */
unsigned long wp_shared_mapping_range(struct address_space *mapping,
				      pgoff_t first_index, pgoff_t nr)
{
	struct dirty_walk dw = { };

	if (!nr)
		return 0;

	dirty_walk_mapping(mapping, first_index, nr, &dw);

	return dw.total;
}
EXPORT_SYMBOL_GPL(wp_shared_mapping_range);

/**
 * wp_shared_mapping_bitmap - Write-protect the entries mapping the pages of
 * a range of an address_space that a bitmap selects
 * @mapping: The address_space.
 * @first_index: Page offset in @mapping of the first page of the range.
 * @nr: Number of pages in the range.
 * @bitmap_pgoff: Page offset in @mapping of the page of bit 0 of @bitmap;
 *	not above @first_index.
 * @bitmap: Which pages to write-protect: bit (page offset - @bitmap_pgoff).
 *	Only read; the caller keeps it stable during the call.
 *
 * As wp_shared_mapping_range(), for the pages of the range whose bit is
 * set; the entries of the others are neither changed nor read, and a page
 * table without any such page is skipped whole. For a caller that knows
 * which entries it made writable, as a driver does whose page_mkwrite() or
 * pfn_mkwrite() handler recorded them: write-protecting a few pages of a
 * large range then costs the pages, not the range. A huge PMD entry is
 * write-protected whole if it lies inside the range and any of its pages
 * has its bit set.
 *
 * Locking: as for wp_shared_mapping_range().
 *
 * Return: The number of entries write-protected, counted as by
 * wp_shared_mapping_range().
 */
unsigned long wp_shared_mapping_bitmap(struct address_space *mapping,
				       pgoff_t first_index, pgoff_t nr,
				       pgoff_t bitmap_pgoff,
				       const unsigned long *bitmap)
{
	struct dirty_walk dw = {
		.only = bitmap,
		.bitmap_pgoff = bitmap_pgoff,
	};

	/* A bit below the bitmap would be read before its start. */
	if (WARN_ON_ONCE(bitmap_pgoff > first_index) || !nr)
		return 0;

	dirty_walk_mapping(mapping, first_index, nr, &dw);

	return dw.total;
}
EXPORT_SYMBOL_GPL(wp_shared_mapping_bitmap);

/**
 * clean_record_shared_mapping_range - Clean every entry mapping a range of
 * an address_space and record which were dirty
 * @mapping: The address_space.
 * @first_index: Page offset in @mapping of the first page of the range.
 * @nr: Number of pages in the range.
 * @bitmap_pgoff: Page offset in @mapping of the page of bit 0 of @bitmap;
 *	not above @first_index.
 * @bitmap: Bitmap of at least @first_index + @nr - @bitmap_pgoff bits,
 *	updated with non-atomic bit operations, so the caller must keep other
 *	writers of it away.
 * @start: In: the lowest bit already set in @bitmap; out: the lowest bit
 *	set in it, counting the bits set by this call.
 * @end: In: the highest bit already set in @bitmap plus one; out: the
 *	highest bit set in it plus one, counting the bits set by this call.
 *
 * Clears the dirty bit of every page table entry, in every process, that
 * maps a page of [@first_index, @first_index + @nr) of @mapping through a
 * shared mapping that may be writable (VM_SHARED and VM_MAYWRITE; private
 * and hugetlb mappings are left alone), and for each entry it cleans sets
 * the bit of its page: page offset - @bitmap_pgoff. Bits already set stay
 * set. [@start, @end) is widened to cover the bits this call sets; a caller
 * with no bit set yet passes *@start >= *@end (for example a large value
 * and 0), and if no bit gets set, *@start and *@end are left as they were.
 * Write permission is kept.
 *
 * Meant for mappings whose entries only their fault handlers create (driver
 * pfn or mixed maps, such as TTM's). If a cleaned entry maps a page cache
 * page, the page is marked dirty, so writeback loses nothing. Entries that
 * are not present (swap or migration entries) are left as they are. A dirty
 * huge PMD entry inside the range is cleaned whole, never split, and every
 * page it maps reported. One that reaches outside the range, or a huge PUD
 * entry, is not cleaned: its pages in the range are reported, and again on
 * every call while it stays dirty.
 *
 * Guarantees, without any further locking:
 * a) every page whose entry is dirty when the call starts is reported;
 * b) a page written after that is reported, or left with a dirty entry for
 *    the next call, or both: no write is lost, though it may be reported
 *    by a later call than the one during which it happened.
 *
 * For an exact snapshot, with no page written between the report and the
 * moment the caller looks at the pages: hold the lock that the fault and
 * mkwrite handlers of the mapping take (for TTM, the buffer object's
 * reservation), call wp_shared_mapping_range() first, then this function.
 * Once write-protected, a page can only be written after a fault that
 * waits for that lock; the clean then picks up everything written before.
 *
 * Locking: as for wp_shared_mapping_range(): takes @mapping->i_mmap_rwsem
 * for read, no mmap_lock; process context, may sleep; the caller holds
 * neither i_mmap_rwsem nor a page table lock.
 *
 * Return: The number of dirty entries cleaned. A page dirty in several VMAs
 * counts once per VMA, though it has one bit.
 */
unsigned long clean_record_shared_mapping_range(struct address_space *mapping,
						pgoff_t first_index, pgoff_t nr,
						pgoff_t bitmap_pgoff,
						unsigned long *bitmap,
						pgoff_t *start,
						pgoff_t *end)
{
	struct dirty_walk dw = {
		.bitmap = bitmap,
		.bitmap_pgoff = bitmap_pgoff,
		.rec_start = ULONG_MAX,
		.rec_end = 0,
	};

	/* A bit below the bitmap would be written before its start. */
	if (WARN_ON_ONCE(bitmap_pgoff > first_index) || !nr)
		return 0;

	dirty_walk_mapping(mapping, first_index, nr, &dw);

	if (dw.rec_end > dw.rec_start) {
		if (*start < *end) {
			*start = min(*start, dw.rec_start);
			*end = max(*end, dw.rec_end);
		} else {
			*start = dw.rec_start;
			*end = dw.rec_end;
		}
	}

	return dw.total;
}
EXPORT_SYMBOL_GPL(clean_record_shared_mapping_range);

/**
 * mkwrite_shared_mapping_range - Give write permission back to the entries
 * mapping a range of an address_space
 * @mapping: The address_space.
 * @first_index: Page offset in @mapping of the first page of the range.
 * @nr: Number of pages in the range.
 *
 * Makes writable, and clean, every read-only page table entry, in every
 * process, that maps a page of [@first_index, @first_index + @nr) of
 * @mapping through a shared mapping that is writable now (VM_SHARED,
 * VM_MAYWRITE and VM_WRITE; private and hugetlb mappings are left alone).
 * For a driver that write-protected the range with
 * wp_shared_mapping_range() to learn of writes by fault, and now tracks
 * them by dirty bits instead: the entries stay, where unmapping the range
 * would make it fault in again.
 *
 * Only special entries, which driver pfn maps such as TTM's insert and
 * which map no struct page, are changed. An entry of a page cache page,
 * a huge entry, and an entry that is not present are left as they are:
 * the next store to them faults as before.
 *
 * The caller must have recorded every page written so far: the dirty bit
 * of an entry made writable is cleared. Write-protected entries only have
 * one left from writes before their write-protect, which the fault after
 * it already reported; a store after this call sets it again.
 *
 * Locking: as for wp_shared_mapping_range(). The caller must hold the lock
 * its fault and mkwrite handlers take (for TTM, the buffer object's
 * reservation), so that none of them runs for these entries meanwhile.
 *
 * Return: The number of entries made writable, counted as by
 * wp_shared_mapping_range().
 */
unsigned long mkwrite_shared_mapping_range(struct address_space *mapping,
					   pgoff_t first_index, pgoff_t nr)
{
	struct dirty_walk dw = {
		.mkwrite = true,
	};

	if (!nr)
		return 0;

	dirty_walk_mapping(mapping, first_index, nr, &dw);

	return dw.total;
}
EXPORT_SYMBOL_GPL(mkwrite_shared_mapping_range);
