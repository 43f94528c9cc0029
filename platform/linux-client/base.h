/* pseries-sim, bottom layer: what the bottom (base.c) offers the C client's own files
 * beyond the kernel environment msi.c sees (not seen by msi.c): the host's callbacks and
 * context, MMIO through them, the machine's initcalls.
 * Includes only the bottom layer's headers: psim_base.h (the kernel environment's
 * bottom) and psim_host.h (the host interface). */
#ifndef PSIM_BASE_INTERNAL_H
#define PSIM_BASE_INTERNAL_H
#include "psim_base.h"
#include "psim_host.h"

/* The host's callbacks and the context passed back on each: set by the entry points. */
extern const struct psim_host *psim_h;
extern void *psim_ctx;

/* Runs the initcalls registered for `machine`; the first one's status (-ENOSYS: none). */
int psim_run_initcalls(const char *machine);

/* MMIO through the host */
static inline u32 readl(const volatile void __iomem *addr)
{
	return (u32)psim_h->mmio_read(psim_ctx, (u64)(uintptr_t)addr, 4);
}
static inline void writel(u32 v, volatile void __iomem *addr)
{
	psim_h->mmio_write(psim_ctx, (u64)(uintptr_t)addr, 4, v);
}
#endif
