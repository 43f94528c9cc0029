#ifndef _ASM_PSIM_ATOMIC_H
#define _ASM_PSIM_ATOMIC_H
/* 32-bit: asm-generic's (one CPU, interrupts off); 64-bit: the compiler's builtins. */
#include <asm-generic/atomic.h>
#define ATOMIC64_INIT(i) { (i) }
#define arch_atomic64_read(v) __atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define arch_atomic64_set(v, i) __atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define PSIM_ATOMIC64_OP(op) \
static inline void arch_atomic64_##op(s64 i, atomic64_t *v) { __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline s64 arch_atomic64_fetch_##op(s64 i, atomic64_t *v) { return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST); }
PSIM_ATOMIC64_OP(add) PSIM_ATOMIC64_OP(sub) PSIM_ATOMIC64_OP(and) PSIM_ATOMIC64_OP(or) PSIM_ATOMIC64_OP(xor)
#define arch_atomic64_fetch_add arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and arch_atomic64_fetch_and
#define arch_atomic64_fetch_or arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor arch_atomic64_fetch_xor
static inline s64 arch_atomic64_xchg(atomic64_t *v, s64 n) { return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }
static inline s64 arch_atomic64_cmpxchg(atomic64_t *v, s64 o, s64 n) { __atomic_compare_exchange_n(&v->counter, &o, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return o; }
#define arch_atomic64_xchg arch_atomic64_xchg
static inline s64 arch_atomic64_add_return(s64 i, atomic64_t *v) { return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }
static inline s64 arch_atomic64_sub_return(s64 i, atomic64_t *v) { return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }
#define arch_atomic64_add_return arch_atomic64_add_return
#define arch_atomic64_sub_return arch_atomic64_sub_return
#define arch_atomic64_cmpxchg arch_atomic64_cmpxchg
#endif
