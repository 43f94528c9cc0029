/* pseries-sim tree client, bottom: the device tree (the simulator's, node by node
 * through the host) and firmware nodes, as drivers/of and drivers/base offer them. */
#include <linux/of.h>
#include <linux/fwnode.h>
#include <linux/property.h>
#include <linux/of_irq.h>
#include <linux/of_fdt.h>
#include <linux/of_address.h>
#include <linux/libfdt.h>
#include "bottom.h"

int psim_node_id(const struct device_node *dn)
{
	return dn ? container_of(dn, struct psim_node, dn)->id : -1;
}

/* Properties live in the simulator: every read asks it. */
const void *of_get_property(const struct device_node *np, const char *name, int *lenp)
{
	int32_t len = 0;
	if (!np || !psim_h)
		return NULL;
	const void *v = psim_h->get_property(psim_ctx, psim_node_id(np), name, &len);
	if (v && lenp)
		*lenp = len;
	return v;
}

struct device_node *of_get_parent(const struct device_node *node)
{
	return node ? node->parent : NULL;
}

struct device_node *of_get_next_parent(struct device_node *node)
{
	return node ? node->parent : NULL;
}

/* The OF firmware-node operations: a node's parent and name. */
static struct fwnode_handle *of_fw_get(struct fwnode_handle *fwnode)
{
	return fwnode;
}

static void of_fw_put(struct fwnode_handle *fwnode)
{
}

static const char *of_fw_get_name(const struct fwnode_handle *fwnode)
{
	const struct device_node *dn = to_of_node(fwnode);
	return dn && dn->full_name ? dn->full_name : "";
}

static struct fwnode_handle *of_fw_get_parent(const struct fwnode_handle *fwnode)
{
	const struct device_node *dn = to_of_node(fwnode);
	return dn && dn->parent ? (struct fwnode_handle *)&dn->parent->fwnode : NULL;
}

const struct fwnode_operations of_fwnode_ops = {
	.get = of_fw_get,
	.put = of_fw_put,
	.get_name = of_fw_get_name,
	.get_parent = of_fw_get_parent,
};

