/* pseries-sim psim arch: asm-generic's bit operations, plus powerpc's bit-number
 * conversions (asm/bitops.h's PPC_BIT*: bit 0 is the most significant) that the XIVE
 * register definitions are written with. */
#ifndef _ASM_PSIM_BITOPS_H
#define _ASM_PSIM_BITOPS_H
#include <asm-generic/bitops.h>
#define PPC_BITLSHIFT(be)	(BITS_PER_LONG - 1 - (be))
#define PPC_BIT(bit)		(1UL << PPC_BITLSHIFT(bit))
#define PPC_BITMASK(bs, be)	((PPC_BIT(bs) - PPC_BIT(be)) | PPC_BIT(bs))
#define PPC_BITLSHIFT32(be)	(32 - 1 - (be))
#define PPC_BIT32(bit)		(1UL << PPC_BITLSHIFT32(bit))
#define PPC_BITMASK32(bs, be)	((PPC_BIT32(bs) - PPC_BIT32(be)) | PPC_BIT32(bs))
#define PPC_BITLSHIFT8(be)	(8 - 1 - (be))
#define PPC_BIT8(bit)		(1UL << PPC_BITLSHIFT8(bit))
#define PPC_BITMASK8(bs, be)	((PPC_BIT8(bs) - PPC_BIT8(be)) | PPC_BIT8(bs))
#endif
