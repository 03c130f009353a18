// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The fault-side pieces of BO write tracking, for a driver to put in the
 * vm_operations_struct of its mappings next to ttm_bo_vm_open() and
 * ttm_bo_vm_close(). Each runs with the BO reserved, like a scan, so a
 * page is never recorded, or its PTE made writable, in the middle of one.
 */

#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>

#include <drm/drm_drv.h>
#include <drm/drm_vma_manager.h>
#include <drm/ttm/ttm_bo_api.h>
#include <drm/ttm/ttm_bo_driver.h>
#include <drm/ttm/ttm_bo_dirty.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_resource.h>
#include <drm/ttm/ttm_tt.h>

#include "ttm_bo_dirty_internal.h"

/*
 * Now, for a fault about to be timed: 0 if the fault will first have to
 * populate the BO's pages (all of them, for TTM), which says nothing of
 * what a recording fault costs and would swamp the estimate.
 */
static u64 ttm_bo_dirty_vm_clock(struct ttm_buffer_object *bo)
{
	if (bo->resource && !bo->resource->bus.is_iomem &&
	    (!bo->ttm || !ttm_tt_is_populated(bo->ttm)))
		return 0;
	return ktime_get_ns();
}

static pgoff_t ttm_bo_dirty_vm_page(struct vm_fault *vmf,
				    struct ttm_buffer_object *bo)
{
	return vmf->pgoff - drm_vma_node_start(&bo->base.vma_node);
}

static unsigned long ttm_bo_dirty_vm_pfn(struct ttm_buffer_object *bo,
					 pgoff_t page)
{
	struct ttm_resource *res = bo->resource;

	if (!res->bus.is_iomem)
		return page_to_pfn(bo->ttm->pages[page]);
	if (bo->bdev->funcs->io_mem_pfn)
		return bo->bdev->funcs->io_mem_pfn(bo, page);
	return (res->bus.offset >> PAGE_SHIFT) + page;
}

#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && defined(CONFIG_ARCH_HAS_PTE_DEVMAP)
/*
 * Map the 2 MiB around the fault with one PMD, if the BO's pages there are
 * physically contiguous and aligned (device memory handed out in aligned
 * chunks can be) and the mapping covers all of them. Returns
 * %VM_FAULT_FALLBACK to map 4 KiB pages instead.
 *
 * Only for mappings that need no write fault per page: a huge entry is
 * written, and dirty, as a whole. The entry is a devmap one so that
 * get_user_pages_fast() does not take it for a normal huge page (a PMD has
 * no special bit) and falls back to the slow path, which refuses the
 * VM_PFNMAP mapping.
 */
static vm_fault_t ttm_bo_dirty_vm_huge(struct vm_fault *vmf,
				       struct ttm_buffer_object *bo,
				       pgprot_t prot)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & HPAGE_PMD_MASK;
	struct ttm_resource *res = bo->resource;
	pgoff_t page = ttm_bo_dirty_vm_page(vmf, bo) -
		((vmf->address - haddr) >> PAGE_SHIFT);
	unsigned long pfn, i;

	if (!vmf->pmd || !pmd_none(*vmf->pmd) || !res || !res->bus.is_iomem)
		return VM_FAULT_FALLBACK;
	if (haddr < vma->vm_start || haddr + HPAGE_PMD_SIZE > vma->vm_end ||
	    page % HPAGE_PMD_NR || page + HPAGE_PMD_NR > PFN_UP(bo->base.size))
		return VM_FAULT_FALLBACK;
	/* ttm_bo_vm_fault_reserved() waits for a busy BO; leave it to that. */
	if (!dma_resv_test_signaled(bo->base.resv, DMA_RESV_USAGE_KERNEL) ||
	    ttm_mem_io_reserve(bo->bdev, res))
		return VM_FAULT_FALLBACK;

	pfn = ttm_bo_dirty_vm_pfn(bo, page);
	if (!IS_ALIGNED(pfn, HPAGE_PMD_NR))
		return VM_FAULT_FALLBACK;
	for (i = 1; i < HPAGE_PMD_NR; i++)
		if (ttm_bo_dirty_vm_pfn(bo, page + i) != pfn + i)
			return VM_FAULT_FALLBACK;

	return vmf_insert_pfn_pmd_prot(vmf,
				       __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP),
				       ttm_io_prot(bo, res, prot), false);
}

