#ifndef _ASM_PSIM_PROCESSOR_H
#define _ASM_PSIM_PROCESSOR_H
static inline void cpu_relax(void) { }
struct thread_struct { };
#define INIT_THREAD { }
#define TASK_SIZE (~0UL)
#define current_text_addr() ({ __label__ _l; _l: &&_l; })
#endif
