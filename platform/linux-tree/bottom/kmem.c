/* pseries-sim tree client, bottom: memory (kmalloc, the slab caches, devres), strings
 * the kernel's lib provides, and the one-CPU, one-thread world the core runs in: locks,
 * RCU, per-CPU data, CPU masks, bitmaps. */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/cpumask.h>
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/bottom_half.h>
#include <linux/cpuhotplug.h>
#include "bottom.h"

/* ---- kmalloc and the caches ---- */

/* A slab cache: only its object size and constructor matter here. */
struct kmem_cache {
	unsigned int size;
	void (*ctor)(void *);
};

__typeof__(kmalloc_caches) kmalloc_caches;

static void *alloc(size_t size)
{
	return psim_glue_alloc(size);
}

static void *cache_alloc(struct kmem_cache *s)
{
	void *p = alloc(s ? s->size : 0);
	if (p && s && s->ctor)
		s->ctor(p);
	return p;
}

void kfree(const void *p)
{
	psim_glue_free(p);
}

void kmem_cache_free(struct kmem_cache *s, void *p)
{
	(void)s;
	psim_glue_free(p);
}

static struct kmem_cache *new_cache(unsigned int size, void (*ctor)(void *))
{
	struct kmem_cache *s = alloc(sizeof(*s));
	if (s) {
		s->size = size;
		s->ctor = ctor;
	}
	return s;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
void *__kmalloc_node(size_t size, gfp_t flags, int node)
{
	return alloc(size);
}

void *__kmalloc(size_t size, gfp_t flags)
{
	return alloc(size);
}

void *kmalloc_trace(struct kmem_cache *s, gfp_t flags, size_t size)
{
	return alloc(size);
}

void *kmalloc_node_trace(struct kmem_cache *s, gfp_t flags, int node, size_t size)
{
	return alloc(size);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return cache_alloc(s);
}

void *kmem_cache_alloc_lru(struct kmem_cache *s, struct list_lru *lru, gfp_t flags)
{
	return cache_alloc(s);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return new_cache(size, ctor);
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = alloc(len);
	if (p)
		memcpy(p, src, len);
	return p;
}
#else
void *__kmalloc_node_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t flags, int node)
{
	return alloc(size);
}

void *__kmalloc_noprof(size_t size, gfp_t flags)
{
	return alloc(size);
}

void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t flags, size_t size)
{
	return alloc(size);
}

void *__kmalloc_cache_node_noprof(struct kmem_cache *s, gfp_t flags, int node, size_t size)
{
	return alloc(size);
}

void *kmem_cache_alloc_noprof(struct kmem_cache *s, gfp_t flags)
{
	return cache_alloc(s);
}

void *kmem_cache_alloc_lru_noprof(struct kmem_cache *s, struct list_lru *lru, gfp_t flags)
{
	return cache_alloc(s);
}

struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int size,
					    struct kmem_cache_args *args, slab_flags_t flags)
{
	return new_cache(size, args ? args->ctor : NULL);
}

void *kmemdup_noprof(const void *src, size_t len, gfp_t gfp)
{
	void *p = alloc(len);
	if (p)
		memcpy(p, src, len);
	return p;
}

void *kmemdup_array(const void *src, size_t count, size_t element_size, gfp_t gfp)
{
	return kmemdup_noprof(src, count * element_size, gfp);
}
#endif

char *kstrdup(const char *s, gfp_t gfp)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = alloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

const char *kstrdup_const(const char *s, gfp_t gfp)
{
	return kstrdup(s, gfp);
}

void kfree_const(const void *p)
{
	kfree(p);
}

/* Returns the string (6.x-7.x; 6.1 returned its end, but no caller there reads it). */
char *strreplace(char *str, char old, char new)
{
	for (char *s = str; *s; ++s)
		if (*s == old)
			*s = new;
	return str;
}

/* ---- devres: a device's managed resources, released newest first ---- */

struct psim_devres {
	struct list_head entry;
	dr_release_t release;
	void (*action)(void *);
	void *action_data;
	unsigned long long data[]; /* the resource, as __devres_alloc_node returns it */
};

