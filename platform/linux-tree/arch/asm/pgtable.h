#ifndef _ASM_PSIM_PGTABLE_H
#define _ASM_PSIM_PGTABLE_H
/* No MMU (as arch/arm's pgtable-nommu.h). */
#include <asm-generic/pgtable-nopud.h>
#define pgd_present(pgd)	(1)
#define pgd_none(pgd)		(0)
#define pgd_bad(pgd)		(0)
#define pgd_clear(pgdp)
#define PAGE_NONE		__pgprot(0)
#define PAGE_SHARED		__pgprot(0)
#define PAGE_COPY		__pgprot(0)
#define PAGE_READONLY		__pgprot(0)
#define PAGE_KERNEL		__pgprot(0)
#define pmd_page(pmd) ((struct page *)0)
#define swapper_pg_dir ((pgd_t *) 0)
#define ZERO_PAGE(vaddr)	(virt_to_page(0))
#define VMALLOC_START	0UL
#define VMALLOC_END	0xffffffffUL
#endif
