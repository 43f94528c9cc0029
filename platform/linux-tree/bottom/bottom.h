/* pseries-sim tree client, bottom: what the stand-ins below the real MSI core share
 * with each other and offer the top: the host (the simulator's callbacks), the
 * simulator's ids of nodes and PCI functions, the kernel formatter. Kernel-side: built
 * against the tree's own headers. */
#ifndef PSIM_BOTTOM_H
#define PSIM_BOTTOM_H
#include <linux/kernel.h>
#include <linux/version.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include "psim_host.h"
#include "glue.h"

/* The simulator's callbacks and its context, for the call being served. */
extern const struct psim_host *psim_h;
extern void *psim_ctx;

/* A device-tree node with the simulator's id of it. */
struct psim_node {
	struct device_node dn;
	int id;
};

/* A PCI function with the simulator's id of it. */
struct psim_pdev {
	struct pci_dev pdev;
	int id;
	int requested;
	int removed; /* its node left the tree (a DLPAR removal) */
};

/* The simulator's id of a node or function (-1 when not one of ours). */
int psim_node_id(const struct device_node *dn);
int psim_pdev_id(const struct pci_dev *pdev);

/* The kernel's vsnprintf (with %pOF, %pfw), as the tree's printk would format. */
int psim_vformat(char *buf, size_t size, const char *fmt, va_list ap);
/* A message to the host at a kernel level (0..7; the text without level). */
void psim_log(int level, const char *text);

/* Releases every devres resource of a device, newest first (a driver unbinding). */
void psim_devres_release_all(struct device *dev);

/* The XIVE flag (asm/xive.h), set from the host. */
extern bool __xive_enabled;

/* The root of the device tree (the node without a parent). */
extern struct device_node *psim_of_root;

/* Stores a word the firmware wrote into a queue page (bottom/xive.c); false when the
 * address is no queue page. */
bool psim_queue_store(uint64_t addr, uint32_t value);
/* Set when an EOI asks for the external-interrupt handler to run again. */
extern int psim_replay;
#endif
