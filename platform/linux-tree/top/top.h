/* pseries-sim tree client, top: what the entry points share: the machine's registry
 * (nodes, PHBs, functions as the tree's own structs), the root interrupt domain, the
 * driver's calls. Includes the bottom and the tree's headers. */
#ifndef PSIM_TOP_H
#define PSIM_TOP_H
#include <linux/pci.h>
#include <linux/irqdomain.h>
#include <asm/pci-bridge.h>
#include "bottom.h"

/* The root domain standing for the interrupt controller (XICS or XIVE). */
int psim_root_init(int xive);
/* The root domain made (the default host), or NULL. */
struct irq_domain *psim_root_domain(void);
/* The tree's XIVE domain became the root: the host learns each activated virq's
 * device vector from it as from the stand-in's. 0. */
int psim_root_observe(void);

/* The driver's side: pci_alloc_irq_vectors, pci_irq_vector, request_irq on the
 * vectors it starts (at the request or later), free_irq + pci_free_irq_vectors, and
 * the driver's unbind. */
int psim_driver_request(struct pci_dev *pdev, int msix, int min, int max);
int psim_driver_vector(struct pci_dev *pdev, unsigned int nr);
void psim_driver_request_irqs(struct pci_dev *pdev, int count);
int psim_driver_start_irq(struct pci_dev *pdev, unsigned int nr);
void psim_driver_free(struct pci_dev *pdev);
void psim_driver_unbind(struct pci_dev *pdev);
#endif
