#ifndef _ASM_PSIM_IRQFLAGS_H
#define _ASM_PSIM_IRQFLAGS_H
/* One CPU, no interrupts taken while the client runs: a flag word only. */
extern unsigned long psim_irq_flags;
static inline unsigned long arch_local_save_flags(void) { return psim_irq_flags; }
static inline void arch_local_irq_restore(unsigned long flags) { psim_irq_flags = flags; }
#define ARCH_IRQ_DISABLED 0
#define ARCH_IRQ_ENABLED 1
#include <asm-generic/irqflags.h>
#endif
