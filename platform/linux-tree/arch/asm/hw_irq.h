/* pseries-sim psim arch: powerpc's asm/hw_irq.h as the XIVE driver needs it: the
 * request for another pass of the external-interrupt handler when its EOI finds more in
 * a queue (bottom/xive.c loops while it is set). */
#ifndef _ASM_PSIM_HW_IRQ_H
#define _ASM_PSIM_HW_IRQ_H
#include <asm-generic/hw_irq.h>
void force_external_irq_replay(void);
#endif
