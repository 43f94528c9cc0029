/* pseries-sim, middle layer (its lowest file): the kernel's hierarchical irq domains as
 * msi.c uses them: virq descriptors with one irq_data per domain level, allocation down
 * the hierarchy, activation parents first, the parent-chip helpers, and the root domain
 * standing for the interrupt controller (XICS or XIVE) the simulator drives.
 * Includes only middle.h (its layer and below); calls only the bottom. */
#include <stdlib.h>
#include "middle.h"

struct psim_irq {
	struct irq_common_data common;
	struct irq_data *top;
	int dev;
	int vector;
};

static struct psim_irq **irqs;
static size_t nirqs;

static struct psim_irq *slot(unsigned int virq, int create)
{
	if (virq >= nirqs) {
		if (!create)
			return NULL;
		size_t n = nirqs ? nirqs : 64;
		while (n <= virq)
			n *= 2;
		struct psim_irq **m = realloc(irqs, n * sizeof(*irqs));
		if (!m)
			return NULL;
		memset(m + nirqs, 0, (n - nirqs) * sizeof(*m));
		irqs = m;
		nirqs = n;
	}
	if (!irqs[virq] && create)
		irqs[virq] = kzalloc(sizeof(struct psim_irq), 0);
	return irqs[virq];
}

struct irq_data *irq_get_irq_data(unsigned int irq)
{
	struct psim_irq *p = slot(irq, 0);
	return p ? p->top : NULL;
}

struct irq_data *irq_domain_get_irq_data(struct irq_domain *domain, unsigned int virq)
{
	for (struct irq_data *d = irq_get_irq_data(virq); d; d = d->parent_data)
		if (d->domain == domain)
			return d;
	return NULL;
}

struct msi_desc *irq_get_msi_desc(unsigned int irq)
{
	struct psim_irq *p = slot(irq, 0);
	return p ? p->common.msi_desc : NULL;
}

void psim_irq_set_msi_desc(unsigned int virq, struct msi_desc *desc)
{
	struct psim_irq *p = slot(virq, 0);
	if (p)
		p->common.msi_desc = desc;
}

/* ---- the root domain: the interrupt controller ---- */

static int xive_mode;

static void root_unmask(struct irq_data *d)
{
	psim_h->irq_unmask(psim_ctx, (u32)d->hwirq);
}

static void root_mask(struct irq_data *d)
{
	psim_h->irq_mask(psim_ctx, (u32)d->hwirq);
}

static unsigned int root_startup(struct irq_data *d)
{
	root_unmask(d);
	return 0;
}

static int root_set_affinity(struct irq_data *d, const struct cpumask *m, bool force)
{
	(void)d;
	(void)m;
	(void)force;
	return IRQ_SET_MASK_OK;
}

/* XICS (ics-rtas): startup unmasks; there is no shutdown. */
static struct irq_chip xics_chip = {
	.name = "XICS",
	.irq_startup = root_startup,
	.irq_mask = root_mask,
	.irq_unmask = root_unmask,
	.irq_set_affinity = root_set_affinity,
};

/* XIVE: startup unmasks, shutdown masks. */
static struct irq_chip xive_chip = {
	.name = "XIVE-IRQ",
	.irq_startup = root_startup,
	.irq_shutdown = root_mask,
	.irq_mask = root_mask,
	.irq_unmask = root_unmask,
	.irq_set_affinity = root_set_affinity,
};

static int cur_base;
static struct msi_desc *cur_desc;

static int root_alloc(struct irq_domain *domain, unsigned int virq, unsigned int nr, void *arg)
{
	struct irq_fwspec *fw = arg;
	if (!fw || fw->param_count < 1)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		struct irq_data *d = irq_domain_get_irq_data(domain, virq + i);
		struct psim_irq *p = slot(virq + i, 0);
		if (!d || !p)
			return -EINVAL;
		d->hwirq = fw->param[0] + i;
		d->chip = xive_mode ? &xive_chip : &xics_chip;
		int dev = -1, vector = 0;
		if (cur_desc) {
			dev = to_pci_dev(cur_desc->dev)->psim_id;
			vector = cur_desc->msi_index + (int)(virq + i - (unsigned)cur_base);
		}
		p->dev = dev;
		p->vector = vector;
		psim_h->virq_map(psim_ctx, (int32_t)(virq + i), (u32)d->hwirq, dev, vector);
	}
	return 0;
}

static void root_free(struct irq_domain *domain, unsigned int virq, unsigned int nr)
{
	(void)domain;
	(void)virq;
	(void)nr;
}

