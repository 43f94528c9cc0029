/* pseries-sim: the generic MSI core around a platform's msi.c, in Linux 6.1's order:
 * descriptors per device, the MSI irq domain and its default ops, allocation with
 * prepare, per-descriptor virqs, early activation (compose, write), the free path, and
 * the PCI side (enable MSI / MSI-X with the retry on a positive count, masking through
 * the capability or the table, shutdown). */
#include <stdlib.h>
#include "internal.h"

/* ---- descriptors ---- */

#define MSI_DESC_ALL 0
#define MSI_DESC_NOTASSOCIATED 1
#define MSI_DESC_ASSOCIATED 2

struct msi_device_data {
	struct msi_desc **descs; /* by msi_index */
	unsigned int size;
};

static int msi_setup_device_data(struct device *dev)
{
	if (!dev->msi_data)
		dev->msi_data = kzalloc(sizeof(struct msi_device_data), 0);
	return dev->msi_data ? 0 : -ENOMEM;
}

static int msi_add_msi_desc(struct device *dev, const struct msi_desc *init)
{
	struct msi_device_data *md = dev->msi_data;
	unsigned int idx = init->msi_index;
	if (!md)
		return -ENOMEM;
	if (idx >= md->size) {
		unsigned int n = md->size ? md->size : 8;
		while (n <= idx)
			n *= 2;
		struct msi_desc **m = realloc(md->descs, n * sizeof(*m));
		if (!m)
			return -ENOMEM;
		memset(m + md->size, 0, (n - md->size) * sizeof(*m));
		md->descs = m;
		md->size = n;
	}
	if (md->descs[idx])
		return -EBUSY;
	struct msi_desc *d = kzalloc(sizeof(*d), 0);
	if (!d)
		return -ENOMEM;
	d->dev = dev;
	d->nvec_used = init->nvec_used;
	d->affinity = init->affinity;
	d->msi_index = init->msi_index;
	d->pci = init->pci;
	md->descs[idx] = d;
	return 0;
}

static int match(struct msi_desc *d, int filter)
{
	if (!d)
		return 0;
	if (filter == MSI_DESC_ASSOCIATED)
		return d->irq != 0;
	if (filter == MSI_DESC_NOTASSOCIATED)
		return d->irq == 0;
	return 1;
}

static struct msi_desc *next_desc(struct device *dev, int filter, unsigned int *at)
{
	struct msi_device_data *md = dev->msi_data;
	if (!md)
		return NULL;
	for (; *at < md->size; (*at)++)
		if (match(md->descs[*at], filter))
			return md->descs[(*at)++];
	return NULL;
}

#define for_each_desc(desc, dev, filter) \
	for (unsigned int __at = 0; ((desc) = next_desc((dev), (filter), &__at));)

static struct msi_desc *msi_first_desc(struct device *dev, int filter)
{
	unsigned int at = 0;
	return next_desc(dev, filter, &at);
}

static void msi_free_msi_descs(struct device *dev)
{
	struct msi_device_data *md = dev->msi_data;
	if (!md)
		return;
	for (unsigned int i = 0; i < md->size; i++) {
		kfree(md->descs[i]);
		md->descs[i] = NULL;
	}
}

void get_cached_msi_msg(unsigned int irq, struct msi_msg *msg)
{
	struct msi_desc *d = irq_get_msi_desc(irq);
	if (d)
		*msg = d->msg;
	else
		memset(msg, 0, sizeof(*msg));
}

/* ---- the MSI irq domain (kernel/irq/msi.c) ---- */

struct msi_domain_info *msi_get_domain_info(struct irq_domain *domain)
{
	return domain->host_data;
}

static int msi_domain_activate(struct irq_domain *domain, struct irq_data *irq_data, bool early)
{
	(void)domain;
	(void)early;
	struct msi_msg msg[2];
	memset(msg, 0, sizeof(msg));
	BUG_ON(irq_chip_compose_msi_msg(irq_data, msg));
	irq_data->chip->irq_write_msi_msg(irq_data, msg);
	return 0;
}

static void msi_domain_deactivate(struct irq_domain *domain, struct irq_data *irq_data)
{
	(void)domain;
	struct msi_msg msg[2];
	memset(msg, 0, sizeof(msg));
	irq_data->chip->irq_write_msi_msg(irq_data, msg);
}

