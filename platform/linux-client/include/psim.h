/* pseries-sim: the stand-in kernel environment a pSeries msi.c compiles against.
 *
 * This is pseries-sim's own code: the few kernel types, macros and functions an
 * arch/powerpc/platforms/pseries/msi.c uses, declared with the fields it reads. Every
 * stand-in kernel header (those under linux/ and asm/) and pseries.h include this file
 * alone. It holds no kernel source.
 *
 * Layer: msi.c's view, above the middle layer and below the top (entry.c). It gathers
 * psim_base.h (bottom: implemented in base.c) and psim_irq.h (middle: irq.c,
 * msi_core.c, pci_msi.c, pci_msi_domain.c), and declares what msi.c itself defines. */
#ifndef PSIM_H
#define PSIM_H

#include "psim_base.h"
#include "psim_irq.h"

/* ---- pseries.h's declarations msi.c needs (msi.c defines them; entry.c calls one) ---- */
int pseries_msi_allocate_domains(struct pci_controller *phb);
void pseries_msi_free_domains(struct pci_controller *phb);

#endif
