/* pseries-sim: the stand-in kernel environment, middle layer: the kernel's hierarchical
 * irq domains and its generic MSI core (types, ops tables, the functions msi.c calls),
 * as a pSeries msi.c uses them.
 *
 * Layer: middle. Implemented in irq.c, msi_core.c and pci_msi.c; includes only the
 * bottom layer's psim_base.h. It holds no kernel source. */
#ifndef PSIM_IRQ_H
#define PSIM_IRQ_H

#include "psim_base.h"

/* ---- irq core ---- */
#define IRQ_TYPE_NONE 0
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_LOW 8
#define IRQCHIP_ONESHOT_SAFE (1 << 5)
#define IRQCHIP_SUPPORTS_LEVEL_MSI (1 << 7)
#define IRQ_SET_MASK_OK 0
#define IRQ_SET_MASK_OK_DONE 2

struct cpumask {
	unsigned long bits[1];
};
struct msi_desc;
struct msi_msg;
struct irq_domain;
struct irq_chip;
struct irq_common_data {
	struct msi_desc *msi_desc;
	unsigned int irq;
	int activated;
	int started;
};
struct irq_data {
	unsigned int irq;
	irq_hw_number_t hwirq;
	struct irq_common_data *common;
	struct irq_chip *chip;
	struct irq_domain *domain;
	struct irq_data *parent_data;
	void *chip_data;
};
struct irq_chip {
	const char *name;
	unsigned int (*irq_startup)(struct irq_data *data);
	void (*irq_shutdown)(struct irq_data *data);
	void (*irq_enable)(struct irq_data *data);
	void (*irq_disable)(struct irq_data *data);
	void (*irq_mask)(struct irq_data *data);
	void (*irq_unmask)(struct irq_data *data);
	void (*irq_eoi)(struct irq_data *data);
	int (*irq_set_affinity)(struct irq_data *data, const struct cpumask *dest, bool force);
	void (*irq_compose_msi_msg)(struct irq_data *data, struct msi_msg *msg);
	void (*irq_write_msi_msg)(struct irq_data *data, struct msi_msg *msg);
	unsigned long flags;
};
struct irq_fwspec {
	struct fwnode_handle *fwnode;
	int param_count;
	u32 param[16];
};
struct irq_domain_ops {
	int (*alloc)(struct irq_domain *d, unsigned int virq, unsigned int nr_irqs, void *arg);
	void (*free)(struct irq_domain *d, unsigned int virq, unsigned int nr_irqs);
	int (*activate)(struct irq_domain *d, struct irq_data *irqd, bool reserve);
	void (*deactivate)(struct irq_domain *d, struct irq_data *irq_data);
};
enum irq_domain_bus_token { DOMAIN_BUS_ANY = 0, DOMAIN_BUS_PCI_MSI = 4 };
struct irq_domain {
	const char *name;
	const struct irq_domain_ops *ops;
	void *host_data;
	unsigned int flags;
	struct fwnode_handle *fwnode;
	enum irq_domain_bus_token bus_token;
	struct irq_domain *parent;
	unsigned int size;
};
#define IRQ_DOMAIN_FLAG_HIERARCHY (1 << 0)
#define IRQ_DOMAIN_FLAG_MSI (1 << 4)

struct irq_domain *irq_get_default_host(void);
struct fwnode_handle *irq_domain_alloc_named_id_fwnode(const char *name, int id);
void irq_domain_free_fwnode(struct fwnode_handle *fwnode);
struct irq_domain *irq_domain_create_hierarchy(struct irq_domain *parent, unsigned int flags,
					       unsigned int size, struct fwnode_handle *fwnode,
					       const struct irq_domain_ops *ops, void *host_data);
void irq_domain_remove(struct irq_domain *domain);
int irq_domain_alloc_irqs_parent(struct irq_domain *domain, unsigned int irq_base,
				 unsigned int nr_irqs, void *arg);
void irq_domain_free_irqs_parent(struct irq_domain *domain, unsigned int irq_base,
				 unsigned int nr_irqs);
int irq_domain_set_hwirq_and_chip(struct irq_domain *domain, unsigned int virq,
				  irq_hw_number_t hwirq, const struct irq_chip *chip,
				  void *chip_data);