static void irq_domain_free_irqs_top(struct irq_domain *domain, unsigned int virq,
				     unsigned int nr_irqs)
{
	for (unsigned int i = 0; i < nr_irqs; i++) {
		struct irq_data *d = irq_domain_get_irq_data(domain, virq + i);
		if (d) {
			d->chip = NULL;
			d->chip_data = NULL;
			d->hwirq = 0;
		}
	}
	irq_domain_free_irqs_parent(domain, virq, nr_irqs);
}

static int msi_domain_alloc(struct irq_domain *domain, unsigned int virq, unsigned int nr_irqs,
			    void *arg)
{
	struct msi_domain_info *info = domain->host_data;
	struct msi_domain_ops *ops = info->ops;
	irq_hw_number_t hwirq = ops->get_hwirq(info, arg);
	int ret;
	if (domain->parent) {
		ret = irq_domain_alloc_irqs_parent(domain, virq, nr_irqs, arg);
		if (ret < 0)
			return ret;
	}
	for (unsigned int i = 0; i < nr_irqs; i++) {
		ret = ops->msi_init(domain, info, virq + i, hwirq + i, arg);
		if (ret < 0) {
			if (ops->msi_free)
				for (i--; i > 0; i--)
					ops->msi_free(domain, info, virq + i);
			irq_domain_free_irqs_top(domain, virq, nr_irqs);
			return ret;
		}
	}
	return 0;
}

static void msi_domain_free(struct irq_domain *domain, unsigned int virq, unsigned int nr_irqs)
{
	struct msi_domain_info *info = domain->host_data;
	if (info->ops->msi_free)
		for (unsigned int i = 0; i < nr_irqs; i++)
			info->ops->msi_free(domain, info, virq + i);
	irq_domain_free_irqs_top(domain, virq, nr_irqs);
}

static const struct irq_domain_ops msi_domain_ops = {
	.alloc = msi_domain_alloc,
	.free = msi_domain_free,
	.activate = msi_domain_activate,
	.deactivate = msi_domain_deactivate,
};

static irq_hw_number_t def_get_hwirq(struct msi_domain_info *info, msi_alloc_info_t *arg)
{
	(void)info;
	return arg->hwirq;
}

static int def_prepare(struct irq_domain *domain, struct device *dev, int nvec,
		       msi_alloc_info_t *arg)
{
	(void)domain;
	(void)dev;
	(void)nvec;
	memset(arg, 0, sizeof(*arg));
	return 0;
}

static int def_init(struct irq_domain *domain, struct msi_domain_info *info, unsigned int virq,
		    irq_hw_number_t hwirq, msi_alloc_info_t *arg)
{
	(void)arg;
	irq_domain_set_hwirq_and_chip(domain, virq, hwirq, info->chip, info->chip_data);
	return 0;
}

static int def_check(struct irq_domain *domain, struct msi_domain_info *info, struct device *dev)
{
	(void)domain;
	(void)info;
	(void)dev;
	return 0;
}

static void def_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	arg->desc = desc;
}

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

static int msi_domain_set_affinity(struct irq_data *irq_data, const struct cpumask *mask,
				   bool force)
{
	struct irq_data *parent = irq_data->parent_data;
	struct msi_msg msg[2];
	memset(msg, 0, sizeof(msg));
	int ret = parent->chip->irq_set_affinity(parent, mask, force);
	if (ret >= 0 && ret != IRQ_SET_MASK_OK_DONE) {
		BUG_ON(irq_chip_compose_msi_msg(irq_data, msg));
		irq_data->chip->irq_write_msi_msg(irq_data, msg);
	}
	return ret;
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

	/* msi_create_irq_domain */
	struct msi_domain_ops *ops = info->ops;
	if (ops) {
		if (!ops->domain_alloc_irqs)
			ops->domain_alloc_irqs = __msi_domain_alloc_irqs;
		if (!ops->domain_free_irqs)
			ops->domain_free_irqs = __msi_domain_free_irqs;
		if (info->flags & MSI_FLAG_USE_DEF_DOM_OPS) {
			if (!ops->get_hwirq)
				ops->get_hwirq = def_get_hwirq;
			if (!ops->msi_init)
				ops->msi_init = def_init;
			if (!ops->msi_check)
				ops->msi_check = def_check;
			if (!ops->msi_prepare)
				ops->msi_prepare = def_prepare;
			if (!ops->set_desc)
				ops->set_desc = def_set_desc;
		}
	}
	if (info->flags & MSI_FLAG_USE_DEF_CHIP_OPS) {
		BUG_ON(!info->chip || !info->chip->irq_mask || !info->chip->irq_unmask);
		if (!info->chip->irq_set_affinity)
			info->chip->irq_set_affinity = msi_domain_set_affinity;
	}
	struct irq_domain *d = irq_domain_create_hierarchy(parent, IRQ_DOMAIN_FLAG_MSI, 0, fwnode,
							   &msi_domain_ops, info);
	if (d) {
		if (info->chip)
			d->name = info->chip->name;
		d->bus_token = DOMAIN_BUS_PCI_MSI;
	}
	return d;
}

