/* pseries-sim tree client, top: the entry points the simulator calls (the same as the
 * file client's: platform/linux-client/entry.h, plus psim_unbind) and the machine's
 * registry they fill: nodes, PHBs and PCI functions as the tree's own structs, set up as
 * the PCI core and pSeries set up a scanned function. */
#include <linux/pci.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <asm/machdep.h>
#include <asm/pci-bridge.h>
#include <asm/ppc-pci.h>
#include "pseries.h"
#include "pci.h" /* drivers/pci/pci.h: the scan-time MSI steps */
#include "top.h"

#define PSIM_ABI 1
#define PSIM_EXPORT __attribute__((visibility("default")))

/* Each node allocated on its own (the kernel keeps pointers to them), the table grows
 * as nodes are attached after boot (a hot-plugged function's, as OF_RECONFIG_ATTACH). */
static struct psim_node **nodes;
static int nnodes, cap;

/* Node `id`, existing, or the next one (the table grows): NULL when neither. */
static struct psim_node *node_slot(int32_t id)
{
	if (id >= 0 && id < nnodes)
		return nodes[id];
	if (id != nnodes)
		return NULL;
	if (nnodes == cap) {
		int c = cap ? cap * 2 : 64;
		struct psim_node **t = kcalloc(c, sizeof(*t), GFP_KERNEL);
		if (!t)
			return NULL;
		if (nodes)
			memcpy(t, nodes, nnodes * sizeof(*t));
		kfree(nodes);
		nodes = t;
		cap = c;
	}
	nodes[nnodes] = kzalloc(sizeof(**nodes), GFP_KERNEL);
	return nodes[nnodes] ? nodes[nnodes++] : NULL;
}
static struct pci_controller **phbs;
static int nphbs;
static struct psim_pdev **devs;
static int ndevs;

#define ENTER(ctx) (psim_ctx = (ctx))

extern initcall_entry_t __start_psim_initcall3[], __stop_psim_initcall3[];

PSIM_EXPORT int psim_abi(void)
{
	return PSIM_ABI;
}

extern void radix_tree_init(void);

PSIM_EXPORT int psim_init(void *ctx, const struct psim_host *host, int32_t n)
{
	psim_h = host;
	ENTER(ctx);
	if (nodes)
		return -EBUSY; /* one machine per loaded client */
	__xive_enabled = host->xive(ctx) != 0;
	radix_tree_init();
	for (int i = 0; i < n; i++)
		if (!node_slot(i))
			return -ENOMEM;
#ifdef PSIM_XIVE_DRIVER
	if (__xive_enabled)
		return 0; /* the tree's XIVE driver makes the root domain (psim_init_irq) */
#endif
	return psim_root_init(__xive_enabled);
}

#ifdef PSIM_XIVE_DRIVER
extern bool xive_spapr_init(void);
#endif

/* pseries_init_irq: the tree's XIVE driver set up from the tree the OS booted with.
 * 0 when it drives the controller; 1 when the root domain stands for the simulator's
 * (no driver in the tree, XICS, or the driver declined). */
PSIM_EXPORT int psim_init_irq(void *ctx)
{
	ENTER(ctx);
#ifdef PSIM_XIVE_DRIVER
	if (__xive_enabled && !psim_root_domain() && xive_spapr_init())
		return psim_root_observe();
	__xive_enabled = psim_h->xive(ctx) != 0;
#endif
	if (psim_root_domain())
		return 1;
	int rc = psim_root_init(__xive_enabled);
	return rc ? rc : 1;
}

/* An external interrupt: the firmware's writes into the queue pages since the last one
 * (`n` pairs of address and word) stored, then Linux's __do_irq, again while the EOI
 * asks for a replay: ppc_md.get_irq (the XIVE driver's queue scan), the flow handler.
 * Returns the interrupts taken. */
PSIM_EXPORT int psim_take(void *ctx, int32_t n, const uint64_t *words)
{
	ENTER(ctx);
	int taken = 0;
	for (int32_t i = 0; i < n; i++)
		if (!psim_queue_store(words[2 * i], (uint32_t)words[2 * i + 1]))
			pr_warn("psim: the firmware wrote 0x%llx, which is no queue page\n",
				(unsigned long long)words[2 * i]);
	if (!ppc_md.get_irq)
		return -ENOSYS;
	do {
		psim_replay = 0;
		unsigned int irq = ppc_md.get_irq();
		if (!irq)
			break;
		generic_handle_irq(irq);
		taken++;
	} while (psim_replay && taken < (1 << 16));
	return taken;
}