/*
 * Whether the fault's PMD is (now) a huge entry. TTM's PTE inserts know
 * nothing of huge entries and would take one for a page table, writing
 * PTEs into the BO's own memory. Stable while we hold the reservation:
 * only our huge fault, under it too, makes one.
 */
static bool ttm_bo_dirty_vm_pmd_huge(struct vm_fault *vmf)
{
	pmd_t pmd;

	if (!vmf->pmd)
		return false;
	pmd = READ_ONCE(*vmf->pmd);
	return pmd_trans_huge(pmd) || pmd_devmap(pmd);
}

/* Pages from the fault to the end of its PMD. */
static pgoff_t ttm_bo_dirty_vm_pmd_left(struct vm_fault *vmf)
{
	return (HPAGE_PMD_SIZE - (vmf->address & ~HPAGE_PMD_MASK)) >>
		PAGE_SHIFT;
}
#else
static vm_fault_t ttm_bo_dirty_vm_huge(struct vm_fault *vmf,
				       struct ttm_buffer_object *bo,
				       pgprot_t prot)
{
	return VM_FAULT_FALLBACK;
}

static bool ttm_bo_dirty_vm_pmd_huge(struct vm_fault *vmf)
{
	return false;
}

static pgoff_t ttm_bo_dirty_vm_pmd_left(struct vm_fault *vmf)
{
	return ULONG_MAX;
}
#endif

/*
 * Insert one huge entry if @huge allows and the BO lends itself to it,
 * else PTEs with @prot; the dummy page once the device is gone.
 */
static vm_fault_t ttm_bo_dirty_vm_insert(struct vm_fault *vmf,
					 struct ttm_buffer_object *bo,
					 pgprot_t prot, pgoff_t num_prefault,
					 bool huge)
{
	vm_fault_t ret = VM_FAULT_FALLBACK;
	int idx;

	if (!drm_dev_enter(bo->base.dev, &idx))
		return ttm_bo_vm_dummy_page(vmf, prot);

	if (huge)
		ret = ttm_bo_dirty_vm_huge(vmf, bo, prot);
	if (ret != VM_FAULT_FALLBACK) {
		if (bo->dirty && !(ret & VM_FAULT_ERROR))
			bo->dirty->huge_mapped = true;
		goto out;
	}

	/*
	 * Another thread's fault mapped this 2 MiB huge while we waited for
	 * the reservation: the access just needs retrying. Prefaulting must
	 * not run into the next PMD either, which may be a huge entry.
	 */
	if (ttm_bo_dirty_vm_pmd_huge(vmf))
		ret = VM_FAULT_NOPAGE;
	else
		ret = ttm_bo_vm_fault_reserved(vmf, prot,
					       min(num_prefault,
						   ttm_bo_dirty_vm_pmd_left(vmf)));
out:
	drm_dev_exit(idx);
	return ret;
}

/* ttm_bo_vm_fault_reserved() dropped the reservation when it retries. */
static bool ttm_bo_dirty_vm_unlocked(vm_fault_t ret, struct vm_fault *vmf)
{
	return ret == VM_FAULT_RETRY &&
		!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT);
}

/**
 * ttm_bo_dirty_vm_fault - fault handler for a BO that may be tracked
 * @vmf: the fault.
 *
 * Inserts PTEs the way the BO's method needs them: read-only for MKWRITE,
 * so that the first write faults into ttm_bo_dirty_vm_mkwrite(), and
 * writable for PAGETABLE, whose writes set hardware dirty bits. A write
 * fault on a MKWRITE BO records its page and maps just that page writable,
 * saving the second fault a read-only insert would cost. Without tracking
 * it behaves as ttm_bo_vm_fault().
 *
 * Context: mmap_lock held for read; takes the BO's reservation.
 * Return: a vm_fault_t, as ttm_bo_vm_fault().
 */
