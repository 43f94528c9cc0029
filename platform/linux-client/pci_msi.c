/* pseries-sim, middle layer: the PCI side of Linux 6.1's MSI core (drivers/pci/msi):
 * enabling MSI and MSI-X with the retry on a positive count, the descriptors each sets
 * up, masking through the capability or the table, reading and writing messages,
 * shutdown, and request_irq / free_irq over a function's vectors.
 * Includes only middle.h (its layer and below); calls msi_core.c, irq.c and the bottom. */
#include <stdlib.h>
#include "middle.h"

/* ---- PCI MSI (drivers/pci/msi) ---- */

struct pci_dev *msi_desc_to_pci_dev(struct msi_desc *desc)
{
	return to_pci_dev(desc->dev);
}

static int pci_msi_setup_msi_irqs(struct pci_dev *dev, int nvec)
{
	struct irq_domain *domain = dev->dev.msi_domain;
	if (!domain)
		return -ENOSYS; /* no legacy arch hooks on pSeries */
	return msi_domain_alloc_irqs_descs_locked(domain, &dev->dev, nvec);
}

static void pci_msi_teardown_msi_irqs(struct pci_dev *dev)
{
	if (dev->dev.msi_domain)
		msi_domain_free_irqs_descs_locked(dev->dev.msi_domain, &dev->dev);
	msi_free_msi_descs(&dev->dev);
}

static void free_msi_irqs(struct pci_dev *dev)
{
	pci_msi_teardown_msi_irqs(dev);
	dev->msix_base = NULL;
}

static void pci_intx(struct pci_dev *dev, int enable)
{
	u16 cmd, new;
	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	new = enable ? (cmd & ~PCI_COMMAND_INTX_DISABLE) : (cmd | PCI_COMMAND_INTX_DISABLE);
	if (new != cmd)
		pci_write_config_word(dev, PCI_COMMAND, new);
}

static void pci_msi_set_enable(struct pci_dev *dev, int enable)
{
	u16 control;
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &control);
	control &= ~PCI_MSI_FLAGS_ENABLE;
	if (enable)
		control |= PCI_MSI_FLAGS_ENABLE;
	pci_write_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, control);
}

static void pci_msix_clear_and_set_ctrl(struct pci_dev *dev, u16 clear, u16 set)
{
	u16 ctrl;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &ctrl);
	ctrl &= ~clear;
	ctrl |= set;
	pci_write_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, ctrl);
}

static void pci_msi_update_mask(struct msi_desc *desc, u32 clear, u32 set)
{
	if (!desc->pci.msi_attrib.can_mask)
		return;
	desc->pci.msi_mask &= ~clear;
	desc->pci.msi_mask |= set;
	pci_write_config_dword(msi_desc_to_pci_dev(desc), desc->pci.mask_pos, desc->pci.msi_mask);
}

static inline u32 msi_multi_mask(struct msi_desc *desc)
{
	if (desc->pci.msi_attrib.multi_cap >= 5)
		return 0xffffffff;
	return (1u << (1u << desc->pci.msi_attrib.multi_cap)) - 1;
}

static void __iomem *pci_msix_desc_addr(struct msi_desc *desc)
{
	return (char __iomem *)desc->pci.mask_base + desc->msi_index * PCI_MSIX_ENTRY_SIZE;
}

static void pci_msix_write_vector_ctrl(struct msi_desc *desc, u32 ctrl)
{
	if (desc->pci.msi_attrib.can_mask)
		writel(ctrl, (char __iomem *)pci_msix_desc_addr(desc) + PCI_MSIX_ENTRY_VECTOR_CTRL);
}

static void pci_msix_mask(struct msi_desc *desc)
{
	desc->pci.msix_ctrl |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_msix_write_vector_ctrl(desc, desc->pci.msix_ctrl);
	readl(desc->pci.mask_base);
}

static void pci_msix_unmask(struct msi_desc *desc)
{
	desc->pci.msix_ctrl &= ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_msix_write_vector_ctrl(desc, desc->pci.msix_ctrl);
}