static int msi_handle_pci_fail(struct msi_desc *desc, int allocated)
{
	if (desc->nvec_used > 1)
		return 1;
	return allocated ? allocated : -ENOSPC;
}

int __msi_domain_alloc_irqs(struct irq_domain *domain, struct device *dev, int nvec)
{
	struct msi_domain_info *info = domain->host_data;
	struct msi_domain_ops *ops = info->ops;
	msi_alloc_info_t arg;
	struct msi_desc *desc;
	int allocated = 0;
	memset(&arg, 0, sizeof(arg));

	int ret = ops->msi_check(domain, info, dev);
	if (ret == 0)
		ret = ops->msi_prepare(domain, dev, nvec, &arg);
	if (ret)
		return ret;

	for_each_desc(desc, dev, MSI_DESC_NOTASSOCIATED) {
		ops->set_desc(&arg, desc);
		int virq = psim_irq_domain_alloc_irqs(domain, desc->nvec_used, &arg, desc);
		if (virq < 0)
			return msi_handle_pci_fail(desc, allocated);
		for (unsigned int i = 0; i < desc->nvec_used; i++) {
			if (i == 0)
				desc->irq = (unsigned)virq;
			psim_irq_set_msi_desc((unsigned)virq + i, desc);
			if (info->flags & MSI_FLAG_ACTIVATE_EARLY) {
				struct irq_data *irqd = irq_domain_get_irq_data(domain, (unsigned)virq + i);
				ret = irqd ? psim_irq_domain_activate_irq(irqd) : -EINVAL;
				if (ret)
					return ret;
			}
		}
		allocated++;
	}
	return 0;
}

void __msi_domain_free_irqs(struct irq_domain *domain, struct device *dev)
{
	struct msi_desc *desc;
	for_each_desc(desc, dev, MSI_DESC_ASSOCIATED) {
		for (unsigned int i = 0; i < desc->nvec_used; i++) {
			struct irq_data *irqd = irq_domain_get_irq_data(domain, desc->irq + i);
			if (irqd && psim_irq_is_activated(irqd))
				psim_irq_domain_deactivate_irq(irqd);
		}
		psim_irq_domain_free_irqs(desc->irq, desc->nvec_used);
		desc->irq = 0;
	}
}

static void msi_domain_free_irqs_descs_locked(struct irq_domain *domain, struct device *dev)
{
	struct msi_domain_info *info = domain->host_data;
	info->ops->domain_free_irqs(domain, dev);
	if (info->flags & MSI_FLAG_FREE_MSI_DESCS)
		msi_free_msi_descs(dev);
}

static int msi_domain_alloc_irqs_descs_locked(struct irq_domain *domain, struct device *dev,
					      int nvec)
{
	struct msi_domain_info *info = domain->host_data;
	int ret = info->ops->domain_alloc_irqs(domain, dev, nvec);
	if (ret)
		msi_domain_free_irqs_descs_locked(domain, dev);
	return ret;
}

/* ---- PCI MSI (drivers/pci/msi) ---- */

static int pci_msi_setup_msi_irqs(struct pci_dev *dev, int nvec)
{
	struct irq_domain *domain = dev->dev.msi_domain;
	if (!domain)
		return -ENOSYS; /* no legacy arch hooks on pSeries */
	return msi_domain_alloc_irqs_descs_locked(domain, &dev->dev, nvec);
}

static void pci_msi_teardown_msi_irqs(struct pci_dev *dev)
{
	if (dev->dev.msi_domain)
		msi_domain_free_irqs_descs_locked(dev->dev.msi_domain, &dev->dev);
	msi_free_msi_descs(&dev->dev);
}