static const struct irq_domain_ops root_ops = {
	.alloc = root_alloc,
	.free = root_free,
};

static struct fwnode_handle root_fwnode = { .id = -1 };
static struct irq_domain root_domain = {
	.name = "root",
	.ops = &root_ops,
	.fwnode = &root_fwnode,
};

void psim_irq_reset(int xive)
{
	xive_mode = xive;
	for (size_t i = 0; i < nirqs; i++) {
		if (irqs[i]) {
			for (struct irq_data *d = irqs[i]->top; d;) {
				struct irq_data *n = d->parent_data;
				kfree(d);
				d = n;
			}
			kfree(irqs[i]);
		}
	}
	free(irqs);
	irqs = NULL;
	nirqs = 0;
}

struct irq_domain *irq_get_default_host(void)
{
	return &root_domain;
}

/* ---- domains ---- */

struct fwnode_handle *irq_domain_alloc_named_id_fwnode(const char *name, int id)
{
	(void)name;
	struct fwnode_handle *f = kzalloc(sizeof(*f), 0);
	if (f)
		f->id = id;
	return f;
}

void irq_domain_free_fwnode(struct fwnode_handle *fwnode)
{
	kfree(fwnode);
}

struct irq_domain *irq_domain_create_hierarchy(struct irq_domain *parent, unsigned int flags,
					       unsigned int size, struct fwnode_handle *fwnode,
					       const struct irq_domain_ops *ops, void *host_data)
{
	struct irq_domain *d = kzalloc(sizeof(*d), 0);
	if (!d)
		return NULL;
	d->ops = ops;
	d->host_data = host_data;
	d->flags = flags | IRQ_DOMAIN_FLAG_HIERARCHY;
	d->fwnode = fwnode;
	d->parent = parent;
	d->size = size;
	return d;
}

void irq_domain_remove(struct irq_domain *domain)
{
	if (domain != &root_domain)
		kfree(domain);
}

int irq_domain_alloc_irqs_parent(struct irq_domain *domain, unsigned int irq_base,
				 unsigned int nr_irqs, void *arg)
{
	if (!domain->parent)
		return -ENOSYS;
	return domain->parent->ops->alloc(domain->parent, irq_base, nr_irqs, arg);
}

static void free_hierarchy(struct irq_domain *domain, unsigned int virq, unsigned int nr)
{
	if (!domain || !domain->ops->free)
		return;
	for (unsigned int i = 0; i < nr; i++)
		if (irq_domain_get_irq_data(domain, virq + i))
			domain->ops->free(domain, virq + i, 1);
}

void irq_domain_free_irqs_parent(struct irq_domain *domain, unsigned int irq_base,
				 unsigned int nr_irqs)
{
	free_hierarchy(domain->parent, irq_base, nr_irqs);
}

int irq_domain_set_hwirq_and_chip(struct irq_domain *domain, unsigned int virq,
				  irq_hw_number_t hwirq, const struct irq_chip *chip,
				  void *chip_data)
{
	struct irq_data *d = irq_domain_get_irq_data(domain, virq);
	if (!d)
		return -ENOENT;
	d->hwirq = hwirq;
	d->chip = (struct irq_chip *)chip;
	d->chip_data = chip_data;
	return 0;
}

static void release_virq(unsigned int virq)
{
	struct psim_irq *p = slot(virq, 0);
	if (!p)
		return;
	for (struct irq_data *d = p->top; d;) {
		struct irq_data *n = d->parent_data;
		kfree(d);
		d = n;
	}
	kfree(p);
	irqs[virq] = NULL;
	psim_h->virq_free(psim_ctx, (int32_t)virq);
}

/* __irq_domain_alloc_irqs: the lowest free virqs, an irq_data per level, the domain's
 * alloc down the hierarchy. Returns the first virq or a negative errno. */
int psim_irq_domain_alloc_irqs(struct irq_domain *domain, unsigned int nr_irqs, void *arg,
			       struct msi_desc *desc)
{
	int virq = psim_h->virq_alloc(psim_ctx, (int32_t)nr_irqs);
	if (virq < 0)
		return -ENOSPC;
	for (unsigned int i = 0; i < nr_irqs; i++) {
		struct psim_irq *p = slot((unsigned)virq + i, 1);
		if (!p)
			return -ENOMEM;
		memset(p, 0, sizeof(*p));
		p->common.irq = (unsigned)virq + i;
		p->dev = -1;
		struct irq_data **link = &p->top;
		for (struct irq_domain *d = domain; d; d = d->parent) {
			struct irq_data *x = kzalloc(sizeof(*x), 0);
			x->irq = (unsigned)virq + i;
			x->common = &p->common;
			x->domain = d;
			*link = x;
			link = &x->parent_data;
		}
	}
	cur_base = virq;
	cur_desc = desc;
	int ret = domain->ops->alloc(domain, (unsigned)virq, nr_irqs, arg);
	cur_desc = NULL;
	if (ret < 0) {
		for (unsigned int i = 0; i < nr_irqs; i++)
			release_virq((unsigned)virq + i);
		return ret;
	}
	return virq;
}

