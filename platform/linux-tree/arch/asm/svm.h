/* pseries-sim psim arch: no secure virtual machine (asm/svm.h without CONFIG_PPC_SVM). */
#ifndef _ASM_PSIM_SVM_H
#define _ASM_PSIM_SVM_H
static inline bool is_secure_guest(void)
{
	return false;
}
#endif
