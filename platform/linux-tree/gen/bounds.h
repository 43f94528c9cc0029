/* pseries-sim: the values Kbuild computes from kernel/bounds.c; nothing here reads them. */
#define NR_PAGEFLAGS 24
#define MAX_NR_ZONES 2
#define NR_CPUS_BITS 0
#define SPINLOCK_SIZE 0
#define LRU_GEN_WIDTH 0
#define __LRU_REFS_WIDTH 0