static void free_msi_irqs(struct pci_dev *dev)
{
	pci_msi_teardown_msi_irqs(dev);
	dev->msix_base = NULL;
}

static void pci_intx(struct pci_dev *dev, int enable)
{
	u16 cmd, new;
	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	new = enable ? (cmd & ~PCI_COMMAND_INTX_DISABLE) : (cmd | PCI_COMMAND_INTX_DISABLE);
	if (new != cmd)
		pci_write_config_word(dev, PCI_COMMAND, new);
}

static void pci_msi_set_enable(struct pci_dev *dev, int enable)
{
	u16 control;
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &control);
	control &= ~PCI_MSI_FLAGS_ENABLE;
	if (enable)
		control |= PCI_MSI_FLAGS_ENABLE;
	pci_write_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, control);
}

static void pci_msix_clear_and_set_ctrl(struct pci_dev *dev, u16 clear, u16 set)
{
	u16 ctrl;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &ctrl);
	ctrl &= ~clear;
	ctrl |= set;
	pci_write_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, ctrl);
}

static void pci_msi_update_mask(struct msi_desc *desc, u32 clear, u32 set)
{
	if (!desc->pci.msi_attrib.can_mask)
		return;
	desc->pci.msi_mask &= ~clear;
	desc->pci.msi_mask |= set;
	pci_write_config_dword(msi_desc_to_pci_dev(desc), desc->pci.mask_pos, desc->pci.msi_mask);
}

static inline u32 msi_multi_mask(struct msi_desc *desc)
{
	if (desc->pci.msi_attrib.multi_cap >= 5)
		return 0xffffffff;
	return (1u << (1u << desc->pci.msi_attrib.multi_cap)) - 1;
}

static void __iomem *pci_msix_desc_addr(struct msi_desc *desc)
{
	return (char __iomem *)desc->pci.mask_base + desc->msi_index * PCI_MSIX_ENTRY_SIZE;
}

static void pci_msix_write_vector_ctrl(struct msi_desc *desc, u32 ctrl)
{
	if (desc->pci.msi_attrib.can_mask)
		writel(ctrl, (char __iomem *)pci_msix_desc_addr(desc) + PCI_MSIX_ENTRY_VECTOR_CTRL);
}

static void pci_msix_mask(struct msi_desc *desc)
{
	desc->pci.msix_ctrl |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_msix_write_vector_ctrl(desc, desc->pci.msix_ctrl);
	readl(desc->pci.mask_base);
}

static void pci_msix_unmask(struct msi_desc *desc)
{
	desc->pci.msix_ctrl &= ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_msix_write_vector_ctrl(desc, desc->pci.msix_ctrl);
}

void pci_msi_mask_irq(struct irq_data *data)
{
	struct msi_desc *desc = irq_data_get_msi_desc(data);
	if (desc->pci.msi_attrib.is_msix)
		pci_msix_mask(desc);
	else
		pci_msi_update_mask(desc, 0, (u32)BIT(data->irq - desc->irq));
}

void pci_msi_unmask_irq(struct irq_data *data)
{
	struct msi_desc *desc = irq_data_get_msi_desc(data);
	if (desc->pci.msi_attrib.is_msix)
		pci_msix_unmask(desc);
	else
		pci_msi_update_mask(desc, (u32)BIT(data->irq - desc->irq), 0);
}

void __pci_read_msi_msg(struct msi_desc *entry, struct msi_msg *msg)
{
	struct pci_dev *dev = msi_desc_to_pci_dev(entry);
	if (entry->pci.msi_attrib.is_msix) {
		char __iomem *base = pci_msix_desc_addr(entry);
		if (WARN_ON_ONCE(entry->pci.msi_attrib.is_virtual))
			return;
		msg->address_lo = readl(base + PCI_MSIX_ENTRY_LOWER_ADDR);
		msg->address_hi = readl(base + PCI_MSIX_ENTRY_UPPER_ADDR);
		msg->data = readl(base + PCI_MSIX_ENTRY_DATA);
	} else {
		int pos = dev->msi_cap;
		u16 data;
		pci_read_config_dword(dev, pos + PCI_MSI_ADDRESS_LO, &msg->address_lo);
		if (entry->pci.msi_attrib.is_64) {
			pci_read_config_dword(dev, pos + PCI_MSI_ADDRESS_HI, &msg->address_hi);
			pci_read_config_word(dev, pos + PCI_MSI_DATA_64, &data);
		} else {
			msg->address_hi = 0;
			pci_read_config_word(dev, pos + PCI_MSI_DATA_32, &data);
		}
		msg->data = data;
	}
}

