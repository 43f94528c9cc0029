/* pseries-sim psim arch: one static thread_info (one CPU, one thread). */
#ifndef _ASM_PSIM_THREAD_INFO_H
#define _ASM_PSIM_THREAD_INFO_H
#define THREAD_SIZE (16384)
#ifndef __ASSEMBLY__
struct task_struct;
struct thread_info {
	unsigned long flags;
	int preempt_count;
	struct task_struct *task;
};
extern struct thread_info psim_thread_info;
static inline struct thread_info *current_thread_info(void)
{
	return &psim_thread_info;
}
#if __has_include(<asm-generic/thread_info_tif.h>)
#include <asm-generic/thread_info_tif.h>
#else
#define TIF_SIGPENDING 0
#define TIF_NEED_RESCHED 1
#define TIF_NOTIFY_RESUME 2
#define TIF_MEMDIE 3
#define TIF_NOTIFY_SIGNAL 4
#define TIF_POLLING_NRFLAG 5
#endif
#endif
#endif
