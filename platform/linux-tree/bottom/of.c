/* pseries-sim tree client, bottom: the device tree (the simulator's, node by node
 * through the host) and firmware nodes, as drivers/of and drivers/base offer them. */
#include <linux/of.h>
#include <linux/fwnode.h>
#include <linux/property.h>
#include <linux/of_irq.h>
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
