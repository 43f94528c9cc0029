/* pseries-sim tree client, bottom: the few libc services the kernel-side stand-ins use
 * (memory, number formatting, stopping). Declared with plain C types so that both the
 * kernel translation units (built against the tree's headers) and glue.c (built against
 * libc) can include it. */
#ifndef PSIM_GLUE_H
#define PSIM_GLUE_H

/* Zeroed memory of `size` bytes (never NULL for size 0), or NULL. */
void *psim_glue_alloc(unsigned long size);
/* Releases memory from psim_glue_alloc (NULL is ignored). */
void psim_glue_free(const void *p);
/* Zeroed memory at the fixed address `addr` (`len` bytes), or NULL when the address
 * range is taken. */
void *psim_glue_map_at(unsigned long addr, unsigned long len);
/* libc's snprintf, for one conversion the kernel formatter hands over. */
int psim_glue_snprintf(char *buf, unsigned long size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The client cannot go on (panic, BUG): stops the process. */
void psim_glue_stop(void) __attribute__((noreturn));
/* A function the kernel code called that nobody provides: stops the process. */
void psim_glue_trap(const char *name) __attribute__((noreturn));
#endif
