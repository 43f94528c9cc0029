/* pseries-sim tree client, bottom: what drivers/pci offers below the MSI code: config
 * accessors (through the host, which makes the firmware's config calls), the capability
 * walk and INTx control with Linux's access pattern, DMA aliases, PCI domains, and the
 * MMIO the MSI-X table lives in. */
#include <linux/pci.h>
#include <linux/io.h>
#include <asm/pci-bridge.h>
#include "bottom.h"

int psim_pdev_id(const struct pci_dev *pdev)
{
	return pdev ? container_of(pdev, struct psim_pdev, pdev)->id : -1;
}

__typeof__(pci_bus_type) pci_bus_type = { .name = "pci" };

static int read(const struct pci_dev *dev, int where, int size, u32 *val)
{
	uint32_t v = 0;
	int r = psim_h->config_read(psim_ctx, psim_pdev_id(dev), where, size, &v);
	*val = r ? (size == 4 ? ~0u : size == 2 ? 0xffffu : 0xffu) : v;
	return r ? PCIBIOS_DEVICE_NOT_FOUND : PCIBIOS_SUCCESSFUL;
}

static int write(const struct pci_dev *dev, int where, int size, u32 val)
{
	int r = psim_h->config_write(psim_ctx, psim_pdev_id(dev), where, size, val);
	return r ? PCIBIOS_DEVICE_NOT_FOUND : PCIBIOS_SUCCESSFUL;
}

int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val)
{
	u32 v;
	int r = read(dev, where, 1, &v);
	*val = (u8)v;
	return r;
}

int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val)
{
	u32 v;
	int r = read(dev, where, 2, &v);
	*val = (u16)v;
	return r;
}

int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val)
{
	return read(dev, where, 4, val);
}

int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val)
{
	return write(dev, where, 1, val);
}

int pci_write_config_word(const struct pci_dev *dev, int where, u16 val)
{
	return write(dev, where, 2, val);
}

int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val)
{
	return write(dev, where, 4, val);
}

/* drivers/pci/pci.c's walk: the status bit, then the list from PCI_CAPABILITY_LIST,
 * at most 48 entries. */
u8 pci_find_capability(struct pci_dev *dev, int cap)
{
	u16 status;
	u8 pos, id;
	pci_read_config_word(dev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	pci_read_config_byte(dev, PCI_CAPABILITY_LIST, &pos);
	for (int ttl = 48; ttl-- && pos >= 0x40;) {
		u16 ent;
		pos &= ~3;
		pci_read_config_word(dev, pos, &ent);
		id = ent & 0xff;
		if (id == 0xff)
			break;
		if (id == cap)
			return pos;
		pos = ent >> 8;
	}
	return 0;
}

/* drivers/pci/pci.c: reads the command register, writes it only when it changes. */
void pci_intx(struct pci_dev *pdev, int enable)
{
	u16 cmd, new;
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	new = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
	if (new != cmd)
		pci_write_config_word(pdev, PCI_COMMAND, new);
}

int pci_for_each_dma_alias(struct pci_dev *pdev,
			   int (*fn)(struct pci_dev *pdev, u16 alias, void *data), void *data)
{
	return fn(pdev, PCI_DEVID(pdev->bus->number, pdev->devfn), data);
}

int pci_domain_nr(struct pci_bus *bus)
{
	struct pci_controller *phb = bus->sysdata;
	return phb ? phb->global_number : 0;
}

int pcibios_alloc_irq(struct pci_dev *dev)
{
	return 0;
}

void pcibios_free_irq(struct pci_dev *dev)
{
}

/* ---- MMIO (asm/io.h of the psim arch) ---- */

u64 psim_mmio_read(const volatile void __iomem *addr, int size)
{
	return psim_h->mmio_read(psim_ctx, (uint64_t)(unsigned long)addr, size);
}

void psim_mmio_write(volatile void __iomem *addr, int size, u64 val)
{
	psim_h->mmio_write(psim_ctx, (uint64_t)(unsigned long)addr, size, val);
}