void pci_msi_mask_irq(struct irq_data *data)
{
	struct msi_desc *desc = irq_data_get_msi_desc(data);
	if (desc->pci.msi_attrib.is_msix)
		pci_msix_mask(desc);
	else
		pci_msi_update_mask(desc, 0, (u32)BIT(data->irq - desc->irq));
}

void pci_msi_unmask_irq(struct irq_data *data)
{
	struct msi_desc *desc = irq_data_get_msi_desc(data);
	if (desc->pci.msi_attrib.is_msix)
		pci_msix_unmask(desc);
	else
		pci_msi_update_mask(desc, (u32)BIT(data->irq - desc->irq), 0);
}

void __pci_read_msi_msg(struct msi_desc *entry, struct msi_msg *msg)
{
	struct pci_dev *dev = msi_desc_to_pci_dev(entry);
	if (entry->pci.msi_attrib.is_msix) {
		char __iomem *base = pci_msix_desc_addr(entry);
		if (WARN_ON_ONCE(entry->pci.msi_attrib.is_virtual))
			return;
		msg->address_lo = readl(base + PCI_MSIX_ENTRY_LOWER_ADDR);
		msg->address_hi = readl(base + PCI_MSIX_ENTRY_UPPER_ADDR);
		msg->data = readl(base + PCI_MSIX_ENTRY_DATA);
	} else {
		int pos = dev->msi_cap;
		u16 data;
		pci_read_config_dword(dev, pos + PCI_MSI_ADDRESS_LO, &msg->address_lo);
		if (entry->pci.msi_attrib.is_64) {
			pci_read_config_dword(dev, pos + PCI_MSI_ADDRESS_HI, &msg->address_hi);
			pci_read_config_word(dev, pos + PCI_MSI_DATA_64, &data);
		} else {
			msg->address_hi = 0;
			pci_read_config_word(dev, pos + PCI_MSI_DATA_32, &data);
		}
		msg->data = data;
	}
}

