/* pseries-sim psim arch: no ultravisor. A secure guest only shares pages with it, and
 * the guest is never secure (asm/svm.h). */
#ifndef _ASM_PSIM_ULTRAVISOR_H
#define _ASM_PSIM_ULTRAVISOR_H
static inline int uv_share_page(u64 pfn, u64 npages)
{
	return 0;
}
static inline int uv_unshare_page(u64 pfn, u64 npages)
{
	return 0;
}
#endif