vm_fault_t ttm_bo_dirty_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ttm_buffer_object *bo = vma->vm_private_data;
	struct ttm_bo_dirty *dirty;
	pgoff_t num_prefault = TTM_BO_VM_NUM_PREFAULT;
	pgprot_t prot;
	vm_fault_t ret;
	u64 t0 = 0;
	bool huge;

	ret = ttm_bo_vm_reserve(bo, vmf);
	if (ret)
		return ret;

	dirty = bo->dirty;
	if (!dirty) {
		/* Writable: our pfn_mkwrite made vm_page_prot read-only. */
		prot = vm_get_page_prot(vma->vm_flags);
	} else if (ttm_bo_dirty_vm_page(vmf, bo) >= dirty->num_pages) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	} else if (dirty->policy.method == TTM_BO_DIRTY_PAGETABLE) {
		prot = vm_get_page_prot(vma->vm_flags);
	} else if (vmf->flags & FAULT_FLAG_WRITE) {
		t0 = ttm_bo_dirty_vm_clock(bo);
		ttm_bo_dirty_record_write(dirty, ttm_bo_dirty_vm_page(vmf, bo));
		prot = vm_get_page_prot(vma->vm_flags);
		num_prefault = 1;
	} else {
		/* The private protection of a shared mapping is read-only. */
		prot = vm_get_page_prot(vma->vm_flags & ~VM_SHARED);
	}

	huge = !dirty || ttm_bo_dirty_huge_ok(dirty);
	ret = ttm_bo_dirty_vm_insert(vmf, bo, prot, num_prefault, huge);
	if (t0 && !(ret & VM_FAULT_ERROR))
		ttm_bo_dirty_cost_fault(ktime_get_ns() - t0);
	if (ttm_bo_dirty_vm_unlocked(ret, vmf))
		return ret;
out_unlock:
	dma_resv_unlock(bo->base.resv);
	return ret;
}
EXPORT_SYMBOL(ttm_bo_dirty_vm_fault);

/**
 * ttm_bo_dirty_vm_mkwrite - first write to a read-only PTE of a tracked BO
 * @vmf: the fault.
 *
 * For &vm_operations_struct.pfn_mkwrite and .page_mkwrite. Records the
 * page and makes the PTE writable itself, with the BO still reserved, then
 * returns %VM_FAULT_NOPAGE so the core does not touch the PTE again. Were
 * the core to make it writable after we return, a scan in between would
 * consume the record and find nothing to write-protect, leaving a writable
 * PTE whose writes nobody records.
 *
 * Context: mmap_lock held for read; takes the BO's reservation.
 * Return: %VM_FAULT_NOPAGE, or an error or retry code.
 */
vm_fault_t ttm_bo_dirty_vm_mkwrite(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ttm_buffer_object *bo = vma->vm_private_data;
	pgoff_t page = ttm_bo_dirty_vm_page(vmf, bo);
	unsigned int flags = vmf->flags;
	unsigned long pfn;
	vm_fault_t ret;
	u64 t0;
	int idx;

	/*
	 * The core's pfn_mkwrite path passes the fault's retry flags on but
	 * does not expect mmap_lock to be dropped: after a VM_FAULT_RETRY it
	 * would go on to make the PTE writable, unlocked and unrecorded.
	 * Wait for the reservation (and an idle BO) instead.
	 */
	vmf->flags &= ~(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT);
	ret = ttm_bo_vm_reserve(bo, vmf);
	if (ret)
		goto out_flags;

	if (!bo->dirty) {
		/* Untracked: let the core make the PTE writable. */
		ret = 0;
		goto out_unlock;
	}
	if (page >= bo->dirty->num_pages) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}
	if (!drm_dev_enter(bo->base.dev, &idx)) {
		ret = ttm_bo_vm_dummy_page(vmf, vma->vm_page_prot);
		goto out_unlock;
	}

	t0 = ttm_bo_dirty_vm_clock(bo);
	ttm_bo_dirty_record_write(bo->dirty, page);
	/*
	 * The PTE may have been zapped (by a move) while we waited for the
	 * reservation: put it back first, populated and with the caching
	 * the placement wants. Then upgrade the PTE, which now maps this
	 * page of the current placement, to writable and dirty.
	 */
	ret = ttm_bo_vm_fault_reserved(vmf, vm_get_page_prot(vma->vm_flags),
				       1);
	if (!(ret & VM_FAULT_ERROR)) {
		pfn = ttm_bo_dirty_vm_pfn(bo, page);
		ret = vmf_insert_mixed_mkwrite(vma, vmf->address,
					       __pfn_to_pfn_t(pfn, PFN_SPECIAL));
		if (t0)
			ttm_bo_dirty_cost_fault(ktime_get_ns() - t0);
	}
	drm_dev_exit(idx);