void __pci_write_msi_msg(struct msi_desc *entry, struct msi_msg *msg)
{
	struct pci_dev *dev = msi_desc_to_pci_dev(entry);
	if (dev->current_state != PCI_D0) {
		/* Don't touch the hardware now */
	} else if (entry->pci.msi_attrib.is_msix) {
		char __iomem *base = pci_msix_desc_addr(entry);
		u32 ctrl = entry->pci.msix_ctrl;
		bool unmasked = !(ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
		if (entry->pci.msi_attrib.is_virtual)
			goto skip;
		if (unmasked)
			pci_msix_write_vector_ctrl(entry, ctrl | PCI_MSIX_ENTRY_CTRL_MASKBIT);
		writel(msg->address_lo, base + PCI_MSIX_ENTRY_LOWER_ADDR);
		writel(msg->address_hi, base + PCI_MSIX_ENTRY_UPPER_ADDR);
		writel(msg->data, base + PCI_MSIX_ENTRY_DATA);
		if (unmasked)
			pci_msix_write_vector_ctrl(entry, ctrl);
		readl(base + PCI_MSIX_ENTRY_DATA);
	} else {
		int pos = dev->msi_cap;
		u16 msgctl;
		pci_read_config_word(dev, pos + PCI_MSI_FLAGS, &msgctl);
		msgctl &= ~PCI_MSI_FLAGS_QSIZE;
		msgctl |= entry->pci.msi_attrib.multiple << 4;
		pci_write_config_word(dev, pos + PCI_MSI_FLAGS, msgctl);
		pci_write_config_dword(dev, pos + PCI_MSI_ADDRESS_LO, msg->address_lo);
		if (entry->pci.msi_attrib.is_64) {
			pci_write_config_dword(dev, pos + PCI_MSI_ADDRESS_HI, msg->address_hi);
			pci_write_config_word(dev, pos + PCI_MSI_DATA_64, (u16)msg->data);
		} else {
			pci_write_config_word(dev, pos + PCI_MSI_DATA_32, (u16)msg->data);
		}
		pci_read_config_word(dev, pos + PCI_MSI_FLAGS, &msgctl);
	}
skip:
	entry->msg = *msg;
}

static int msi_verify_entries(struct pci_dev *dev)
{
	struct msi_desc *entry = NULL;
	if (!dev->no_64bit_msi)
		return 0;
	for_each_desc(entry, &dev->dev, MSI_DESC_ALL) {
		if (entry->msg.address_hi) {
			pci_err(dev, "arch assigned 64-bit MSI address %#x%08x but device only supports 32 bits\n",
				entry->msg.address_hi, entry->msg.address_lo);
			return -EIO;
		}
	}
	return 0;
}

static int msi_setup_msi_desc(struct pci_dev *dev, int nvec)
{
	struct msi_desc desc;
	u16 control;
	memset(&desc, 0, sizeof(desc));
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &control);
	desc.nvec_used = (unsigned)nvec;
	desc.pci.msi_attrib.is_64 = !!(control & PCI_MSI_FLAGS_64BIT);
	desc.pci.msi_attrib.can_mask = !!(control & PCI_MSI_FLAGS_MASKBIT);
	desc.pci.msi_attrib.default_irq = dev->irq;
	desc.pci.msi_attrib.multi_cap = (control & PCI_MSI_FLAGS_QMASK) >> 1;
	desc.pci.msi_attrib.multiple = ilog2(__roundup_pow_of_two((unsigned)nvec));
	desc.pci.mask_pos = dev->msi_cap + ((control & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
	if (desc.pci.msi_attrib.can_mask)
		pci_read_config_dword(dev, desc.pci.mask_pos, &desc.pci.msi_mask);
	return msi_add_msi_desc(&dev->dev, &desc);
}

static int msi_capability_init(struct pci_dev *dev, int nvec)
{
	struct msi_desc *entry, desc;
	int ret;
	pci_msi_set_enable(dev, 0);
	dev->msi_enabled = 1;
	ret = msi_setup_msi_desc(dev, nvec);
	if (ret)
		goto fail;
	entry = msi_first_desc(&dev->dev, MSI_DESC_ALL);
	pci_msi_update_mask(entry, 0, msi_multi_mask(entry));
	memcpy(&desc, entry, sizeof(desc));
	ret = pci_msi_setup_msi_irqs(dev, nvec);
	if (ret)
		goto err;
	ret = msi_verify_entries(dev);
	if (ret)
		goto err;
	pci_intx(dev, 0);
	pci_msi_set_enable(dev, 1);
	dev->irq = entry->irq;
	return 0;
err:
	pci_msi_update_mask(&desc, msi_multi_mask(&desc), 0);
	free_msi_irqs(dev);
fail:
	dev->msi_enabled = 0;
	return ret;
}

static int pci_msi_vec_count(struct pci_dev *dev)
{
	u16 msgctl;
	if (!dev->msi_cap)
		return -EINVAL;
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &msgctl);
	return 1 << ((msgctl & PCI_MSI_FLAGS_QMASK) >> 1);
}

static int pci_msix_vec_count(struct pci_dev *dev)
{
	u16 control;
	if (!dev->msix_cap)
		return -EINVAL;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &control);
	return (control & PCI_MSIX_FLAGS_QSIZE) + 1;
}

