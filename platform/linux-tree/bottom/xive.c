/* pseries-sim tree client, bottom: what the tree's XIVE driver (sysdev/xive/common.c and
 * spapr.c) runs on: hypervisor calls (through the host, to the firmware), the memory its
 * event queues live in (pages at the guest-physical addresses the hypervisor is given,
 * filled from the firmware's writes before each interrupt is taken), the machine's CPUs
 * from /cpus, delays, and the external-interrupt replay flag. */
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/delay.h>
#include <linux/of.h>
#include <asm/hvcall.h>
#include <asm/smp.h>
#include <asm/hw_irq.h>
#include "bottom.h"

/* ---- hypervisor calls ---- */

/* Inputs of each call the driver makes (the PAPR definitions); others pass 6. */
static int hcall_args(unsigned long opcode)
{
	switch (opcode) {
	case H_INT_RESET:
		return 1;
	case H_INT_GET_SOURCE_INFO:
	case H_INT_GET_SOURCE_CONFIG:
	case H_INT_SYNC:
		return 2;
	case H_INT_GET_QUEUE_INFO:
	case H_INT_GET_QUEUE_CONFIG:
		return 3;
	case H_INT_ESB:
		return 4;
	case H_INT_SET_SOURCE_CONFIG:
	case H_INT_SET_QUEUE_CONFIG:
		return 5;
	default:
		return 6;
	}
}

static long hcall(unsigned long opcode, unsigned long *retbuf, int nret, va_list ap)
{
	uint64_t args[9], rets[9];
	int n = hcall_args(opcode);
	for (int i = 0; i < n; i++)
		args[i] = va_arg(ap, unsigned long);
	memset(rets, 0, sizeof(rets));
	long rc = psim_h->hcall(psim_ctx, opcode, n, args, nret, rets);
	for (int i = 0; retbuf && i < nret; i++)
		retbuf[i] = rets[i];
	return rc;
}

/* The hcall entry points of hvcall.h: `nret` outputs into the return buffer. */
#define PSIM_HCALL(name, buf, nret)                                     \
	long name(unsigned long opcode PSIM_HCALL_BUF_##buf, ...)       \
	{                                                               \
		va_list ap;                                             \
		va_start(ap, PSIM_HCALL_LAST_##buf);                    \
		long rc = hcall(opcode, PSIM_HCALL_RET_##buf, nret, ap); \
		va_end(ap);                                             \
		return rc;                                              \
	}
#define PSIM_HCALL_BUF_none
#define PSIM_HCALL_LAST_none opcode
#define PSIM_HCALL_RET_none NULL
#define PSIM_HCALL_BUF_buf , unsigned long *retbuf
#define PSIM_HCALL_LAST_buf retbuf
#define PSIM_HCALL_RET_buf retbuf

PSIM_HCALL(plpar_hcall_norets, none, 0)
PSIM_HCALL(plpar_hcall_norets_notrace, none, 0)
PSIM_HCALL(plpar_hcall, buf, PLPAR_HCALL_BUFSIZE)
PSIM_HCALL(plpar_hcall9, buf, PLPAR_HCALL9_BUFSIZE)

/* The simulated clock does not run: a delay passes at once. */
void __const_udelay(unsigned long xloops)
{
}

void __udelay(unsigned long usecs)
{
}

/* ---- the queue pages: guest memory at its own physical address ---- */

/* Where the pages the driver allocates live, identity-mapped (__pa is the address):
 * the OS memory the firmware takes queues in. */
#define PSIM_PAGES_BASE 0x03000000UL
#define PSIM_PAGES_SIZE 0x00100000UL

struct page *mem_map;
static unsigned long next_page;

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
struct page *__alloc_pages(gfp_t gfp, unsigned int order, int nid, nodemask_t *nodemask)
#else
struct page *__alloc_pages_noprof(gfp_t gfp, unsigned int order, int nid, nodemask_t *nodemask)
#endif
{
	unsigned long size = PAGE_SIZE << order;
	if (!mem_map) {
		if (!psim_glue_map_at(PSIM_PAGES_BASE, PSIM_PAGES_SIZE))
			return NULL;
		mem_map = psim_glue_alloc(sizeof(struct page) *
					  ((PSIM_PAGES_BASE + PSIM_PAGES_SIZE) >> PAGE_SHIFT));
		if (!mem_map)
			return NULL;
		next_page = PSIM_PAGES_BASE;
	}
	unsigned long at = (next_page + size - 1) & ~(size - 1);
	if (at + size > PSIM_PAGES_BASE + PSIM_PAGES_SIZE)
		return NULL;
	next_page = at + size;
	return &mem_map[at >> PAGE_SHIFT];
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0)
/* 7.3's alloc_pages_node is a function of mm/page_alloc.c. */
struct page *alloc_pages_node_noprof(int nid, gfp_t gfp, unsigned int order)
{
	return __alloc_pages_noprof(gfp, order, nid, NULL);
}
#endif

/* A freed queue page is not handed out again: a queue re-registered later gets a
 * fresh one, as the firmware may still hold the old address. */
void free_pages(unsigned long addr, unsigned int order)
{
}

/* The firmware's writes into a queue page since the last interrupt, stored where the
 * driver reads them (big-endian words). False when the address is no queue page. */
bool psim_queue_store(uint64_t addr, uint32_t value)
{
	if (!mem_map || addr < PSIM_PAGES_BASE || addr + 4 > next_page || (addr & 3))
		return false;
	*(__be32 *)(unsigned long)addr = cpu_to_be32(value);
	return true;
}

/* ---- the machine's CPUs ---- */

int boot_cpuid;

/* CPU `cpu` is the cpu-th interrupt server the /cpus nodes list, in order (each node's
 * ibm,ppc-interrupt-server#s, else its reg), as smp_setup_cpu_maps numbers them. */
int psim_hard_smp_processor_id(int cpu)
{
	struct device_node *cpus = of_find_node_by_path("/cpus");
	int n = 0;
	for (struct device_node *c = cpus ? cpus->child : NULL; c; c = c->sibling) {
		const char *type = of_get_property(c, "device_type", NULL);
		if (!type || strcmp(type, "cpu"))
			continue;
		int len = 0;
		const __be32 *s = of_get_property(c, "ibm,ppc-interrupt-server#s", &len);
		if (!s)
			s = of_get_property(c, "reg", &len);
		for (int i = 0; s && i < len / 4; i++, n++)
			if (n == cpu)
				return be32_to_cpu(s[i]);
	}
	return cpu;
}

/* ---- taking interrupts ---- */

int psim_replay;

/* The EOI found more in a queue: the handler runs again (Linux replays the external
 * interrupt when interrupts are enabled again). */
void force_external_irq_replay(void)
{
	psim_replay = 1;
}