void __pci_write_msi_msg(struct msi_desc *entry, struct msi_msg *msg)
{
	struct pci_dev *dev = msi_desc_to_pci_dev(entry);
	if (dev->current_state != PCI_D0) {
		/* Don't touch the hardware now */
	} else if (entry->pci.msi_attrib.is_msix) {
		char __iomem *base = pci_msix_desc_addr(entry);
		u32 ctrl = entry->pci.msix_ctrl;
		bool unmasked = !(ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
		if (entry->pci.msi_attrib.is_virtual)
			goto skip;
		if (unmasked)
			pci_msix_write_vector_ctrl(entry, ctrl | PCI_MSIX_ENTRY_CTRL_MASKBIT);
		writel(msg->address_lo, base + PCI_MSIX_ENTRY_LOWER_ADDR);
		writel(msg->address_hi, base + PCI_MSIX_ENTRY_UPPER_ADDR);
		writel(msg->data, base + PCI_MSIX_ENTRY_DATA);
		if (unmasked)
			pci_msix_write_vector_ctrl(entry, ctrl);
		readl(base + PCI_MSIX_ENTRY_DATA);
	} else {
		int pos = dev->msi_cap;
		u16 msgctl;
		pci_read_config_word(dev, pos + PCI_MSI_FLAGS, &msgctl);
		msgctl &= ~PCI_MSI_FLAGS_QSIZE;
		msgctl |= entry->pci.msi_attrib.multiple << 4;
		pci_write_config_word(dev, pos + PCI_MSI_FLAGS, msgctl);
		pci_write_config_dword(dev, pos + PCI_MSI_ADDRESS_LO, msg->address_lo);
		if (entry->pci.msi_attrib.is_64) {
			pci_write_config_dword(dev, pos + PCI_MSI_ADDRESS_HI, msg->address_hi);
			pci_write_config_word(dev, pos + PCI_MSI_DATA_64, (u16)msg->data);
		} else {
			pci_write_config_word(dev, pos + PCI_MSI_DATA_32, (u16)msg->data);
		}
		pci_read_config_word(dev, pos + PCI_MSI_FLAGS, &msgctl);
	}
skip:
	entry->msg = *msg;
}

static int msi_verify_entries(struct pci_dev *dev)
{
	struct msi_desc *entry = NULL;
	if (!dev->no_64bit_msi)
		return 0;
	for_each_desc(entry, &dev->dev, MSI_DESC_ALL) {
		if (entry->msg.address_hi) {
			pci_err(dev, "arch assigned 64-bit MSI address %#x%08x but device only supports 32 bits\n",
				entry->msg.address_hi, entry->msg.address_lo);
			return -EIO;
		}
	}
	return 0;
}

static int msi_setup_msi_desc(struct pci_dev *dev, int nvec)
{
	struct msi_desc desc;
	u16 control;
	memset(&desc, 0, sizeof(desc));
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &control);
	desc.nvec_used = (unsigned)nvec;
	desc.pci.msi_attrib.is_64 = !!(control & PCI_MSI_FLAGS_64BIT);
	desc.pci.msi_attrib.can_mask = !!(control & PCI_MSI_FLAGS_MASKBIT);
	desc.pci.msi_attrib.default_irq = dev->irq;
	desc.pci.msi_attrib.multi_cap = (control & PCI_MSI_FLAGS_QMASK) >> 1;
	desc.pci.msi_attrib.multiple = ilog2(__roundup_pow_of_two((unsigned)nvec));
	desc.pci.mask_pos = dev->msi_cap + ((control & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
	if (desc.pci.msi_attrib.can_mask)
		pci_read_config_dword(dev, desc.pci.mask_pos, &desc.pci.msi_mask);
	return msi_add_msi_desc(&dev->dev, &desc);
}

static int msi_capability_init(struct pci_dev *dev, int nvec)
{
	struct msi_desc *entry, desc;
	int ret;
	pci_msi_set_enable(dev, 0);
	dev->msi_enabled = 1;
	ret = msi_setup_msi_desc(dev, nvec);
	if (ret)
		goto fail;
	entry = msi_first_desc(&dev->dev, MSI_DESC_ALL);
	pci_msi_update_mask(entry, 0, msi_multi_mask(entry));
	memcpy(&desc, entry, sizeof(desc));
	ret = pci_msi_setup_msi_irqs(dev, nvec);
	if (ret)
		goto err;
	ret = msi_verify_entries(dev);
	if (ret)
		goto err;
	pci_intx(dev, 0);
	pci_msi_set_enable(dev, 1);
	dev->irq = entry->irq;
	return 0;
err:
	pci_msi_update_mask(&desc, msi_multi_mask(&desc), 0);
	free_msi_irqs(dev);
fail:
	dev->msi_enabled = 0;
	return ret;
}

static int pci_msi_vec_count(struct pci_dev *dev)
{
	u16 msgctl;
	if (!dev->msi_cap)
		return -EINVAL;
	pci_read_config_word(dev, dev->msi_cap + PCI_MSI_FLAGS, &msgctl);
	return 1 << ((msgctl & PCI_MSI_FLAGS_QMASK) >> 1);
}

static int pci_msix_vec_count(struct pci_dev *dev)
{
	u16 control;
	if (!dev->msix_cap)
		return -EINVAL;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &control);
	return (control & PCI_MSIX_FLAGS_QSIZE) + 1;
}

int psim_enable_msi_range(struct pci_dev *dev, int minvec, int maxvec)
{
	int nvec, rc;
	if (dev->no_msi || minvec < 1 || dev->current_state != PCI_D0)
		return -EINVAL;
	if (dev->msix_enabled) {
		pci_info(dev, "can't enable MSI (MSI-X already enabled)\n");
		return -EINVAL;
	}
	if (maxvec < minvec)
		return -ERANGE;
	if (WARN_ON_ONCE(dev->msi_enabled))
		return -EINVAL;
	nvec = pci_msi_vec_count(dev);
	if (nvec < 0)
		return nvec;
	if (nvec < minvec)
		return -ENOSPC;
	if (nvec > maxvec)
		nvec = maxvec;
	rc = msi_setup_device_data(&dev->dev);
	if (rc)
		return rc;
	for (;;) {
		rc = msi_capability_init(dev, nvec);
		if (rc == 0)
			return nvec;
		if (rc < 0)
			return rc;
		if (rc < minvec)
			return -ENOSPC;
		nvec = rc;
	}
}

static int msix_setup_msi_descs(struct pci_dev *dev, void __iomem *base, int nvec)
{
	int ret = 0, vec_count = pci_msix_vec_count(dev);
	struct msi_desc desc;
	memset(&desc, 0, sizeof(desc));
	desc.nvec_used = 1;
	desc.pci.msi_attrib.is_msix = 1;
	desc.pci.msi_attrib.is_64 = 1;
	desc.pci.msi_attrib.default_irq = dev->irq;
	desc.pci.mask_base = base;
	for (int i = 0; i < nvec; i++) {
		desc.msi_index = (u16)i;
		desc.pci.msi_attrib.is_virtual = desc.msi_index >= vec_count;
		desc.pci.msi_attrib.can_mask = !desc.pci.msi_attrib.is_virtual;
		if (desc.pci.msi_attrib.can_mask)
			desc.pci.msix_ctrl = readl((char __iomem *)pci_msix_desc_addr(&desc) +
						   PCI_MSIX_ENTRY_VECTOR_CTRL);
		ret = msi_add_msi_desc(&dev->dev, &desc);
		if (ret)
			break;
	}
	return ret;
}

static int msix_setup_interrupts(struct pci_dev *dev, void __iomem *base, int nvec)
{
	int ret = msix_setup_msi_descs(dev, base, nvec);
	if (ret)
		goto out_free;
	ret = pci_msi_setup_msi_irqs(dev, nvec);
	if (ret)
		goto out_free;
	ret = msi_verify_entries(dev);
	if (ret)
		goto out_free;
	return 0;
out_free:
	free_msi_irqs(dev);
	return ret;
}

static int msix_capability_init(struct pci_dev *dev, int nvec)
{
	void __iomem *base;
	int ret, tsize;
	u16 control;
	pci_msix_clear_and_set_ctrl(dev, 0, PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE);
	dev->msix_enabled = 1;
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &control);
	tsize = (control & PCI_MSIX_FLAGS_QSIZE) + 1;
	/* msix_map_region: the table's CPU address from Table BIR/offset and the BAR. */
	base = (void __iomem *)(uintptr_t)psim_h->msix_table(psim_ctx, dev->psim_id);
	if (!base) {
		ret = -ENOMEM;
		goto out_disable;
	}
	dev->msix_base = base;
	ret = msix_setup_interrupts(dev, base, nvec);
	if (ret)
		goto out_disable;
	pci_intx(dev, 0);
	/* msix_mask_all */
	for (int i = 0; i < tsize; i++)
		writel(PCI_MSIX_ENTRY_CTRL_MASKBIT,
		       (char __iomem *)base + i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL);
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL, 0);
	return 0;
