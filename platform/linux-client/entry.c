/* pseries-sim, top layer: the entry points the simulator calls (declared in entry.h,
 * bound by platform/src/linux/instance.rs) and the machine's registry they fill (nodes,
 * PHBs, functions). Nothing in the C client calls into this file; it may include every
 * layer: entry.h (itself), middle.h (irq and MSI core, and through it the bottom) and
 * psim.h (what msi.c defines: pseries_msi_allocate_domains). */
#include <stdlib.h>
#include "entry.h"
#include "middle.h"
#include "psim.h"

/* ---- the registry: nodes, PHBs, functions ---- */

/* Each node allocated on its own (pointers to them are kept), the table grows as nodes
 * are added after boot (a hot-plugged function's). */
static struct device_node **nodes;
static int nnodes, cap;

/* Node `id`, existing, or the next one (the table grows): NULL when neither. */
static struct device_node *node_slot(int32_t id)
{
	if (id >= 0 && id < nnodes)
		return nodes[id];
	if (id != nnodes)
		return NULL;
	if (nnodes == cap) {
		int c = cap ? cap * 2 : 64;
		struct device_node **t = realloc(nodes, (size_t)c * sizeof(*t));
		if (!t)
			return NULL;
		nodes = t;
		cap = c;
	}
	nodes[nnodes] = calloc(1, sizeof(**nodes));
	return nodes[nnodes] ? nodes[nnodes++] : NULL;
}
static struct pci_controller *phbs;
static int nphbs;
static struct pci_dev **devs;
static int ndevs;

/* ---- entry points ---- */

#define ENTER(ctx) psim_ctx = (ctx)

int psim_abi(void)
{
	return PSIM_ABI;
}

/* Starts over with `n` nodes and the host's callbacks. */
int psim_init(void *ctx, const struct psim_host *host, int32_t n)
{
	psim_h = host;
	ENTER(ctx);
	memset(&ppc_md, 0, sizeof(ppc_md));
	for (int i = 0; i < n; i++)
		if (!node_slot(i))
			return -ENOMEM;
	psim_irq_reset(host->xive(ctx));
	return 0;
}

/* Node `id` (0..n, or the next id: a node attached after boot), child of `parent` (-1
 * for the root), named by its path. */
int psim_add_node(void *ctx, int32_t id, int32_t parent, const char *path)
{
	ENTER(ctx);
	if (parent >= nnodes || parent == id)
		return -EINVAL;
	struct device_node *dn = node_slot(id);
	if (!dn)
		return -EINVAL;
	dn->id = id;
	dn->fwnode.id = id;
	dn->full_name = strdup(path);
	if (parent >= 0) {
		struct device_node *p = nodes[parent];
		dn->parent = p;
		if (p->last_child)
			p->last_child->sibling = dn;
		else
			p->child = dn;
		p->last_child = dn;
	}
	return 0;
}

/* A PHB: its node, BUID and PCI domain; returns its index. */
int psim_add_phb(void *ctx, int32_t node, uint64_t buid, int32_t domain)
{
	ENTER(ctx);
	if (node < 0 || node >= nnodes)
		return -EINVAL;
	struct pci_controller *n = realloc(phbs, (size_t)(nphbs + 1) * sizeof(*phbs));
	if (!n)
		return -ENOMEM;
	phbs = n;
	memset(&phbs[nphbs], 0, sizeof(*phbs));
	phbs[nphbs].dn = nodes[node];
	phbs[nphbs].buid = buid;
	phbs[nphbs].global_number = domain;
	return nphbs++;
}

/* A PCI function; `id` is the simulator's device index (added in order). */
int psim_add_device(void *ctx, int32_t id, int32_t phb, int32_t node, int32_t bus,
		    int32_t devfn, int32_t msi_cap, int32_t msix_cap, uint32_t irq,
		    int32_t no_64bit, const char *name)
{
	ENTER(ctx);
	if (id != ndevs || phb < 0 || phb >= nphbs || node < 0 || node >= nnodes)
		return -EINVAL;
	struct pci_dev **n = realloc(devs, (size_t)(ndevs + 1) * sizeof(*devs));
	if (!n)
		return -ENOMEM;
	devs = n;
	struct pci_dev *d = kzalloc(sizeof(*d), 0);
	struct pci_bus *b = kzalloc(sizeof(*b), 0);
	struct pci_dn *pdn = kzalloc(sizeof(*pdn), 0);
	struct eeh_dev *edev = kzalloc(sizeof(*edev), 0);
	if (!d || !b || !pdn || !edev)
		return -ENOMEM;
	b->number = (unsigned char)bus;
	b->max_bus_speed = PCI_SPEED_UNKNOWN;
	d->bus = b;
	d->devfn = (unsigned)devfn;
	d->irq = irq;
	d->msi_cap = (u8)msi_cap;
	d->msix_cap = (u8)msix_cap;
	d->no_64bit_msi = no_64bit ? 1 : 0;
	d->current_state = PCI_D0;
	d->psim_id = id;
	d->dev.of_node = nodes[node];
	d->dev.name = strdup(name);
	d->dev.is_pci = true;
	d->dev.msi_domain = phbs[phb].msi_domain;
	pdn->busno = bus;
	pdn->devfn = devfn;
	pdn->phb = &phbs[phb];
	pdn->edev = edev;
	pdn->pcidev = d;
	edev->pdev = d;
	edev->pdn = pdn;
	nodes[node]->data = pdn;
	devs[ndevs++] = d;
	return 0;
}

