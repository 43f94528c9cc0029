/* pseries-sim, bottom layer: the interface between the simulator (Rust) and the C
 * client. The simulator hands a table of these callbacks to psim_init (entry.h); every
 * entry point takes the simulator's context pointer, passed back on each callback.
 * Includes no header of ours. */
#ifndef PSIM_HOST_H
#define PSIM_HOST_H
#ifdef __KERNEL__
#include <linux/types.h> /* the tree client's kernel side */
#else
#include <stdint.h>
#endif

#define PSIM_ABI 1

struct psim_host {
	/* An RTAS call by token: nargs inputs, nret outputs (status first) into rets.
	 * Returns 0 when made, -1 when the call could not be made at all. */
	int (*rtas)(void *ctx, int32_t token, int32_t nargs, const uint32_t *args,
		    int32_t nret, int32_t *rets);
	/* The token of a service under /rtas, or -1. */
	int32_t (*rtas_token)(void *ctx, const char *name);
	/* Config space of a device: 0 on success. */
	int (*config_read)(void *ctx, int32_t dev, int32_t reg, int32_t size, uint32_t *val);
	int (*config_write)(void *ctx, int32_t dev, int32_t reg, int32_t size, uint32_t val);
	/* MMIO by CPU physical address. */
	uint64_t (*mmio_read)(void *ctx, uint64_t addr, int32_t size);
	void (*mmio_write)(void *ctx, uint64_t addr, int32_t size, uint64_t val);
	/* A property's value (NULL if absent), its length in *len. */
	const void *(*get_property)(void *ctx, int32_t node, const char *name, int32_t *len);
	/* The CPU address of a device's MSI-X table (0: none). */
	uint64_t (*msix_table)(void *ctx, int32_t dev);
	/* The lowest free range of count virqs, claimed (negative: none). */
	int32_t (*virq_alloc)(void *ctx, int32_t count);
	/* A claimed virq now stands for a hardware source, a device's vector. */
	void (*virq_map)(void *ctx, int32_t virq, uint32_t hwirq, int32_t dev, int32_t vector);
	/* A virq is released. */
	void (*virq_free)(void *ctx, int32_t virq);
	/* The interrupt controller: unmask or mask a hardware source. */
	void (*irq_unmask)(void *ctx, uint32_t hwirq);
	void (*irq_mask)(void *ctx, uint32_t hwirq);
	/* Whether the OS drives XIVE. */
	int (*xive)(void *ctx);
	/* A kernel message (level 0..7, text without the level prefix). */
	void (*log)(void *ctx, int32_t level, const char *text);
	/* Whether messages of this level are wanted (else they are not even formatted). */
	int (*wants)(void *ctx, int32_t level);
	/* A hypervisor call: nargs inputs, up to nret outputs (R4...) into rets; the status
	 * (R3). */
	int64_t (*hcall)(void *ctx, uint64_t opcode, int32_t nargs, const uint64_t *args,
			 int32_t nret, uint64_t *rets);
	/* The flow handler of a virq ran its action (the interrupt reached the driver). */
	void (*handled)(void *ctx, int32_t virq);
};
#endif
