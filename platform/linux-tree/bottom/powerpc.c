/* pseries-sim tree client, bottom: the powerpc platform below pSeries msi.c: RTAS calls
 * and tokens (through the host), PCI device nodes (arch/powerpc/kernel/pci_dn.c's
 * semantics), the machine description, XIVE's flags. */
#include <linux/pci.h>
#include <asm/rtas.h>
#include <asm/machdep.h>
#include <asm/pci-bridge.h>
#include <asm/ppc-pci.h>
#include <asm/xive.h>
#include "bottom.h"

struct machdep_calls ppc_md;
struct machdep_calls mach_pseries;
__typeof__(machine_id) machine_id = &mach_pseries;
#ifndef PSIM_XIVE_DRIVER
bool __xive_enabled;
#endif

int rtas_call(int token, int nargs, int nret, int *outputs, ...)
{
	uint32_t args[16];
	int32_t rets[16];
	va_list ap;
	if (token == RTAS_UNKNOWN_SERVICE || nargs < 0 || nret < 0 || nargs + nret > 16)
		return -1;
	va_start(ap, outputs);
	for (int i = 0; i < nargs; i++)
		args[i] = va_arg(ap, uint32_t);
	va_end(ap);
	memset(rets, 0, sizeof(rets));
	if (psim_h->rtas(psim_ctx, token, nargs, args, nret, rets))
		return -1;
	if (nret > 1 && outputs)
		for (int i = 0; i < nret - 1; i++)
			outputs[i] = rets[i + 1];
	return nret > 0 ? rets[0] : 0;
}

int rtas_token(const char *service)
{
	return psim_h->rtas_token(psim_ctx, service);
}

#ifdef RTAS_FN_IBM_CHANGE_MSI
/* The service names of the tree's function table, by index (generated from the
 * tree's asm/rtas.h). */
static const char *const rtas_names[] = {
#include <generated/psim_rtas_names.h>
};

s32 rtas_function_token(const rtas_fn_handle_t handle)
{
	unsigned int i = handle.index;
	if (i >= ARRAY_SIZE(rtas_names) || !rtas_names[i])
		return RTAS_UNKNOWN_SERVICE;
	return psim_h->rtas_token(psim_ctx, rtas_names[i]);
}
#endif

/* Retry on busy and extended-delay answers (the simulated clock does not run). */
bool rtas_busy_delay(int status)
{
	return status == RTAS_BUSY ||
	       (status >= RTAS_EXTENDED_DELAY_MIN && status <= RTAS_EXTENDED_DELAY_MAX);
}

struct pci_dn *pci_get_pdn(struct pci_dev *pdev)
{
	struct device_node *dn = pdev ? pdev->dev.of_node : NULL;
	return dn ? PCI_DN(dn) : NULL;
}

/* Depth first under a PHB, into PCI bridges only (pci_dn.c). */
void *pci_traverse_device_nodes(struct device_node *start,
				void *(*fn)(struct device_node *, void *), void *data)
{
	struct device_node *dn, *nextdn;
	for (dn = start->child; dn; dn = nextdn) {
		const __be32 *classp = of_get_property(dn, "class-code", NULL);
		u32 class = classp ? be32_to_cpup(classp) : 0;
		nextdn = NULL;
		if (fn) {
			void *ret = fn(dn, data);
			if (ret)
				return ret;
		}
		if (dn->child && ((class >> 8) == PCI_CLASS_BRIDGE_PCI ||
				  (class >> 8) == PCI_CLASS_BRIDGE_CARDBUS))
			nextdn = dn->child;
		else if (dn->sibling)
			nextdn = dn->sibling;
		if (!nextdn) {
			do {
				dn = dn->parent;
				if (dn == start)
					return NULL;
			} while (!dn->sibling);
			nextdn = dn->sibling;
		}
	}
	return NULL;
}

#ifndef PSIM_XIVE_DRIVER
/* A tree without the XIVE driver: the interrupt controller is the host's. */
void xive_irq_free_data(unsigned int virq)
{
}
#endif
