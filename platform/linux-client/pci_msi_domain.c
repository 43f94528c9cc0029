/* pseries-sim, middle layer: the PCI MSI irq domain of Linux 6.1
 * (drivers/pci/msi/irqdomain.c): pci_msi_create_irq_domain filling in the PCI defaults
 * (hwirq from the function's address, the capability check, the message write and the
 * masks of pci_msi.c) before the generic MSI domain of msi_core.c.
 * Includes only middle.h (its layer and below). */
#include "middle.h"

/* Linux's pci_msi_domain_calc_hwirq. */
static void pci_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	struct pci_dev *dev = msi_desc_to_pci_dev(desc);
	struct pci_dn *pdn = pci_get_pdn(dev);
	irq_hw_number_t domain_nr = pdn && pdn->phb ? (irq_hw_number_t)pdn->phb->global_number : 0;
	arg->desc = desc;
	arg->hwirq = (irq_hw_number_t)desc->msi_index |
		     (irq_hw_number_t)(dev->bus->number << 8 | dev->devfn) << 11 |
		     (domain_nr & 0xffffffff) << 27;
}

/* Linux's pci_msi_domain_check_cap. */
static int pci_check_cap(struct irq_domain *domain, struct msi_domain_info *info,
			 struct device *dev)
{
	(void)domain;
	struct msi_desc *desc = msi_first_desc(dev, MSI_DESC_ALL);
	if (!desc)
		return -EINVAL;
	if (!desc->pci.msi_attrib.is_msix && desc->nvec_used > 1 &&
	    !(info->flags & MSI_FLAG_MULTI_PCI_MSI))
		return 1;
	if (desc->pci.msi_attrib.is_msix) {
		if (!(info->flags & MSI_FLAG_PCI_MSIX))
			return -ENOTSUPP;
		if (info->flags & MSI_FLAG_MSIX_CONTIGUOUS) {
			unsigned int idx = 0;
			for_each_desc(desc, dev, MSI_DESC_ALL)
				if (desc->msi_index != idx++)
					return -ENOTSUPP;
		}
	}
	return 0;
}

static void pci_msi_domain_write_msg(struct irq_data *irq_data, struct msi_msg *msg)
{
	struct msi_desc *desc = irq_data_get_msi_desc(irq_data);
	if (desc->irq == irq_data->irq)
		__pci_write_msi_msg(desc, msg);
}

struct irq_domain *pci_msi_create_irq_domain(struct fwnode_handle *fwnode,
					     struct msi_domain_info *info,
					     struct irq_domain *parent)
{
	if (WARN_ON(info->flags & MSI_FLAG_LEVEL_CAPABLE))
		info->flags &= ~MSI_FLAG_LEVEL_CAPABLE;
	if (info->flags & MSI_FLAG_USE_DEF_DOM_OPS) {
		struct msi_domain_ops *ops = info->ops;
		if (ops) {
			if (!ops->set_desc)
				ops->set_desc = pci_set_desc;
			if (!ops->msi_check)
				ops->msi_check = pci_check_cap;
		}
	}
	if (info->flags & MSI_FLAG_USE_DEF_CHIP_OPS) {
		struct irq_chip *chip = info->chip;
		BUG_ON(!chip);
		if (!chip->irq_write_msi_msg)
			chip->irq_write_msi_msg = pci_msi_domain_write_msg;
		if (!chip->irq_mask)
			chip->irq_mask = pci_msi_mask_irq;
		if (!chip->irq_unmask)
			chip->irq_unmask = pci_msi_unmask_irq;
	}
	info->flags |= MSI_FLAG_ACTIVATE_EARLY | MSI_FLAG_DEV_SYSFS;
	info->chip->flags |= IRQCHIP_ONESHOT_SAFE;

	struct irq_domain *d = msi_create_irq_domain(fwnode, info, parent);
	if (d)
		d->bus_token = DOMAIN_BUS_PCI_MSI;
	return d;
}
