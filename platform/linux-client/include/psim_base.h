/* pseries-sim: the stand-in kernel environment, bottom layer: the kernel's basic types
 * and macros, messages, memory, the device tree, PCI functions and config space, the ppc
 * PCI structures, RTAS and the machine, as a pSeries msi.c uses them.
 *
 * Layer: bottom. Implemented in base.c over the simulator's host interface (struct
 * psim_host); includes no header of ours. The irq and MSI core above it is psim_irq.h;
 * msi.c sees both through psim.h. It holds no kernel source. */
#ifndef PSIM_BASE_H
#define PSIM_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>

/* ---- basic types ---- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef unsigned long irq_hw_number_t;
typedef u64 resource_size_t;

#define __init
#define __iomem
#define __maybe_unused __attribute__((unused))
#define EXPORT_SYMBOL(x)
#define EXPORT_SYMBOL_GPL(x)
#define likely(x) (x)
#define unlikely(x) (x)
#define BIT(n) (1UL << (n))
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

#define max(a, b) ((a) > (b) ? (a) : (b))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline u32 be32_to_cpup(const __be32 *p)
{
	const u8 *b = (const u8 *)p;
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}
#define be32_to_cpu(x) be32_to_cpup(&(x))
static inline u64 of_read_number(const __be32 *cell, int size)
{
	u64 r = 0;
	while (size--)
		r = (r << 32) | be32_to_cpup(cell++);
	return r;
}

static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	unsigned long r = 1;
	while (r < n)
		r <<= 1;
	return r;
}
#define __roundup_pow_of_two roundup_pow_of_two
static inline int ilog2(unsigned long n)
{
	int r = -1;
	while (n) {
		n >>= 1;
		r++;
	}
	return r;
}

/* ---- lists ---- */
struct list_head {
	struct list_head *next, *prev;
};
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)

/* ---- printk ---- */
#define KERN_ERR "<3>"
#define KERN_EMERG "<0>"
#define KERN_WARNING "<4>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define pr_fmt(fmt) fmt
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel pr_debug

struct device;
int psim_dev_printk(const char *level, const struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define dev_err(d, fmt, ...) psim_dev_printk(KERN_ERR, d, fmt, ##__VA_ARGS__)
#define dev_warn(d, fmt, ...) psim_dev_printk(KERN_WARNING, d, fmt, ##__VA_ARGS__)
#define dev_info(d, fmt, ...) psim_dev_printk(KERN_INFO, d, fmt, ##__VA_ARGS__)
#define dev_dbg(d, fmt, ...) psim_dev_printk(KERN_DEBUG, d, fmt, ##__VA_ARGS__)
#define pci_err(pdev, fmt, ...) dev_err(&(pdev)->dev, fmt, ##__VA_ARGS__)
#define pci_info(pdev, fmt, ...) dev_info(&(pdev)->dev, fmt, ##__VA_ARGS__)
#define pci_dbg(pdev, fmt, ...) dev_dbg(&(pdev)->dev, fmt, ##__VA_ARGS__)

int psim_warn(const char *file, int line, const char *cond);
#define WARN_ON(c) ({ int __c = !!(c); if (__c) psim_warn(__FILE__, __LINE__, #c); __c; })
#define WARN_ON_ONCE(c) WARN_ON(c)
/* A kernel BUG: the message, then the client stops (the simulator reports it). */
void psim_bug(const char *file, int line, const char *cond) __attribute__((noreturn));
#define BUG() psim_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(c) do { if (c) psim_bug(__FILE__, __LINE__, #c); } while (0)

/* ---- memory ---- */
#define GFP_KERNEL 0
void *kzalloc(size_t size, int flags);
void kfree(const void *p);

/* ---- device tree ---- */
struct fwnode_handle {
	int id;
};
struct pci_dn;
struct device_node {
	const char *full_name;
	struct fwnode_handle fwnode;
	struct device_node *parent, *child, *sibling, *last_child;
	void *data; /* struct pci_dn */
	int id;     /* the simulator's node */
	unsigned long _flags;
};
#define OF_DETACHED 2 /* detached from the device tree */
static inline int of_node_check_flag(const struct device_node *n, unsigned long flag)
{
	return (n->_flags & (1UL << flag)) != 0;
}
static inline void of_node_set_flag(struct device_node *n, unsigned long flag)
{
	n->_flags |= 1UL << flag;
}
const void *of_get_property(const struct device_node *np, const char *name, int *lenp);
static inline struct device_node *of_node_get(struct device_node *n) { return n; }
static inline void of_node_put(struct device_node *n) { (void)n; }
static inline struct device_node *of_get_parent(const struct device_node *n)
{
	return n ? n->parent : NULL;
}
static inline struct device_node *of_get_next_parent(struct device_node *n)
{
	return n ? n->parent : NULL;
}
static inline struct fwnode_handle *of_node_to_fwnode(struct device_node *n)
{
	return n ? &n->fwnode : NULL;
}
#define of_fwnode_handle of_node_to_fwnode

/* ---- PCI ---- */
#define PCI_COMMAND 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_CLASS_BRIDGE_PCI 0x0604
#define PCI_CLASS_BRIDGE_CARDBUS 0x0607
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QMASK 0x000e
#define PCI_MSI_FLAGS_QSIZE 0x0070
#define PCI_MSI_FLAGS_64BIT 0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100
#define PCI_MSI_ADDRESS_LO 4
#define PCI_MSI_ADDRESS_HI 8
#define PCI_MSI_DATA_32 8
#define PCI_MSI_MASK_32 12
#define PCI_MSI_DATA_64 12
#define PCI_MSI_MASK_64 16
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x07ff
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_TABLE_BIR 0x00000007
#define PCI_MSIX_TABLE_OFFSET 0xfffffff8
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0
#define PCI_MSIX_ENTRY_UPPER_ADDR 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

enum pci_bus_speed { PCIE_SPEED_2_5GT = 0x14, PCIE_SPEED_5_0GT = 0x15, PCI_SPEED_UNKNOWN = 0xff };
typedef int pci_power_t;
#define PCI_D0 0
#define PCI_D3hot 3

struct msi_device_data;
struct device {
	struct device_node *of_node;
	const char *name; /* dev_name: domain:bus:dev.fn */
	struct irq_domain *msi_domain;
	struct msi_device_data *msi_data;
	bool is_pci;
};
static inline const char *dev_name(const struct device *d) { return d->name; }

struct pci_bus {
	unsigned char number;
	enum pci_bus_speed max_bus_speed;
	struct pci_bus *parent;
};

struct pci_dev {
	struct device dev;
	struct pci_bus *bus;
	unsigned int devfn;
	unsigned int irq;
	u8 msi_cap;
	u8 msix_cap;
	unsigned int msi_enabled:1;
	unsigned int msix_enabled:1;
	unsigned int no_msi:1;
	unsigned int no_64bit_msi:1;
	pci_power_t current_state;
	void __iomem *msix_base;
	int psim_id; /* the simulator's device */
	int psim_requested; /* vectors started (request_irq) */
};
#define to_pci_dev(d) container_of(d, struct pci_dev, dev)
static inline bool dev_is_pci(struct device *d) { return d && d->is_pci; }
static inline const char *pci_name(const struct pci_dev *p) { return dev_name(&p->dev); }
static inline struct device_node *pci_device_to_OF_node(const struct pci_dev *p)
{
	return p ? p->dev.of_node : NULL;
}
int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val);
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val);
int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val);
int pci_write_config_word(const struct pci_dev *dev, int where, u16 val);
int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val);