int psim_enable_msi_range(struct pci_dev *dev, int minvec, int maxvec)
{
	int nvec, rc;
	if (dev->no_msi || minvec < 1 || dev->current_state != PCI_D0)
		return -EINVAL;
	if (dev->msix_enabled) {
		pci_info(dev, "can't enable MSI (MSI-X already enabled)\n");
		return -EINVAL;
	}
	if (maxvec < minvec)
		return -ERANGE;
	if (WARN_ON_ONCE(dev->msi_enabled))
		return -EINVAL;
	nvec = pci_msi_vec_count(dev);
	if (nvec < 0)
		return nvec;
	if (nvec < minvec)
		return -ENOSPC;
	if (nvec > maxvec)
		nvec = maxvec;
	rc = msi_setup_device_data(&dev->dev);
	if (rc)
		return rc;
	for (;;) {
		rc = msi_capability_init(dev, nvec);
		if (rc == 0)
			return nvec;
		if (rc < 0)
			return rc;
		if (rc < minvec)
			return -ENOSPC;
		nvec = rc;
	}
}

static int msix_setup_msi_descs(struct pci_dev *dev, void __iomem *base, int nvec)
{
	int ret = 0, vec_count = pci_msix_vec_count(dev);
	struct msi_desc desc;
	memset(&desc, 0, sizeof(desc));
	desc.nvec_used = 1;
	desc.pci.msi_attrib.is_msix = 1;
	desc.pci.msi_attrib.is_64 = 1;
	desc.pci.msi_attrib.default_irq = dev->irq;
	desc.pci.mask_base = base;
	for (int i = 0; i < nvec; i++) {
		desc.msi_index = (u16)i;
		desc.pci.msi_attrib.is_virtual = desc.msi_index >= vec_count;
		desc.pci.msi_attrib.can_mask = !desc.pci.msi_attrib.is_virtual;
		if (desc.pci.msi_attrib.can_mask)
			desc.pci.msix_ctrl = readl((char __iomem *)pci_msix_desc_addr(&desc) +
						   PCI_MSIX_ENTRY_VECTOR_CTRL);
		ret = msi_add_msi_desc(&dev->dev, &desc);
		if (ret)
			break;
	}
	return ret;
}

static int msix_setup_interrupts(struct pci_dev *dev, void __iomem *base, int nvec)
{
	int ret = msix_setup_msi_descs(dev, base, nvec);
	if (ret)
		goto out_free;
	ret = pci_msi_setup_msi_irqs(dev, nvec);
	if (ret)
		goto out_free;
	ret = msi_verify_entries(dev);
	if (ret)
		goto out_free;
	return 0;
out_free:
	free_msi_irqs(dev);
	return ret;
}