void *__devres_alloc_node(dr_release_t release, size_t size, gfp_t gfp, int nid,
			  const char *name)
{
	struct psim_devres *dr = alloc(sizeof(*dr) + size);
	if (!dr)
		return NULL;
	INIT_LIST_HEAD(&dr->entry);
	dr->release = release;
	return dr->data;
}

void devres_add(struct device *dev, void *res)
{
	struct psim_devres *dr = container_of(res, struct psim_devres, data);
	list_add_tail(&dr->entry, &dev->devres_head);
}

void devres_free(void *res)
{
	if (res)
		kfree(container_of(res, struct psim_devres, data));
}

static int add_action(struct device *dev, void (*action)(void *), void *data)
{
	struct psim_devres *dr = alloc(sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	dr->action = action;
	dr->action_data = data;
	list_add_tail(&dr->entry, &dev->devres_head);
	return 0;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
int devm_add_action(struct device *dev, void (*action)(void *), void *data)
{
	return add_action(dev, action, data);
}
#else
int __devm_add_action(struct device *dev, void (*action)(void *), void *data, const char *name)
{
	return add_action(dev, action, data);
}
#endif

void psim_devres_release_all(struct device *dev)
{
	if (!dev->devres_head.next)
		return;
	while (!list_empty(&dev->devres_head)) {
		struct psim_devres *dr = list_last_entry(&dev->devres_head, struct psim_devres, entry);
		list_del(&dr->entry);
		if (dr->action)
			dr->action(dr->action_data);
		else if (dr->release)
			dr->release(dev, dr->data);
		kfree(dr);
	}
}

/* ---- one CPU, one thread ---- */

struct thread_info psim_thread_info;
unsigned long psim_irq_flags;

#if LINUX_VERSION_CODE < KERNEL_VERSION(7, 0, 0)
void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	memset(lock, 0, sizeof(*lock));
}
#endif

void mutex_init_generic(struct mutex *lock)
{
	memset(lock, 0, sizeof(*lock));
}

void mutex_lock(struct mutex *lock)
{
}

void mutex_unlock(struct mutex *lock)
{
}

void __local_bh_enable_ip(unsigned long ip, unsigned int cnt)
{
	psim_thread_info.preempt_count -= (int)cnt;
}

/* No reader can be running: the callback runs at once. */
void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	func(head);
}

struct cpumask __cpu_possible_mask = { .bits = { 1 } };
struct cpumask __cpu_online_mask = { .bits = { 1 } };

#define PSIM_CPU_BIT(i) [1 + (i)] = { 1UL << (i) }
const unsigned long cpu_bit_bitmap[BITS_PER_LONG + 1][BITS_TO_LONGS(NR_CPUS)] = {
	PSIM_CPU_BIT(0), PSIM_CPU_BIT(1), PSIM_CPU_BIT(2), PSIM_CPU_BIT(3),
	PSIM_CPU_BIT(4), PSIM_CPU_BIT(5), PSIM_CPU_BIT(6), PSIM_CPU_BIT(7),
};

void __bitmap_clear(unsigned long *map, unsigned int start, int len)
{
	for (unsigned int i = start; len > 0; i++, len--)
		map[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
}

void __bitmap_set(unsigned long *map, unsigned int start, int len)
{
	for (unsigned int i = start; len > 0; i++, len--)
		map[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
}

unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t flags)
{
	return alloc(BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

void bitmap_free(const unsigned long *bitmap)
{
	kfree(bitmap);
}

unsigned long __sw_hweight64(__u64 w)
{
	return (unsigned long)__builtin_popcountll(w);
}

unsigned long _find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	for (; offset < size; offset++)
		if (addr[offset / BITS_PER_LONG] & (1UL << (offset % BITS_PER_LONG)))
			return offset;
	return size;
}

unsigned long _find_first_bit(const unsigned long *addr, unsigned long size)
{
	return _find_next_bit(addr, size, 0);
}

/* One CPU that never goes away: hotplug callbacks are recorded nowhere. */
int __cpuhp_setup_state(enum cpuhp_state state, const char *name, bool invoke,
			int (*startup)(unsigned int cpu), int (*teardown)(unsigned int cpu),
			bool multi_instance)
{
	return 0;
}