out_unlock:
	dma_resv_unlock(bo->base.resv);
out_flags:
	vmf->flags = flags;
	return ret;
}
EXPORT_SYMBOL(ttm_bo_dirty_vm_mkwrite);

/**
 * ttm_bo_dirty_vm_close - a mapping of a BO goes away
 * @vma: the mapping, whose PTEs the core has already zapped.
 *
 * For &vm_operations_struct.close, in place of ttm_bo_vm_close(). The core
 * zaps the PTEs of an munmap()ed or exiting mapping before it tells the
 * driver, and the zap drops the dirty bits PAGETABLE relies on: there is
 * no hook in between. So for a PAGETABLE BO every page the mapping could
 * have written is recorded, which over-reports but never loses a write.
 * MKWRITE records its written pages at fault time, but a BO that is
 * MKWRITE now may have been PAGETABLE when this mapping was zapped: the
 * switch in between saw none of its PTEs. So a BO that ever left
 * PAGETABLE records the whole range too.
 */
void ttm_bo_dirty_vm_close(struct vm_area_struct *vma)
{
	struct ttm_buffer_object *bo = vma->vm_private_data;
	struct ttm_bo_dirty *dirty = bo->dirty;
	pgoff_t first;

	if (dirty && (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
	    (VM_SHARED | VM_MAYWRITE)) {
		first = vma->vm_pgoff - drm_vma_node_start(&bo->base.vma_node);
		dma_resv_lock(bo->base.resv, NULL);
		if (dirty->policy.method == TTM_BO_DIRTY_PAGETABLE ||
		    dirty->left_pagetable)
			ttm_bo_dirty_mark(dirty, first, first + vma_pages(vma));
		dma_resv_unlock(bo->base.resv);
	}
	ttm_bo_vm_close(vma);
}
EXPORT_SYMBOL(ttm_bo_dirty_vm_close);

/**
 * ttm_bo_dirty_vm_may_split - a mapping of a BO is about to be split
 * @vma: the mapping.
 * @addr: where it is split.
 *
 * For &vm_operations_struct.may_split. munmap(), mprotect() and mremap()
 * of part of a mapping split it first, and then split any huge entry that
 * straddles the new boundary, which for a pfn mapping means zapping it,
 * dirty bit and all, while the rest of the mapping stays. So a PAGETABLE
 * BO harvests its dirty bits here, before anything is zapped.
 *
 * Context: mmap_lock held for write; takes the BO's reservation.
 * Return: 0, the split may go ahead.
 */
int ttm_bo_dirty_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct ttm_buffer_object *bo = vma->vm_private_data;

	if (bo->dirty) {
		dma_resv_lock(bo->base.resv, NULL);
		ttm_bo_dirty_harvest(bo);
		dma_resv_unlock(bo->base.resv);
	}
	return 0;
}
EXPORT_SYMBOL(ttm_bo_dirty_vm_may_split);

/**
 * ttm_bo_dirty_vm_access - ptrace and /proc/pid/mem access to a BO
 * @vma: the mapping.
 * @addr: user address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: non-zero to write to the BO.
 *
 * As ttm_bo_vm_access(), which writes through a kernel mapping and so
 * bypasses the PTEs; the pages written are recorded afterwards, before
 * the caller learns the write is done.
 *
 * Return: bytes accessed, or a negative error code.
 */
int ttm_bo_dirty_vm_access(struct vm_area_struct *vma, unsigned long addr,
			   void *buf, int len, int write)
{
	struct ttm_buffer_object *bo = vma->vm_private_data;
	unsigned long offset;
	int ret;

	ret = ttm_bo_vm_access(vma, addr, buf, len, write);
	if (ret <= 0 || !write || !bo->dirty)
		return ret;

	offset = addr - vma->vm_start +
		((vma->vm_pgoff - drm_vma_node_start(&bo->base.vma_node))
		 << PAGE_SHIFT);
	/* Not interruptible: the bytes are already in the BO. */
	dma_resv_lock(bo->base.resv, NULL);
	ttm_bo_dirty_mark(bo->dirty, offset >> PAGE_SHIFT,
			  PFN_UP(offset + ret));
	dma_resv_unlock(bo->base.resv);
	return ret;
}
EXPORT_SYMBOL(ttm_bo_dirty_vm_access);