struct fwnode_handle *fwnode_handle_get(struct fwnode_handle *fwnode)
{
	return fwnode;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
void fwnode_handle_put(struct fwnode_handle *fwnode)
{
}
#endif

struct fwnode_handle *fwnode_get_parent(const struct fwnode_handle *fwnode)
{
	return is_of_node(fwnode) ? of_fw_get_parent(fwnode) : NULL;
}

bool is_software_node(const struct fwnode_handle *fwnode)
{
	return false;
}

/* pSeries trees have no msi-map: ids translate to themselves, no domain is named. */
u32 of_msi_map_id(struct device *dev, struct device_node *msi_np, u32 id_in)
{
	return id_in;
}

u32 of_msi_xlate(struct device *dev, struct device_node **msi_np, u32 id_in)
{
	return id_in;
}

struct irq_domain *of_msi_map_get_device_domain(struct device *dev, u32 id, u32 bus_token)
{
	return NULL;
}

/* ---- lookups the XIVE driver makes (drivers/of/base.c, address.c, fdt.c) ---- */

struct device_node *psim_of_root;

/* The next node after `n` depth first (NULL after the last). */
static struct device_node *walk_next(struct device_node *n)
{
	if (!n)
		return psim_of_root;
	if (n->child)
		return n->child;
	while (n && !n->sibling)
		n = n->parent;
	return n ? n->sibling : NULL;
}

/* Whether a string list property holds `s`. */
static bool in_list(const struct device_node *n, const char *prop, const char *s)
{
	int len = 0;
	const char *p = of_get_property(n, prop, &len);
	for (int at = 0; p && at < len; at += strlen(p + at) + 1)
		if (!strcmp(p + at, s))
			return true;
	return false;
}

struct device_node *of_find_compatible_node(struct device_node *from, const char *type,
					    const char *compat)
{
	for (struct device_node *n = walk_next(from); n; n = walk_next(n))
		if ((!type || in_list(n, "device_type", type)) && in_list(n, "compatible", compat))
			return n;
	return NULL;
}

/* A child by its name with unit address ("cpus", "pci@800000020000000"). */
static struct device_node *child_named(struct device_node *p, const char *name, size_t len)
{
	for (struct device_node *c = p ? p->child : NULL; c; c = c->sibling)
		if (strlen(c->full_name) == len && !strncmp(c->full_name, name, len))
			return c;
	return NULL;
}

struct device_node *of_find_node_opts_by_path(const char *path, const char **opts)
{
	struct device_node *n = psim_of_root;
	if (opts)
		*opts = NULL;
	if (!path || path[0] != '/')
		return NULL;
	while (n && *path) {
		while (*path == '/')
			path++;
		size_t len = strcspn(path, "/:");
		if (!len)
			break;
		n = child_named(n, path, len);
		path += len;
	}
	return n;
}

/* A cells property of the node or its nearest ancestor ("#address-cells"). */
static int cells(const struct device_node *n, const char *name, int dflt)
{
	for (; n; n = n->parent) {
		const __be32 *v = of_get_property(n, name, NULL);
		if (v)
			return be32_to_cpup(v);
	}
	return dflt;
}

static u64 read_cells(const __be32 *p, int n)
{
	u64 v = 0;
	while (n--)
		v = (v << 32) | be32_to_cpup(p++);
	return v;
}

/* `reg` entry `index`, untranslated: only nodes whose parent maps addresses 1:1 (the
 * root's children, as the XIVE node is) are asked. */
int of_address_to_resource(struct device_node *dev, int index, struct resource *r)
{
	int len = 0;
	const __be32 *reg = of_get_property(dev, "reg", &len);
	struct device_node *p = dev ? dev->parent : NULL;
	int na = cells(p, "#address-cells", 2), ns = cells(p, "#size-cells", 1);
	if (!reg || na < 1 || na > 2 || ns < 0 || ns > 2 || (index + 1) * (na + ns) * 4 > len)
		return -EINVAL;
	if (p && p->parent)
		return -EINVAL; /* would need the parents' ranges */
	reg += index * (na + ns);
	memset(r, 0, sizeof(*r));
	r->start = read_cells(reg, na);
	r->end = r->start + read_cells(reg + na, ns) - 1;
	r->flags = IORESOURCE_MEM;
	r->name = dev->full_name;
	return 0;
}

/* struct property for a node's value, made once per (node, name, value). */
struct psim_prop {
	struct property p;
	const struct device_node *node;
	struct psim_prop *next;
};
static struct psim_prop *props;

struct property *of_find_property(const struct device_node *np, const char *name, int *lenp)
{
	int len = 0;
	const void *v = of_get_property(np, name, &len);
	if (!v)
		return NULL;
	if (lenp)
		*lenp = len;
	for (struct psim_prop *p = props; p; p = p->next)
		if (p->node == np && p->p.value == v && !strcmp(p->p.name, name))
			return &p->p;
	struct psim_prop *p = psim_glue_alloc(sizeof(*p));
	if (!p)
		return NULL;
	p->p.name = kstrdup(name, GFP_KERNEL);
	p->p.length = len;
	p->p.value = (void *)v;
	p->node = np;
	p->next = props;
	props = p;
	return &p->p;
}

/* const from after 6.12 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
const __be32 *of_prop_next_u32(const struct property *prop, const __be32 *cur, u32 *pu)
#else
const __be32 *of_prop_next_u32(struct property *prop, const __be32 *cur, u32 *pu)
#endif
{
	const void *curv = cur;
	if (!prop)
		return NULL;
	if (!cur) {
		curv = prop->value;
	} else {
		curv += sizeof(*cur);
		if (curv >= prop->value + prop->length)
			return NULL;
	}
	*pu = be32_to_cpup(curv);
	return curv;
}

/* The flattened tree the OS booted with is the simulator's tree: a node's offset is
 * its id, biased past libfdt's error numbers. */
#define FLAT(n) ((n) ? psim_node_id(n) + 64 : -FDT_ERR_NOTFOUND)

static struct device_node *unflat(unsigned long off)
{
	struct device_node *n = psim_of_root;
	while (n && (unsigned long)(psim_node_id(n) + 64) != off)
		n = walk_next(n);
	return n;
}

unsigned long of_get_flat_dt_root(void)
{
	return FLAT(psim_of_root);
}

int of_get_flat_dt_subnode_by_name(unsigned long node, const char *uname)
{
	struct device_node *p = unflat(node);
	struct device_node *c = child_named(p, uname, strlen(uname));
	for (struct device_node *x = p ? p->child : NULL; !c && x; x = x->sibling)
		if (!strcmp(x->name, uname))
			c = x;
	return FLAT(c);
}

const void *of_get_flat_dt_prop(unsigned long node, const char *name, int *size)
{
	struct device_node *n = unflat(node);
	return n ? of_get_property(n, name, size) : NULL;
}