struct irq_data *irq_domain_get_irq_data(struct irq_domain *domain, unsigned int virq);
struct irq_data *irq_get_irq_data(unsigned int irq);
static inline void *irq_data_get_irq_chip_data(struct irq_data *d) { return d->chip_data; }
static inline struct msi_desc *irq_data_get_msi_desc(struct irq_data *d)
{
	return d->common->msi_desc;
}
void irq_chip_mask_parent(struct irq_data *data);
void irq_chip_unmask_parent(struct irq_data *data);
void irq_chip_eoi_parent(struct irq_data *data);
int irq_chip_set_affinity_parent(struct irq_data *data, const struct cpumask *dest, bool force);
struct msi_desc *irq_get_msi_desc(unsigned int irq);

/* ---- MSI ---- */
struct msi_msg {
	u32 address_lo;
	u32 address_hi;
	u32 data;
};
struct pci_msi_desc {
	union {
		u32 msi_mask;
		u32 msix_ctrl;
	};
	struct {
		u8 is_msix : 1;
		u8 multiple : 3;
		u8 multi_cap : 3;
		u8 can_mask : 1;
		u8 is_64 : 1;
		u8 is_virtual : 1;
		unsigned int default_irq;
	} msi_attrib;
	union {
		u8 mask_pos;
		void __iomem *mask_base;
	};
};
struct msi_desc {
	unsigned int irq;
	unsigned int nvec_used;
	struct device *dev;
	struct msi_msg msg;
	void *affinity;
	u16 msi_index;
	struct pci_msi_desc pci;
	void (*write_msi_msg)(struct msi_desc *entry, void *data);
	void *write_msi_msg_data;
};
typedef struct {
	struct msi_desc *desc;
	irq_hw_number_t hwirq;
	unsigned long flags;
	void *ptrs[4];
} msi_alloc_info_t;

struct msi_domain_info;
struct msi_domain_ops {
	irq_hw_number_t (*get_hwirq)(struct msi_domain_info *info, msi_alloc_info_t *arg);
	int (*msi_init)(struct irq_domain *domain, struct msi_domain_info *info,
			unsigned int virq, irq_hw_number_t hwirq, msi_alloc_info_t *arg);
	void (*msi_free)(struct irq_domain *domain, struct msi_domain_info *info,
			 unsigned int virq);
	int (*msi_check)(struct irq_domain *domain, struct msi_domain_info *info,
			 struct device *dev);
	int (*msi_prepare)(struct irq_domain *domain, struct device *dev, int nvec,
			   msi_alloc_info_t *arg);
	void (*set_desc)(msi_alloc_info_t *arg, struct msi_desc *desc);
	int (*domain_alloc_irqs)(struct irq_domain *domain, struct device *dev, int nvec);
	void (*domain_free_irqs)(struct irq_domain *domain, struct device *dev);
};
struct msi_domain_info {
	u32 flags;
	struct msi_domain_ops *ops;
	struct irq_chip *chip;
	void *chip_data;
	void *handler;
	void *handler_data;
	const char *handler_name;
	void *data;
};
enum {
	MSI_FLAG_USE_DEF_DOM_OPS = (1 << 0),
	MSI_FLAG_USE_DEF_CHIP_OPS = (1 << 1),
	MSI_FLAG_MULTI_PCI_MSI = (1 << 2),
	MSI_FLAG_PCI_MSIX = (1 << 3),
	MSI_FLAG_ACTIVATE_EARLY = (1 << 4),
	MSI_FLAG_MUST_REACTIVATE = (1 << 5),
	MSI_FLAG_LEVEL_CAPABLE = (1 << 6),
	MSI_FLAG_DEV_SYSFS = (1 << 7),
	MSI_FLAG_MSIX_CONTIGUOUS = (1 << 8),
	MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS = (1 << 9),
	MSI_FLAG_FREE_MSI_DESCS = (1 << 10),
};
struct pci_dev *msi_desc_to_pci_dev(struct msi_desc *desc);
void __pci_read_msi_msg(struct msi_desc *entry, struct msi_msg *msg);
void __pci_write_msi_msg(struct msi_desc *entry, struct msi_msg *msg);
void get_cached_msi_msg(unsigned int irq, struct msi_msg *msg);
void pci_msi_mask_irq(struct irq_data *data);
void pci_msi_unmask_irq(struct irq_data *data);
struct irq_domain *pci_msi_create_irq_domain(struct fwnode_handle *fwnode,
					     struct msi_domain_info *info,
					     struct irq_domain *parent);
void __msi_domain_free_irqs(struct irq_domain *domain, struct device *dev);
int __msi_domain_alloc_irqs(struct irq_domain *domain, struct device *dev, int nvec);
struct msi_domain_info *msi_get_domain_info(struct irq_domain *domain);

#endif