/* of_detach_node: `dn` unlinked from its parent's children and marked detached (kept:
 * Linux keeps the node referenced), the subtree first, as pseries' DLPAR detaches
 * children before their parent. Its function is removed (pci_remove_device_node_info,
 * the pci_dev gone), so no walk or call finds either. */
static void detach(struct device_node *dn)
{
	while (dn->child)
		detach(dn->child);
	struct device_node *p = dn->parent;
	if (of_node_check_flag(dn, OF_DETACHED) || !p)
		return;
	struct device_node *prev = NULL;
	for (struct device_node *c = p->child; c && c != dn; c = c->sibling)
		prev = c;
	if (prev)
		prev->sibling = dn->sibling;
	else if (p->child == dn)
		p->child = dn->sibling;
	if (p->last_child == dn)
		p->last_child = prev;
	of_node_set_flag(dn, OF_DETACHED);
	for (int i = 0; i < ndevs; i++)
		if (devs[i] && devs[i]->dev.of_node == dn)
			devs[i] = NULL;
	dn->data = NULL;
}

/* Node `id` (and its subtree) leaves the tree: a DLPAR removal, after the driver's
 * free. */
int psim_remove_node(void *ctx, int32_t id)
{
	ENTER(ctx);
	if (id < 0 || id >= nnodes || !nodes[id]->parent)
		return -EINVAL;
	detach(nodes[id]);
	return 0;
}

/* pSeries_discover_phbs's last step for every PHB, then the machine's initcalls.
 * Returns the first initcall's status (0: MSI support registered). */
int psim_msi_init(void *ctx)
{
	ENTER(ctx);
	for (int i = 0; i < nphbs; i++)
		pseries_msi_allocate_domains(&phbs[i]);
	/* Devices see their PHB's MSI domain, as the PCI core sets it at scan. */
	for (int i = 0; i < ndevs; i++) {
		if (!devs[i])
			continue;
		struct pci_dn *pdn = pci_get_pdn(devs[i]);
		devs[i]->dev.msi_domain = pdn && pdn->phb ? pdn->phb->msi_domain : NULL;
	}
	return psim_run_initcalls("pseries");
}

static struct pci_dev *dev_of(int32_t id)
{
	return id >= 0 && id < ndevs ? devs[id] : NULL;
}

/* The PCI core's fix-up of a function at scan: ppc_md.pci_irq_fixup. */
int psim_pci_irq_fixup(void *ctx, int32_t id, uint32_t irq)
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

/* A driver's pci_alloc_irq_vectors(dev, min, max, PCI_IRQ_MSIX or PCI_IRQ_MSI):
 * the vectors granted, or a negative errno. */
int psim_request(void *ctx, int32_t id, int32_t msix, int32_t min, int32_t max)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	return msix ? psim_enable_msix_range(d, min, max) : psim_enable_msi_range(d, min, max);
}

/* The virq of a device's vector (pci_irq_vector), or a negative errno. */
int psim_vector(void *ctx, int32_t id, uint32_t nr)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	return d ? psim_irq_vector(d, nr) : -EINVAL;
}

/* request_irq on the first `count` vectors of a device (count < 0: on every one). */
int psim_request_irqs(void *ctx, int32_t id, int32_t count)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	psim_request_irqs_of(d, count);
	return 0;
}

/* request_irq on one vector of a device, after its request (0 or a negative errno). */
int psim_start_irq(void *ctx, int32_t id, uint32_t vector)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	return d ? psim_start_irq_of(d, vector) : -EINVAL;
}

/* free_irq on every requested vector, then pci_free_irq_vectors. */
int psim_free(void *ctx, int32_t id)
{
	ENTER(ctx);
	struct pci_dev *d = dev_of(id);
	if (!d)
		return -EINVAL;
	psim_free_irqs(d);
	psim_free_irq_vectors(d);
	return 0;
}
