/* pseries-sim tree client, bottom: the libc side (see glue.h). The only file of the
 * tree client built against libc instead of the kernel tree's headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "glue.h"

void *psim_glue_alloc(unsigned long size)
{
	return calloc(1, size ? size : 1);
}

void psim_glue_free(const void *p)
{
	free((void *)p);
}

void *psim_glue_map_at(unsigned long addr, unsigned long len)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (p != (void *)addr) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

int psim_glue_snprintf(char *buf, unsigned long size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void psim_glue_stop(void)
{
	abort();
}

void psim_glue_trap(const char *name)
{
	fprintf(stderr, "pseries-sim: the kernel code called %s, which the tree client does not provide\n", name);
	abort();
}
