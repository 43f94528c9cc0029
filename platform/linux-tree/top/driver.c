/* pseries-sim tree client, top: a driver of a PCI function, through the stable driver
 * API only (pci_alloc_irq_vectors, pci_irq_vector, pci_free_irq_vectors) and the irq
 * core's steps of request_irq and free_irq, so it reads the same in every version. */
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/msi.h>
#include "internals.h"
#include "top.h"

int psim_driver_request(struct pci_dev *pdev, int msix, int min, int max)
{
	return pci_alloc_irq_vectors(pdev, (unsigned int)min, (unsigned int)max,
				     msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
}

int psim_driver_vector(struct pci_dev *pdev, unsigned int nr)
{
	return pci_irq_vector(pdev, nr);
}

/* Every vector the device holds, in order: its virqs. */
static int vectors(struct pci_dev *pdev, int *virqs, int max)
{
	int n = 0;
	for (; n < max; n++) {
		int v = pci_irq_vector(pdev, (unsigned int)n);
		if (v < 0)
			break;
		virqs[n] = v;
	}
	return n;
}

/* SMP's irq_setup_affinity (the core here is built for one CPU, where it does
 * nothing): the default affinity, every online CPU, set through the chip, so that the
 * controller's driver picks the interrupt's target as it does on a pSeries guest. */
static void setup_affinity(struct irq_desc *desc)
{
	struct irq_data *d = irq_desc_get_irq_data(desc);
	struct irq_chip *chip = irq_data_get_irq_chip(d);
	if (chip && chip->irq_set_affinity)
		chip->irq_set_affinity(d, cpu_online_mask, false);
}

/* irq_startup as an SMP kernel's runs it: the affinity set before or after the start
 * as the chip asks (IRQCHIP_AFFINITY_PRE_STARTUP). */
static void start(struct irq_desc *desc)
{
	struct irq_chip *chip = irq_data_get_irq_chip(irq_desc_get_irq_data(desc));
	bool pre = chip && (chip->flags & IRQCHIP_AFFINITY_PRE_STARTUP);
	if (pre)
		setup_affinity(desc);
	irq_startup(desc, IRQ_RESEND, IRQ_START_COND);
	if (!pre)
		setup_affinity(desc);
}

/* request_irq's core steps (__setup_irq, not shared) on one virq: activate, then
 * start up. 0, -EBUSY when it was requested already, or activation's error. */
static int request_one(struct pci_dev *pdev, unsigned int virq)
{
	struct irq_desc *desc = irq_to_desc(virq);
	if (!desc || desc->action)
		return -EBUSY;
	int r = irq_activate(desc);
	if (r)
		return r;
	start(desc);
	desc->action = (struct irqaction *)&pdev->dev; /* marks it requested */
	return 0;
}

/* request_irq on the first `count` vectors (count < 0: on every one). */
void psim_driver_request_irqs(struct pci_dev *pdev, int count)
{
	static int virqs[4096];
	int n = vectors(pdev, virqs, 4096);
	if (count >= 0 && count < n)
		n = count;
	for (int i = 0; i < n; i++)
		request_one(pdev, (unsigned int)virqs[i]);
	container_of(pdev, struct psim_pdev, pdev)->requested = 1;
}

/* request_irq on vector `nr` later, as a driver that starts its vectors when opened:
 * 0, -EINVAL when the device holds no such vector, -EBUSY when it was requested. */
int psim_driver_start_irq(struct pci_dev *pdev, unsigned int nr)
{
	if (!pdev->msix_enabled && !pdev->msi_enabled)
		return -EINVAL;
	int v = pci_irq_vector(pdev, nr);
	if (v < 0)
		return v;
	int r = request_one(pdev, (unsigned int)v);
	if (!r)
		container_of(pdev, struct psim_pdev, pdev)->requested = 1;
	return r;
}

/* free_irq's core steps (__free_irq, the last action gone): shut down, deactivate. */
static void free_irqs(struct pci_dev *pdev)
{
	static int virqs[4096];
	int n = vectors(pdev, virqs, 4096);
	for (int i = 0; i < n; i++) {
		struct irq_desc *desc = irq_to_desc((unsigned int)virqs[i]);
		if (!desc || !desc->action)
			continue;
		desc->action = NULL;
		irq_shutdown_and_deactivate(desc);
	}
	container_of(pdev, struct psim_pdev, pdev)->requested = 0;
}

void psim_driver_free(struct pci_dev *pdev)
{
	free_irqs(pdev);
	pci_free_irq_vectors(pdev);
}

/* The driver detaches: it frees its vectors, then the device's managed resources are
 * released (the MSI device data and, from 7.0, the per-device MSI domain). */
void psim_driver_unbind(struct pci_dev *pdev)
{
	psim_driver_free(pdev);
	psim_devres_release_all(&pdev->dev);
}
