/* pseries-sim tree client, bottom: interrupt descriptors (kernel/irq/irqdesc.c's part
 * the MSI core uses). Virq numbers belong to the simulator (its virq table also holds
 * the interrupts the OS mapped without this client), so allocation asks the host; each
 * descriptor is set up as desc_set_defaults does. */
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kernel_stat.h>
#include "internals.h"
#include "bottom.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
int nr_irqs = 1 << 20;
#else
unsigned int irq_get_nr_irqs(void)
{
	return 1 << 20;
}
#endif

DEFINE_PER_CPU(struct kernel_stat, kstat);

static void noop(struct irq_data *data)
{
}

static unsigned int noop_ret(struct irq_data *data)
{
	return 0;
}

/* kernel/irq/dummychip.c's chip of a descriptor no domain set up. */
struct irq_chip no_irq_chip = {
	.name = "none",
	.irq_startup = noop_ret,
	.irq_shutdown = noop,
	.irq_enable = noop,
	.irq_disable = noop,
	.irq_ack = noop,
	.flags = IRQCHIP_SKIP_SET_WAKE,
};

static struct irq_desc **descs;
static unsigned int ndescs;

struct irq_desc *irq_to_desc(unsigned int irq)
{
	return irq < ndescs ? descs[irq] : NULL;
}

static int grow(unsigned int irq)
{
	if (irq < ndescs)
		return 0;
	unsigned int n = ndescs ? ndescs : 64;
	while (n <= irq)
		n *= 2;
	struct irq_desc **m = psim_glue_alloc(n * sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (descs)
		memcpy(m, descs, ndescs * sizeof(*m));
	psim_glue_free(descs);
	descs = m;
	ndescs = n;
	return 0;
}

static struct irq_desc *new_desc(unsigned int irq, struct module *owner)
{
	struct irq_desc *desc = psim_glue_alloc(sizeof(*desc));
	if (!desc)
		return NULL;
	desc->kstat_irqs = psim_glue_alloc(sizeof(*desc->kstat_irqs));
	raw_spin_lock_init(&desc->lock);
	mutex_init(&desc->request_mutex);
	INIT_LIST_HEAD(&desc->wait_for_threads.head);
	desc->irq_data.common = &desc->irq_common_data;
	desc->irq_data.irq = irq;
	desc->irq_data.chip = &no_irq_chip;
	irq_settings_clr_and_set(desc, ~0, _IRQ_DEFAULT_INIT_FLAGS);
	irqd_set(&desc->irq_data, IRQD_IRQ_DISABLED);
	irqd_set(&desc->irq_data, IRQD_IRQ_MASKED);
	desc->handle_irq = handle_bad_irq;
	desc->depth = 1;
	desc->owner = owner;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	rcuref_init(&desc->refcnt, 1);
#endif
	return desc;
}

static void free_desc(unsigned int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	if (!desc)
		return;
	descs[irq] = NULL;
	psim_glue_free(desc->kstat_irqs);
	psim_glue_free(desc);
	psim_h->virq_free(psim_ctx, (int32_t)irq);
}

int __irq_alloc_descs(int irq, unsigned int from, unsigned int cnt, int node,
		      struct module *owner, const struct irq_affinity_desc *affinity)
{
	if (!cnt)
		return -EINVAL;
	if (irq >= 0) {
		pr_err("psim: a fixed virq (%d) cannot be allocated: virqs are the simulator's\n", irq);
		return -EINVAL;
	}
	int base = psim_h->virq_alloc(psim_ctx, (int32_t)cnt);
	if (base < 0)
		return -ENOMEM;
	if (grow((unsigned int)base + cnt - 1))
		goto fail;
	for (unsigned int i = 0; i < cnt; i++) {
		descs[base + i] = new_desc((unsigned int)base + i, owner);
		if (!descs[base + i]) {
			while (i--)
				free_desc((unsigned int)base + i);
			goto fail;
		}
	}
	return base;
fail:
	for (unsigned int i = 0; i < cnt; i++)
		psim_h->virq_free(psim_ctx, base + (int32_t)i);
	return -ENOMEM;
}

void irq_free_descs(unsigned int from, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		free_desc(from + i);
}

struct irq_desc *__irq_get_desc_lock(unsigned int irq, unsigned long *flags, bool bus,
				     unsigned int check)
{
	struct irq_desc *desc = irq_to_desc(irq);
	if (!desc)
		return NULL;
	if (check & _IRQ_DESC_CHECK) {
		if ((check & _IRQ_DESC_PERCPU) && !irq_settings_is_per_cpu_devid(desc))
			return NULL;
		if (!(check & _IRQ_DESC_PERCPU) && irq_settings_is_per_cpu_devid(desc))
			return NULL;
	}
	if (bus)
		chip_bus_lock(desc);
	*flags = 0;
	return desc;
}

void __irq_put_desc_unlock(struct irq_desc *desc, unsigned long flags, bool bus)
{
	if (bus)
		chip_bus_sync_unlock(desc);
}

/* Nothing is ever pending: no interrupt is delivered through this client. */
int check_irq_resend(struct irq_desc *desc, bool inject)
{
	return 0;
}

/* No handler runs on another CPU or thread. */
void synchronize_irq(unsigned int irq)
{
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
void clear_irq_resend(struct irq_desc *desc)
{
}
#endif

/* ---- taking an interrupt: the flow handler runs, the action is the host's ---- */

/* kernel/irq/irqdesc.c: the descriptor's flow handler (the controller's, as its domain
 * set it: handle_fasteoi_irq under XIVE). */
int generic_handle_irq(unsigned int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	if (!desc)
		return -EINVAL;
	desc->handle_irq(desc);
	return 0;
}

/* kernel/irq/handle.c's step around the actions: the driver's handler is the
 * simulator's, told which virq ran. */
irqreturn_t handle_irq_event(struct irq_desc *desc)
{
	desc->istate &= ~IRQS_PENDING;
	irqd_set(&desc->irq_data, IRQD_IRQ_INPROGRESS);
	psim_h->handled(psim_ctx, (int32_t)desc->irq_data.irq);
	irqd_clear(&desc->irq_data, IRQD_IRQ_INPROGRESS);
	return IRQ_HANDLED;
}
