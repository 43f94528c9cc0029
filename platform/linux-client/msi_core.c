/* pseries-sim, middle layer: the generic MSI core around a platform's msi.c
 * (kernel/irq/msi.c), in Linux 6.1's order: descriptors per device, the MSI irq domain
 * and its default ops, allocation with prepare, per-descriptor virqs, early activation
 * (compose, write), and the free path. The PCI side is pci_msi.c and pci_msi_domain.c,
 * above it in the layer. Includes only middle.h (its layer and below); calls irq.c and
 * the bottom. */
#include <stdlib.h>
#include "middle.h"

/* ---- descriptors ---- */


struct msi_device_data {
	struct msi_desc **descs; /* by msi_index */
	unsigned int size;
};

int msi_setup_device_data(struct device *dev)
{
	if (!dev->msi_data)
		dev->msi_data = kzalloc(sizeof(struct msi_device_data), 0);
	return dev->msi_data ? 0 : -ENOMEM;
}

int msi_add_msi_desc(struct device *dev, const struct msi_desc *init)
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

struct msi_desc *next_desc(struct device *dev, int filter, unsigned int *at)
{
	struct msi_device_data *md = dev->msi_data;
	if (!md)
		return NULL;
	for (; *at < md->size; (*at)++)
		if (match(md->descs[*at], filter))
			return md->descs[(*at)++];
	return NULL;
}


struct msi_desc *msi_first_desc(struct device *dev, int filter)
{
	unsigned int at = 0;
	return next_desc(dev, filter, &at);
}

void msi_free_msi_descs(struct device *dev)
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

/* msi_create_irq_domain: the default domain and chip ops filled in, the domain made
 * under `parent`, named after the chip. */
struct irq_domain *msi_create_irq_domain(struct fwnode_handle *fwnode,
					 struct msi_domain_info *info,
					 struct irq_domain *parent)
{
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
	if (d && info->chip)
		d->name = info->chip->name;
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

void msi_domain_free_irqs_descs_locked(struct irq_domain *domain, struct device *dev)
{
	struct msi_domain_info *info = domain->host_data;
	info->ops->domain_free_irqs(domain, dev);
	if (info->flags & MSI_FLAG_FREE_MSI_DESCS)
		msi_free_msi_descs(dev);
}

int msi_domain_alloc_irqs_descs_locked(struct irq_domain *domain, struct device *dev,
					      int nvec)
{
	struct msi_domain_info *info = domain->host_data;
	int ret = info->ops->domain_alloc_irqs(domain, dev, nvec);
	if (ret)
		msi_domain_free_irqs_descs_locked(domain, dev);
	return ret;
}

