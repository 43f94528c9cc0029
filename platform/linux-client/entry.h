/* pseries-sim, top layer: the entry points the simulator calls (platform/src/linux/
 * instance.rs binds each by name with these signatures). Every one takes the
 * simulator's context pointer, passed back on each host callback. Includes only
 * psim_host.h (the host interface, bottom). */
#ifndef PSIM_ENTRY_H
#define PSIM_ENTRY_H
#include <stdint.h>
#include "psim_host.h"

int psim_abi(void);
int psim_init(void *ctx, const struct psim_host *host, int32_t n);
int psim_add_node(void *ctx, int32_t id, int32_t parent, const char *path);
int psim_add_phb(void *ctx, int32_t node, uint64_t buid, int32_t domain);
int psim_add_device(void *ctx, int32_t id, int32_t phb, int32_t node, int32_t bus,
		    int32_t devfn, int32_t msi_cap, int32_t msix_cap, uint32_t irq,
		    int32_t no_64bit, const char *name);
int psim_msi_init(void *ctx);
int psim_pci_irq_fixup(void *ctx, int32_t id, uint32_t irq);
int psim_request(void *ctx, int32_t id, int32_t msix, int32_t min, int32_t max);
int psim_vector(void *ctx, int32_t id, uint32_t nr);
int psim_request_irqs(void *ctx, int32_t id, int32_t count);
int psim_start_irq(void *ctx, int32_t id, uint32_t vector);
int psim_free(void *ctx, int32_t id);
int psim_remove_node(void *ctx, int32_t id);
#endif
