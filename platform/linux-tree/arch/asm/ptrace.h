#ifndef _ASM_PSIM_PTRACE_H
#define _ASM_PSIM_PTRACE_H
struct pt_regs { unsigned long gpr[32], nip, msr; };
#define user_mode(regs) 0
#define instruction_pointer(regs) ((regs)->nip)
#define profile_pc(regs) instruction_pointer(regs)
#define current_pt_regs() ((struct pt_regs *)0)
#endif