out_disable:
	dev->msix_enabled = 0;
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE, 0);
	return ret;
}

static int pci_enable_msix(struct pci_dev *dev, int nvec)
{
	if (dev->no_msi || nvec < 1 || dev->current_state != PCI_D0)
		return -EINVAL;
	int nr_entries = pci_msix_vec_count(dev);
	if (nr_entries < 0)
		return nr_entries;
	if (nvec > nr_entries)
		return nr_entries;
	if (dev->msi_enabled) {
		pci_info(dev, "can't enable MSI-X (MSI IRQ already assigned)\n");
		return -EINVAL;
	}
	return msix_capability_init(dev, nvec);
}

int psim_enable_msix_range(struct pci_dev *dev, int minvec, int maxvec)
{
	int rc, nvec = maxvec;
	if (maxvec < minvec)
		return -ERANGE;
	if (WARN_ON_ONCE(dev->msix_enabled))
		return -EINVAL;
	rc = msi_setup_device_data(&dev->dev);
	if (rc)
		return rc;
	for (;;) {
		rc = pci_enable_msix(dev, nvec);
		if (rc == 0)
			return nvec;
		if (rc < 0)
			return rc;
		if (rc < minvec)
			return -ENOSPC;
		nvec = rc;
	}
}

static void pci_msi_shutdown(struct pci_dev *dev)
{
	if (!dev->msi_enabled)
		return;
	pci_msi_set_enable(dev, 0);
	pci_intx(dev, 1);
	dev->msi_enabled = 0;
	struct msi_desc *desc = msi_first_desc(&dev->dev, MSI_DESC_ALL);
	if (!WARN_ON_ONCE(!desc)) {
		pci_msi_update_mask(desc, msi_multi_mask(desc), 0);
		dev->irq = desc->pci.msi_attrib.default_irq;
	}
}

