/* pseries-sim tree client, top: the root interrupt domain, standing for the interrupt
 * controller the simulator drives (XICS or XIVE): its allocation takes the hardware
 * source from the fwspec, its activation tells the host which device vector the virq
 * now stands for, its chip masks and unmasks through the host. */
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include "top.h"

static void root_unmask(struct irq_data *d)
{
	psim_h->irq_unmask(psim_ctx, (uint32_t)d->hwirq);
}

static void root_mask(struct irq_data *d)
{
	psim_h->irq_mask(psim_ctx, (uint32_t)d->hwirq);
}

static unsigned int root_startup(struct irq_data *d)
{
	root_unmask(d);
	return 0;
}

static void root_eoi(struct irq_data *d)
{
}

static int root_set_affinity(struct irq_data *d, const struct cpumask *m, bool force)
{
	return IRQ_SET_MASK_OK;
}

/* XICS (ics-rtas): startup unmasks; there is no shutdown. */
static struct irq_chip xics_chip = {
	.name = "XICS",
	.irq_startup = root_startup,
	.irq_mask = root_mask,
	.irq_unmask = root_unmask,
	.irq_eoi = root_eoi,
	.irq_set_affinity = root_set_affinity,
};

/* XIVE: startup unmasks, shutdown masks. */
static struct irq_chip xive_chip = {
	.name = "XIVE-IRQ",
	.irq_startup = root_startup,
	.irq_shutdown = root_mask,
	.irq_mask = root_mask,
	.irq_unmask = root_unmask,
	.irq_eoi = root_eoi,
	.irq_set_affinity = root_set_affinity,
};

static int xive_mode;

static int root_alloc(struct irq_domain *domain, unsigned int virq, unsigned int nr, void *arg)
{
	struct irq_fwspec *fw = arg;
	if (!fw || fw->param_count < 1)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++)
		irq_domain_set_info(domain, virq + i, fw->param[0] + i,
				    xive_mode ? &xive_chip : &xics_chip, NULL, handle_fasteoi_irq,
				    NULL, NULL);
	return 0;
}

static void root_free(struct irq_domain *domain, unsigned int virq, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		irq_domain_reset_irq_data(irq_domain_get_irq_data(domain, virq + i));
}

/* The MSI descriptor is set by now: the host learns the device and vector. */
static int root_activate(struct irq_domain *domain, struct irq_data *d, bool reserve)
{
	struct msi_desc *desc = irq_data_get_msi_desc(d);
	int dev = -1, vector = 0;
	if (desc && desc->dev && dev_is_pci(desc->dev)) {
		dev = psim_pdev_id(to_pci_dev(desc->dev));
		vector = desc->msi_index + (int)(d->irq - desc->irq);
	}
	psim_h->virq_map(psim_ctx, (int32_t)d->irq, (uint32_t)d->hwirq, dev, vector);
	return 0;
}

static const struct irq_domain_ops root_ops = {
	.alloc = root_alloc,
	.free = root_free,
	.activate = root_activate,
	.translate = irq_domain_translate_twocell,
};

struct irq_domain *psim_root_domain(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
	return irq_get_default_domain();
#else
	return irq_get_default_host();
#endif
}

/* The XIVE domain's operations, with an activation that only tells the host (XIVE's
 * domain has none of its own: the irq core activates parents before children). */
static struct irq_domain_ops observed;

int psim_root_observe(void)
{
	struct irq_domain *d = psim_root_domain();
	if (!d || d->ops->activate)
		return 0;
	observed = *d->ops;
	observed.activate = root_activate;
	d->ops = &observed;
	return 0;
}

int psim_root_init(int xive)
{
	xive_mode = xive;
	struct fwnode_handle *fw = irq_domain_alloc_named_fwnode(xive ? "XIVE" : "XICS");
	if (!fw)
		return -ENOMEM;
	struct irq_domain *root = irq_domain_create_tree(fw, &root_ops, NULL);
	if (!root)
		return -ENOMEM;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
	irq_set_default_domain(root);
#else
	irq_set_default_host(root);
#endif
	return 0;
}
