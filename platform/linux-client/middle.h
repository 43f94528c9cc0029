/* pseries-sim, middle layer: what the irq and MSI core (irq.c, msi_core.c, pci_msi.c,
 * pci_msi_domain.c) offer each other and the top (entry.c) beyond the kernel environment
 * msi.c sees (not seen by msi.c). Includes only headers of its own layer and below:
 * psim_irq.h (the kernel environment's middle) and base.h (the bottom).
 * Inside the layer, calls go one way, down this list:
 * pci_msi_domain.c -> pci_msi.c -> msi_core.c -> irq.c. */
#ifndef PSIM_MIDDLE_H
#define PSIM_MIDDLE_H
#include "base.h"
#include "psim_irq.h"

/* irq.c: virqs and the irq domain hierarchy */
int psim_irq_domain_alloc_irqs(struct irq_domain *domain, unsigned int nr_irqs, void *arg,
			       struct msi_desc *desc);
void psim_irq_domain_free_irqs(unsigned int virq, unsigned int nr_irqs);
int psim_irq_domain_activate_irq(struct irq_data *irqd);
void psim_irq_domain_deactivate_irq(struct irq_data *irqd);
int psim_irq_is_activated(struct irq_data *irqd);
void psim_irq_set_msi_desc(unsigned int virq, struct msi_desc *desc);
void psim_irq_startup(unsigned int virq);
void psim_irq_shutdown(unsigned int virq);
void psim_irq_reset(int xive);
int irq_chip_compose_msi_msg(struct irq_data *data, struct msi_msg *msg);

/* msi_core.c: descriptors and the MSI domain */
#define MSI_DESC_ALL 0
#define MSI_DESC_NOTASSOCIATED 1
#define MSI_DESC_ASSOCIATED 2
struct msi_device_data;
int msi_setup_device_data(struct device *dev);
int msi_add_msi_desc(struct device *dev, const struct msi_desc *init);
struct msi_desc *next_desc(struct device *dev, int filter, unsigned int *at);
struct msi_desc *msi_first_desc(struct device *dev, int filter);
void msi_free_msi_descs(struct device *dev);
struct irq_domain *msi_create_irq_domain(struct fwnode_handle *fwnode,
					 struct msi_domain_info *info,
					 struct irq_domain *parent);
void msi_domain_free_irqs_descs_locked(struct irq_domain *domain, struct device *dev);
int msi_domain_alloc_irqs_descs_locked(struct irq_domain *domain, struct device *dev, int nvec);
#define for_each_desc(desc, dev, filter) \
	for (unsigned int __at = 0; ((desc) = next_desc((dev), (filter), &__at));)

/* pci_msi.c: the PCI side, as drivers call it */
int psim_enable_msix_range(struct pci_dev *dev, int minvec, int maxvec);
int psim_enable_msi_range(struct pci_dev *dev, int minvec, int maxvec);
void psim_free_irq_vectors(struct pci_dev *dev);
int psim_irq_vector(struct pci_dev *dev, unsigned int nr);
void psim_request_irqs_of(struct pci_dev *dev, int count);
int psim_start_irq_of(struct pci_dev *dev, unsigned int nr);
void psim_free_irqs(struct pci_dev *dev);
#endif