static void pci_msix_shutdown(struct pci_dev *dev)
{
	struct msi_desc *desc;
	if (!dev->msix_enabled)
		return;
	for_each_desc(desc, &dev->dev, MSI_DESC_ALL)
		pci_msix_mask(desc);
	pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_ENABLE, 0);
	pci_intx(dev, 1);
	dev->msix_enabled = 0;
}

/* pci_free_irq_vectors: pci_disable_msix, then pci_disable_msi. */
void psim_free_irq_vectors(struct pci_dev *dev)
{
	if (dev->msix_enabled) {
		pci_msix_shutdown(dev);
		free_msi_irqs(dev);
	}
	if (dev->msi_enabled) {
		pci_msi_shutdown(dev);
		free_msi_irqs(dev);
	}
}

int psim_irq_vector(struct pci_dev *dev, unsigned int nr)
{
	struct msi_desc *desc;
	if (dev->msix_enabled) {
		for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
			if (desc->msi_index == nr)
				return (int)desc->irq;
		return -EINVAL;
	}
	if (dev->msi_enabled) {
		desc = msi_first_desc(&dev->dev, MSI_DESC_ASSOCIATED);
		if (!desc || nr >= desc->nvec_used)
			return -EINVAL;
		return (int)(desc->irq + nr);
	}
	return nr ? -EINVAL : (int)dev->irq;
}

/* request_irq on the first `count` vectors (count < 0: every one); psim_requested
 * counts the vectors started. */
void psim_request_irqs_of(struct pci_dev *dev, int count)
{
	struct msi_desc *desc;
	int n = 0;
	for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
		for (unsigned int i = 0; i < desc->nvec_used && (count < 0 || n < count); i++, n++)
			psim_irq_startup(desc->irq + i);
	dev->psim_requested = n;
}

/* request_irq on vector `nr` later (a driver that starts its vectors when opened):
 * 0, -EINVAL when the device holds no such vector, -EBUSY when it was started. */
int psim_start_irq_of(struct pci_dev *dev, unsigned int nr)
{
	int virq = psim_irq_vector(dev, nr);
	if (virq < 0 || (!dev->msix_enabled && !dev->msi_enabled))
		return -EINVAL;
	struct irq_data *d = irq_get_irq_data((unsigned int)virq);
	if (d && d->common->started)
		return -EBUSY;
	psim_irq_startup((unsigned int)virq);
	dev->psim_requested++;
	return 0;
}

/* free_irq on every vector started (at the request or later). */
void psim_free_irqs(struct pci_dev *dev)
{
	struct msi_desc *desc;
	for_each_desc(desc, &dev->dev, MSI_DESC_ASSOCIATED)
		for (unsigned int i = 0; i < desc->nvec_used; i++)
			psim_irq_shutdown(desc->irq + i);
	dev->psim_requested = 0;
}
