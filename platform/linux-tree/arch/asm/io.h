/* pseries-sim psim arch: MMIO goes to the simulator (ioremap of a no-MMU kernel returns
 * the physical address, which the host resolves); the rest is asm-generic's. Includes
 * asm/eeh.h as powerpc's io.h does. */
#ifndef _ASM_PSIM_IO_H
#define _ASM_PSIM_IO_H
#include <linux/types.h>
u64 psim_mmio_read(const volatile void __iomem *addr, int size);
void psim_mmio_write(volatile void __iomem *addr, int size, u64 val);
#define __raw_readb __raw_readb
static inline u8 __raw_readb(const volatile void __iomem *a) { return (u8)psim_mmio_read(a, 1); }
#define __raw_readw __raw_readw
static inline u16 __raw_readw(const volatile void __iomem *a) { return (u16)psim_mmio_read(a, 2); }
#define __raw_readl __raw_readl
static inline u32 __raw_readl(const volatile void __iomem *a) { return (u32)psim_mmio_read(a, 4); }
#define __raw_readq __raw_readq
static inline u64 __raw_readq(const volatile void __iomem *a) { return psim_mmio_read(a, 8); }
#define __raw_writeb __raw_writeb
static inline void __raw_writeb(u8 v, volatile void __iomem *a) { psim_mmio_write(a, 1, v); }
#define __raw_writew __raw_writew
static inline void __raw_writew(u16 v, volatile void __iomem *a) { psim_mmio_write(a, 2, v); }
#define __raw_writel __raw_writel
static inline void __raw_writel(u32 v, volatile void __iomem *a) { psim_mmio_write(a, 4, v); }
#define __raw_writeq __raw_writeq
static inline void __raw_writeq(u64 v, volatile void __iomem *a) { psim_mmio_write(a, 8, v); }
/* powerpc's accessors, which asm/eeh.h's wrappers use. */
static inline u8 in_8(const volatile u8 __iomem *a) { return __raw_readb(a); }
static inline u16 in_le16(const volatile u16 __iomem *a) { return __raw_readw(a); }
static inline u32 in_le32(const volatile u32 __iomem *a) { return __raw_readl(a); }
static inline u64 in_le64(const volatile u64 __iomem *a) { return __raw_readq(a); }
static inline u16 in_be16(const volatile u16 __iomem *a) { return __builtin_bswap16(__raw_readw(a)); }
static inline u32 in_be32(const volatile u32 __iomem *a) { return __builtin_bswap32(__raw_readl(a)); }
static inline u64 in_be64(const volatile u64 __iomem *a) { return __builtin_bswap64(__raw_readq(a)); }
static inline void out_8(volatile u8 __iomem *a, u8 v) { __raw_writeb(v, a); }
static inline void out_le16(volatile u16 __iomem *a, u16 v) { __raw_writew(v, a); }
static inline void out_le32(volatile u32 __iomem *a, u32 v) { __raw_writel(v, a); }
static inline void out_le64(volatile u64 __iomem *a, u64 v) { __raw_writeq(v, a); }
static inline void out_be16(volatile u16 __iomem *a, u16 v) { __raw_writew(__builtin_bswap16(v), a); }
static inline void out_be32(volatile u32 __iomem *a, u32 v) { __raw_writel(__builtin_bswap32(v), a); }
static inline void out_be64(volatile u64 __iomem *a, u64 v) { __raw_writeq(__builtin_bswap64(v), a); }
static inline void _memcpy_fromio(void *d, const volatile void __iomem *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		((u8 *)d)[i] = __raw_readb((const volatile u8 __iomem *)s + i);
}
static inline void _insb(const volatile u8 __iomem *p, void *b, long c) { while (c-- > 0) *(u8 *)b++ = __raw_readb(p); }
static inline void _insw(const volatile u16 __iomem *p, void *b, long c) { for (u16 *x = b; c-- > 0;) *x++ = __raw_readw(p); }
static inline void _insl(const volatile u32 __iomem *p, void *b, long c) { for (u32 *x = b; c-- > 0;) *x++ = __raw_readl(p); }
#include <asm-generic/io.h>
#include <asm/eeh.h>
#endif