/* irq_domain_free_irqs: the hierarchy's free from the top, then the descriptors. */
void psim_irq_domain_free_irqs(unsigned int virq, unsigned int nr_irqs)
{
	struct irq_data *top = irq_get_irq_data(virq);
	if (!top)
		return;
	free_hierarchy(top->domain, virq, nr_irqs);
	for (unsigned int i = 0; i < nr_irqs; i++)
		release_virq(virq + i);
}

static int activate(struct irq_data *d)
{
	int ret = 0;
	if (d && d->domain) {
		if (d->parent_data)
			ret = activate(d->parent_data);
		if (!ret && d->domain->ops->activate)
			ret = d->domain->ops->activate(d->domain, d, false);
	}
	return ret;
}

int psim_irq_domain_activate_irq(struct irq_data *irqd)
{
	if (irqd->common->activated)
		return 0;
	int ret = activate(irqd);
	if (!ret)
		irqd->common->activated = 1;
	return ret;
}

void psim_irq_domain_deactivate_irq(struct irq_data *irqd)
{
	if (!irqd->common->activated)
		return;
	for (struct irq_data *d = irqd; d && d->domain; d = d->parent_data)
		if (d->domain->ops->deactivate)
			d->domain->ops->deactivate(d->domain, d);
	irqd->common->activated = 0;
}

int psim_irq_is_activated(struct irq_data *irqd)
{
	return irqd->common->activated;
}

int irq_chip_compose_msi_msg(struct irq_data *data, struct msi_msg *msg)
{
	struct irq_data *pos = NULL;
	for (; !pos && data; data = data->parent_data)
		if (data->chip && data->chip->irq_compose_msi_msg)
			pos = data;
	if (!pos)
		return -ENOSYS;
	pos->chip->irq_compose_msi_msg(pos, msg);
	return 0;
}

/* ---- parent-chip helpers ---- */

void irq_chip_mask_parent(struct irq_data *data)
{
	data = data->parent_data;
	if (data && data->chip && data->chip->irq_mask)
		data->chip->irq_mask(data);
}

void irq_chip_unmask_parent(struct irq_data *data)
{
	data = data->parent_data;
	if (data && data->chip && data->chip->irq_unmask)
		data->chip->irq_unmask(data);
}

void irq_chip_eoi_parent(struct irq_data *data)
{
	data = data->parent_data;
	if (data && data->chip && data->chip->irq_eoi)
		data->chip->irq_eoi(data);
}

int irq_chip_set_affinity_parent(struct irq_data *data, const struct cpumask *dest, bool force)
{
	data = data->parent_data;
	if (data && data->chip && data->chip->irq_set_affinity)
		return data->chip->irq_set_affinity(data, dest, force);
	return -ENOSYS;
}

/* ---- request_irq / free_irq ---- */

/* irq_startup: the chip's startup, else its enable, else its unmask. */
void psim_irq_startup(unsigned int virq)
{
	struct irq_data *d = irq_get_irq_data(virq);
	if (!d || d->common->started)
		return;
	psim_irq_domain_activate_irq(d);
	if (d->chip && d->chip->irq_startup)
		d->chip->irq_startup(d);
	else if (d->chip && d->chip->irq_enable)
		d->chip->irq_enable(d);
	else if (d->chip && d->chip->irq_unmask)
		d->chip->irq_unmask(d);
	d->common->started = 1;
}

/* irq_shutdown: the chip's shutdown, else disable (mask). */
void psim_irq_shutdown(unsigned int virq)
{
	struct irq_data *d = irq_get_irq_data(virq);
	if (!d || !d->common->started)
		return;
	if (d->chip && d->chip->irq_shutdown)
		d->chip->irq_shutdown(d);
	else if (d->chip && d->chip->irq_disable)
		d->chip->irq_disable(d);
	else if (d->chip && d->chip->irq_mask)
		d->chip->irq_mask(d);
	d->common->started = 0;
}
