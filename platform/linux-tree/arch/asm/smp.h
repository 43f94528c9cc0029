/* pseries-sim psim arch: the part of powerpc's asm/smp.h the XIVE driver names, for
 * the machine's CPUs as the tree's /cpus lists them (bottom/cpus.c): the interrupt
 * server of each CPU, the boot CPU. One CPU runs the code (no SMP): the others exist
 * as the hypervisor's targets. */
#ifndef _ASM_PSIM_SMP_H
#define _ASM_PSIM_SMP_H
#include <linux/threads.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/irqreturn.h>
/* What powerpc's asm/smp.h brings in through asm/paca.h that the XIVE driver uses
 * (page_address for its queue pages, 7.x). */
#include <linux/mm.h>

extern int boot_cpuid;
/* The interrupt server number (the hardware thread id) of a CPU. */
int psim_hard_smp_processor_id(int cpu);
static inline int get_hard_smp_processor_id(int cpu)
{
	return psim_hard_smp_processor_id(cpu);
}
#define hard_smp_processor_id() get_hard_smp_processor_id(0)
#define raw_smp_processor_id() 0
static inline int early_cpu_to_node(int cpu)
{
	return 0;
}
#endif