static int msix_capability_init(struct pci_dev *dev, int nvec)
{
	void __iomem *base;
	int ret, tsize;
	u16 control;
	pci_msix_clear_and_set_ctrl(dev, 0, PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE);
	dev->msix_enabled = 1;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &control);
	tsize = (control & PCI_MSIX_FLAGS_QSIZE) + 1;
	/* msix_map_region: the table's CPU address from Table BIR/offset and the BAR. */
	base = (void __iomem *)(uintptr_t)psim_h->msix_table(psim_ctx, dev->psim_id);
	if (!base) {
		ret = -ENOMEM;
		goto out_disable;
	}
	dev->msix_base = base;
	ret = msix_setup_interrupts(dev, base, nvec);
	if (ret)
		goto out_disable;
	pci_intx(dev, 0);
	/* msix_mask_all */
	for (int i = 0; i < tsize; i++)
		writel(PCI_MSIX_ENTRY_CTRL_MASKBIT,
		       (char __iomem *)base + i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL);
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL, 0);
	return 0;
out_disable:
	dev->msix_enabled = 0;
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE, 0);
	return ret;
}

static int pci_enable_msix(struct pci_dev *dev, int nvec)
{
	if (dev->no_msi || nvec < 1 || dev->current_state != PCI_D0)
		return -EINVAL;
	int nr_entries = pci_msix_vec_count(dev);
	if (nr_entries < 0)
		return nr_entries;
	if (nvec > nr_entries)
		return nr_entries;
	if (dev->msi_enabled) {
		pci_info(dev, "can't enable MSI-X (MSI IRQ already assigned)\n");
		return -EINVAL;
	}
	return msix_capability_init(dev, nvec);
}

int psim_enable_msix_range(struct pci_dev *dev, int minvec, int maxvec)
{
	int rc, nvec = maxvec;
	if (maxvec < minvec)
		return -ERANGE;
	if (WARN_ON_ONCE(dev->msix_enabled))
		return -EINVAL;
	rc = msi_setup_device_data(&dev->dev);
	if (rc)
		return rc;
	for (;;) {
		rc = pci_enable_msix(dev, nvec);
		if (rc == 0)
			return nvec;
		if (rc < 0)
			return rc;
		if (rc < minvec)
			return -ENOSPC;
		nvec = rc;
	}
}

static void pci_msi_shutdown(struct pci_dev *dev)
{
	if (!dev->msi_enabled)
		return;
	pci_msi_set_enable(dev, 0);
	pci_intx(dev, 1);
	dev->msi_enabled = 0;
	struct msi_desc *desc = msi_first_desc(&dev->dev, MSI_DESC_ALL);
	if (!WARN_ON_ONCE(!desc)) {
		pci_msi_update_mask(desc, msi_multi_mask(desc), 0);
		dev->irq = desc->pci.msi_attrib.default_irq;
	}
}

static void pci_msix_shutdown(struct pci_dev *dev)
{
	struct msi_desc *desc;
	if (!dev->msix_enabled)
		return;
	for_each_desc(desc, &dev->dev, MSI_DESC_ALL)
		pci_msix_mask(desc);
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_ENABLE, 0);
	pci_intx(dev, 1);
	dev->msix_enabled = 0;
}

/* pci_free_irq_vectors: pci_disable_msix, then pci_disable_msi. */
void psim_free_irq_vectors(struct pci_dev *dev)
{
	if (dev->msix_enabled) {
		pci_msix_shutdown(dev);
		free_msi_irqs(dev);
	}
	if (dev->msi_enabled) {
		pci_msi_shutdown(dev);
		free_msi_irqs(dev);
	}
}

int psim_irq_vector(struct pci_dev *dev, unsigned int nr)
{
	struct msi_desc *desc;
	if (dev->msix_enabled) {
		for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
			if (desc->msi_index == nr)
				return (int)desc->irq;
		return -EINVAL;
	}
	if (dev->msi_enabled) {
		desc = msi_first_desc(&dev->dev, MSI_DESC_ASSOCIATED);
		if (!desc || nr >= desc->nvec_used)
			return -EINVAL;
		return (int)(desc->irq + nr);
	}
	return nr ? -EINVAL : (int)dev->irq;
}

void psim_request_irqs_of(struct pci_dev *dev)
{
	struct msi_desc *desc;
	for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
		for (unsigned int i = 0; i < desc->nvec_used; i++)
			psim_irq_startup(desc->irq + i);
	dev->psim_requested = 1;
}

void psim_free_irqs(struct pci_dev *dev)
{
	struct msi_desc *desc;
	if (!dev->psim_requested)
		return;
	for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
		for (unsigned int i = 0; i < desc->nvec_used; i++)
			psim_irq_shutdown(desc->irq + i);
	dev->psim_requested = 0;
}