/* ---- ppc PCI ---- */
struct pci_controller {
	struct device_node *dn;
	int global_number;
	u64 buid;
	struct fwnode_handle *fwnode;
	struct irq_domain *dev_domain;
	struct irq_domain *msi_domain;
};
struct pci_dn {
	int busno;
	int devfn;
	struct pci_controller *phb;
	struct eeh_dev *edev;
	struct pci_dev *pcidev;
};
#define PCI_DN(dn) ((struct pci_dn *)(dn)->data)
struct pci_dn *pci_get_pdn(struct pci_dev *pdev);
void *pci_traverse_device_nodes(struct device_node *start,
				void *(*fn)(struct device_node *, void *), void *data);
struct eeh_pe {
	struct list_head edevs;
};
struct eeh_dev {
	struct eeh_pe *pe;
	struct list_head entry;
	struct pci_dev *pdev;
	struct pci_dn *pdn;
};
static inline struct eeh_dev *pdn_to_eeh_dev(struct pci_dn *pdn) { return pdn ? pdn->edev : NULL; }

/* ---- RTAS ---- */
#define RTAS_UNKNOWN_SERVICE (-1)
#define RTAS_BUSY (-2)
#define RTAS_EXTENDED_DELAY_MIN 9900
#define RTAS_EXTENDED_DELAY_MAX 9905
#define BUID_HI(buid) ((buid) >> 32)
#define BUID_LO(buid) ((buid) & 0xffffffff)
int rtas_call(int token, int nargs, int nret, void *outputs, ...);
int rtas_token(const char *service);
bool rtas_busy_delay(int status);
static inline int rtas_config_addr(int busno, int devfn, int reg)
{
	return ((reg & 0xf00) << 20) | ((busno & 0xff) << 16) | (devfn << 8) | (reg & 0xff);
}

/* ---- machine ---- */
struct machdep_calls {
	void (*pci_irq_fixup)(struct pci_dev *dev);
};
extern struct machdep_calls ppc_md;
void psim_register_initcall(const char *machine, int (*fn)(void));
#define machine_arch_initcall(mach, fn) \
	static void __attribute__((constructor)) psim_initcall_##fn(void) \
	{ psim_register_initcall(#mach, fn); }
#define machine_device_initcall machine_arch_initcall
#define machine_subsys_initcall machine_arch_initcall
bool xive_enabled(void);
void xive_irq_free_data(unsigned int virq);
static inline bool is_kdump_kernel(void) { return false; }

#endif