PSIM_EXPORT int psim_add_node(void *ctx, int32_t id, int32_t parent, const char *path)
{
	ENTER(ctx);
	if (parent >= nnodes || parent == id)
		return -EINVAL;
	struct psim_node *n = node_slot(id);
	if (!n)
		return -EINVAL;
	struct device_node *dn = &n->dn;
	const char *last = strrchr(path, '/');
	if (parent < 0 && !psim_of_root)
		psim_of_root = dn;
	n->id = id;
	dn->full_name = kstrdup(last && last[1] ? last + 1 : path, GFP_KERNEL);
	dn->name = dn->full_name;
	fwnode_init(&dn->fwnode, &of_fwnode_ops);
	if (parent >= 0) {
		struct device_node *p = &nodes[parent]->dn;
		struct device_node **link = &p->child;
		dn->parent = p;
		while (*link)
			link = &(*link)->sibling;
		*link = dn;
	}
	return 0;
}

PSIM_EXPORT int psim_add_phb(void *ctx, int32_t node, uint64_t buid, int32_t domain)
{
	ENTER(ctx);
	if (node < 0 || node >= nnodes)
		return -EINVAL;
	struct pci_controller **n = kcalloc(nphbs + 1, sizeof(*n), GFP_KERNEL);
	struct pci_controller *phb = kzalloc(sizeof(*phb), GFP_KERNEL);
	if (!n || !phb)
		return -ENOMEM;
	if (phbs)
		memcpy(n, phbs, nphbs * sizeof(*n));
	kfree(phbs);
	phbs = n;
	phb->dn = &nodes[node]->dn;
	phb->buid = buid;
	phb->global_number = domain;
	phbs[nphbs] = phb;
	return nphbs++;
}

/* The MSI-X table's BAR placed where the host says the table is. */
static void place_msix_table(struct pci_dev *d, int id)
{
	u32 table;
	uint64_t addr = psim_h->msix_table(psim_ctx, id);
	if (!d->msix_cap || !addr)
		return;
	pci_read_config_dword(d, d->msix_cap + PCI_MSIX_TABLE, &table);
	int bir = table & PCI_MSIX_TABLE_BIR;
	d->resource[bir].start = addr - (table & PCI_MSIX_TABLE_OFFSET);
	d->resource[bir].end = d->resource[bir].start + 0xffff;
	d->resource[bir].flags = IORESOURCE_MEM;
}

PSIM_EXPORT int psim_add_device(void *ctx, int32_t id, int32_t phb, int32_t node, int32_t bus,
				int32_t devfn, int32_t msi_cap, int32_t msix_cap, uint32_t irq,
				int32_t no_64bit, const char *name)
{
	ENTER(ctx);
	if (id != ndevs || phb < 0 || phb >= nphbs || node < 0 || node >= nnodes)
		return -EINVAL;
	struct psim_pdev **n = kcalloc(ndevs + 1, sizeof(*n), GFP_KERNEL);
	struct psim_pdev *p = kzalloc(sizeof(*p), GFP_KERNEL);
	struct pci_bus *b = kzalloc(sizeof(*b), GFP_KERNEL);
	struct pci_dn *pdn = kzalloc(sizeof(*pdn), GFP_KERNEL);
	struct eeh_dev *edev = kzalloc(sizeof(*edev), GFP_KERNEL);
	if (!n || !p || !b || !pdn || !edev)
		return -ENOMEM;
	if (devs)
		memcpy(n, devs, ndevs * sizeof(*n));
	kfree(devs);
	devs = n;
	struct pci_dev *d = &p->pdev;
	p->id = id;
	b->number = (unsigned char)bus;
	b->sysdata = phbs[phb];
	b->max_bus_speed = PCI_SPEED_UNKNOWN;
	INIT_LIST_HEAD(&b->dev.devres_head);
	d->bus = b;
	d->devfn = (unsigned int)devfn;
	d->irq = irq;
	d->current_state = PCI_D0;
	d->error_state = pci_channel_io_normal;
	d->dev.bus = &pci_bus_type;
	d->dev.of_node = &nodes[node]->dn;
	d->dev.fwnode = &nodes[node]->dn.fwnode;
	d->dev.init_name = kstrdup(name, GFP_KERNEL);
	d->dev.archdata.edev = edev;
	INIT_LIST_HEAD(&d->dev.devres_head);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	d->msi_addr_mask = DMA_BIT_MASK(64);
#endif
	pdn->busno = bus;
	pdn->devfn = devfn;
	pdn->phb = phbs[phb];
	pdn->edev = edev;
	edev->pdev = d;
	edev->pdn = pdn;
	nodes[node]->dn.data = pdn;
	/* The PCI core's scan: the MSI and MSI-X capabilities found and quiesced. */
	pci_msi_init(d);
	pci_msix_init(d);
	if (d->msi_cap != msi_cap || d->msix_cap != msix_cap)
		pr_warn("psim: %s: capabilities at 0x%x/0x%x, the simulator said 0x%x/0x%x\n",
			name, d->msi_cap, d->msix_cap, msi_cap, msix_cap);
	if (no_64bit) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
		d->msi_addr_mask = DMA_BIT_MASK(32);
#else
		d->no_64bit_msi = 1;
#endif
	}
	place_msix_table(d, id);
	/* The bus's MSI domain, found by the PHB's node (pci_host_bridge_of_msi_domain),
	 * inherited by the function (pcibios_device_add). */
	struct irq_domain *dom = irq_find_matching_host(phbs[phb]->dn, DOMAIN_BUS_PCI_MSI);
	dev_set_msi_domain(&b->dev, dom);
	dev_set_msi_domain(&d->dev, dom);
	devs[ndevs++] = p;
	return 0;
}

/* pSeries_discover_phbs's MSI step for every PHB, then the machine's initcalls. */
PSIM_EXPORT int psim_msi_init(void *ctx)
{
	ENTER(ctx);
	int rc = -ENOSYS;
	if (!psim_root_domain() && psim_root_init(__xive_enabled))
		return -ENOMEM;
	for (int i = 0; i < nphbs; i++)
		pseries_msi_allocate_domains(phbs[i]);
	for (initcall_entry_t *c = __start_psim_initcall3; c < __stop_psim_initcall3; c++) {
		int r = initcall_from_entry(c)();
		if (rc == -ENOSYS)
			rc = r;
	}
	return rc;
}

static struct pci_dev *dev_of(int32_t id)
{
	return id >= 0 && id < ndevs && !devs[id]->removed ? &devs[id]->pdev : NULL;
}

/* __of_detach_node: `dn` unlinked from its parent's children and marked OF_DETACHED
 * (not freed: Linux keeps the node referenced), its children first, as pseries' DLPAR
 * detaches a subtree. The function on it is removed (pci_stop_and_remove_bus_device,
 * pci_remove_device_node_info): no call or walk finds its pci_dev or pci_dn again. */
static void detach(struct device_node *dn)
{
	while (dn->child)
		detach(dn->child);
	struct device_node *p = dn->parent;
	if (of_node_check_flag(dn, OF_DETACHED) || !p)
		return;
	if (p->child == dn) {
		p->child = dn->sibling;
	} else {
		struct device_node *prev = p->child;
		while (prev && prev->sibling != dn)
			prev = prev->sibling;
		if (prev)
			prev->sibling = dn->sibling;
	}
	of_node_set_flag(dn, OF_DETACHED);
	for (int i = 0; i < ndevs; i++)
		if (devs[i]->pdev.dev.of_node == dn)
			devs[i]->removed = 1;
	dn->data = NULL;
}

/* Node `id` (and its subtree) leaves the tree: a DLPAR removal, after the driver's
 * free (of_detach_node). */
PSIM_EXPORT int psim_remove_node(void *ctx, int32_t id)
{
	ENTER(ctx);
	if (id < 0 || id >= nnodes || !nodes[id]->dn.parent)
		return -EINVAL;
	detach(&nodes[id]->dn);
	return 0;
}

PSIM_EXPORT int psim_pci_irq_fixup(void *ctx, int32_t id, uint32_t irq)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	d->irq = irq;
	if (ppc_md.pci_irq_fixup)
		ppc_md.pci_irq_fixup(d);
	return 0;
}

PSIM_EXPORT int psim_request(void *ctx, int32_t id, int32_t msix, int32_t min, int32_t max)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	return d ? psim_driver_request(d, msix, min, max) : -EINVAL;
}

PSIM_EXPORT int psim_vector(void *ctx, int32_t id, uint32_t nr)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	return d ? psim_driver_vector(d, nr) : -EINVAL;
}

PSIM_EXPORT int psim_request_irqs(void *ctx, int32_t id, int32_t count)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	psim_driver_request_irqs(d, count);
	return 0;
}

/* request_irq on one vector of a device, after its request (0 or a negative errno). */
PSIM_EXPORT int psim_start_irq(void *ctx, int32_t id, uint32_t vector)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	return d ? psim_driver_start_irq(d, vector) : -EINVAL;
}

PSIM_EXPORT int psim_free(void *ctx, int32_t id)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	psim_driver_free(d);
	return 0;
}

PSIM_EXPORT int psim_unbind(void *ctx, int32_t id)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	psim_driver_unbind(d);
	return 0;
}
