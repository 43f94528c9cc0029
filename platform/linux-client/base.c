/* pseries-sim, bottom layer: the stand-in kernel environment over the simulator's host
 * interface: messages, memory, the device tree, PCI config space, RTAS, the machine
 * (ppc_md, initcalls, XIVE). Includes only base.h (the bottom layer's headers); the
 * files above (the middle: irq.c, msi_core.c, pci_msi.c, pci_msi_domain.c; msi.c; the
 * top: entry.c) call into it, never the other way. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "base.h"

const struct psim_host *psim_h;
void *psim_ctx;
struct machdep_calls ppc_md;

/* ---- messages ---- */

/* Formats like vsnprintf, plus the kernel's %pOF (a device node's full name). */
static void psim_vformat(char *out, size_t n, const char *fmt, va_list ap)
{
	size_t o = 0;
	char spec[32];
	char piece[512];
	while (*fmt && o + 1 < n) {
		if (*fmt != '%') {
			out[o++] = *fmt++;
			continue;
		}
		const char *start = fmt++;
		if (*fmt == '%') {
			out[o++] = '%';
			fmt++;
			continue;
		}
		while (*fmt && strchr("-+ #0", *fmt))
			fmt++;
		int star_w = 0, star_p = 0;
		if (*fmt == '*') {
			star_w = 1;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			fmt++;
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				star_p = 1;
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				fmt++;
		}
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
		while (*fmt && strchr("hlzt", *fmt)) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z' || *fmt == 't')
				lng = 3;
			fmt++;
		}
		char conv = *fmt ? *fmt++ : 0;
		size_t len = (size_t)(fmt - start);
		if (len >= sizeof(spec))
			len = sizeof(spec) - 1;
		memcpy(spec, start, len);
		spec[len] = 0;
		int w = star_w ? va_arg(ap, int) : 0;
		int p = star_p ? va_arg(ap, int) : 0;
		piece[0] = 0;
		if (conv == 'p' && fmt[0] == 'O' && fmt[1] == 'F') {
			const struct device_node *dn = va_arg(ap, const struct device_node *);
			fmt += 2;
			while (*fmt && strchr("fnpPcCF", *fmt))
				fmt++;
			snprintf(piece, sizeof(piece), "%s", dn && dn->full_name ? dn->full_name : "(null)");
		} else if (conv == 's') {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			if (star_w && star_p)
				snprintf(piece, sizeof(piece), spec, w, p, s);
			else if (star_w || star_p)
				snprintf(piece, sizeof(piece), spec, star_w ? w : p, s);
			else
				snprintf(piece, sizeof(piece), spec, s);
		} else if (conv == 'p') {
			void *ptr = va_arg(ap, void *);
			while (*fmt && ((*fmt >= 'a' && *fmt <= 'z') || (*fmt >= 'A' && *fmt <= 'Z')))
				fmt++; /* other %p extensions print the pointer */
			snprintf(piece, sizeof(piece), "%p", ptr);
		} else if (conv && strchr("diuxXoc", conv)) {
			long long v;
			if (lng == 0)
				v = (conv == 'd' || conv == 'i') ? va_arg(ap, int) : (long long)va_arg(ap, unsigned int);
			else if (lng == 1)
				v = (conv == 'd' || conv == 'i') ? va_arg(ap, long) : (long long)va_arg(ap, unsigned long);
			else if (lng == 2)
				v = va_arg(ap, long long);
			else
				v = (long long)va_arg(ap, size_t);
			/* Re-issue the spec with an ll length over the value. */
			char s2[40];
			size_t k = 0;
			for (size_t i = 0; spec[i] && k + 4 < sizeof(s2); i++) {
				if (strchr("hlzt", spec[i]))
					continue;
				if (spec[i] == conv && spec[i + 1] == 0) {
					if (conv != 'c') {
						s2[k++] = 'l';
						s2[k++] = 'l';
					}
				}
				s2[k++] = spec[i];
			}
			s2[k] = 0;
			if (conv == 'c')
				snprintf(piece, sizeof(piece), s2, (int)v);
			else if (star_w && star_p)
				snprintf(piece, sizeof(piece), s2, w, p, v);
			else if (star_w || star_p)
				snprintf(piece, sizeof(piece), s2, star_w ? w : p, v);
			else
				snprintf(piece, sizeof(piece), s2, v);
		} else {
			snprintf(piece, sizeof(piece), "%s", spec);
		}
		for (const char *c = piece; *c && o + 1 < n; c++)
			out[o++] = *c;
	}
	out[o] = 0;
}

static void psim_emit(const char *level, const char *prefix, const char *fmt, va_list ap)
{
	char text[1024];
	int lvl = 4;
	if (fmt[0] == '<' && fmt[1] >= '0' && fmt[1] <= '7' && fmt[2] == '>') {
		lvl = fmt[1] - '0';
		fmt += 3;
	} else if (level && level[0] == '<') {
		lvl = level[1] - '0';
	}
	if (!psim_h || !psim_h->wants(psim_ctx, lvl))
		return;
	size_t off = 0;
	if (prefix) {
		snprintf(text, sizeof(text), "%s", prefix);
		off = strlen(text);
	}
	psim_vformat(text + off, sizeof(text) - off, fmt, ap);
	size_t l = strlen(text);
	while (l && text[l - 1] == '\n')
		text[--l] = 0;
	if (psim_h)
		psim_h->log(psim_ctx, lvl, text);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	psim_emit(NULL, NULL, fmt, ap);
	va_end(ap);
	return 0;
}

int psim_dev_printk(const char *level, const struct device *dev, const char *fmt, ...)
{
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "%s %s: ", dev && dev->is_pci ? "pci" : "device",
		 dev && dev->name ? dev->name : "(null)");
	char lf[512];
	snprintf(lf, sizeof(lf), "%s%s", level, fmt);
	va_list ap;
	va_start(ap, fmt);
	psim_emit(level, prefix, lf, ap);
	va_end(ap);
	return 0;
}

int psim_warn(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s:%d: %s\n", file, line, cond);
	return 1;
}

void psim_bug(const char *file, int line, const char *cond)
{
	printk(KERN_EMERG "kernel BUG at %s:%d! (%s)\n", file, line, cond);
	abort();
}

/* ---- memory ---- */

void *kzalloc(size_t size, int flags)
{
	(void)flags;
	return calloc(1, size ? size : 1);
}

void kfree(const void *p)
{
	free((void *)p);
}

/* ---- the machine's initcalls ---- */

struct initcall {
	const char *machine;
	int (*fn)(void);
};
static struct initcall initcalls[16];
static int ninitcalls;

void psim_register_initcall(const char *machine, int (*fn)(void))
{
	if (ninitcalls < 16) {
		initcalls[ninitcalls].machine = machine;
		initcalls[ninitcalls].fn = fn;
		ninitcalls++;
	}
}

/* Runs the initcalls registered for `machine` (msi.c's machine_arch_initcall), in order;
 * returns the first one's status, -ENOSYS when there is none. */
int psim_run_initcalls(const char *machine)
{
	int rc = -ENOSYS;
	for (int i = 0; i < ninitcalls; i++) {
		if (strcmp(initcalls[i].machine, machine) != 0)
			continue;
		int r = initcalls[i].fn();
		if (rc == -ENOSYS)
			rc = r;
	}
	return rc;
}

/* ---- device tree ---- */

const void *of_get_property(const struct device_node *np, const char *name, int *lenp)
{
	int32_t len = 0;
	if (!np)
		return NULL;
	const void *v = psim_h->get_property(psim_ctx, np->id, name, &len);
	if (lenp)
		*lenp = v ? len : 0;
	return v;
}

struct pci_dn *pci_get_pdn(struct pci_dev *pdev)
{
	struct device_node *dn = pci_device_to_OF_node(pdev);
	return dn ? PCI_DN(dn) : NULL;
}

void *pci_traverse_device_nodes(struct device_node *start,
				void *(*fn)(struct device_node *, void *), void *data)
{
	struct device_node *dn, *nextdn;
	for (dn = start->child; dn; dn = nextdn) {
		const __be32 *classp = of_get_property(dn, "class-code", NULL);
		u32 class = classp ? (u32)of_read_number(classp, 1) : 0;
		nextdn = NULL;
		if (fn) {
			void *ret = fn(dn, data);
			if (ret)
				return ret;
		}
		if (dn->child && ((class >> 8) == PCI_CLASS_BRIDGE_PCI ||
				  (class >> 8) == PCI_CLASS_BRIDGE_CARDBUS))
			nextdn = dn->child;
		else if (dn->sibling)
			nextdn = dn->sibling;
		if (!nextdn) {
			do {
				dn = dn->parent;
				if (dn == start)
					return NULL;
			} while (dn->sibling == NULL);
			nextdn = dn->sibling;
		}
	}
	return NULL;
}

/* ---- config space ---- */

static int cfg_read(const struct pci_dev *dev, int where, int size, u32 *val)
{
	u32 v = 0xffffffff;
	int rc = psim_h->config_read(psim_ctx, dev->psim_id, where, size, &v);
	*val = rc ? (size == 4 ? 0xffffffff : (1u << (8 * size)) - 1) : v;
	return rc ? -EIO : 0;
}

int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val)
{
	u32 v;
	int rc = cfg_read(dev, where, 1, &v);
	*val = (u8)v;
	return rc;
}

int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val)
{
	u32 v;
	int rc = cfg_read(dev, where, 2, &v);
	*val = (u16)v;
	return rc;
}

int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val)
{
	return cfg_read(dev, where, 4, val);
}

int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val)
{
	return psim_h->config_write(psim_ctx, dev->psim_id, where, 1, val) ? -EIO : 0;
}

int pci_write_config_word(const struct pci_dev *dev, int where, u16 val)
{
	return psim_h->config_write(psim_ctx, dev->psim_id, where, 2, val) ? -EIO : 0;
}

int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val)
{
	return psim_h->config_write(psim_ctx, dev->psim_id, where, 4, val) ? -EIO : 0;
}

/* ---- RTAS ---- */

int rtas_token(const char *service)
{
	return psim_h->rtas_token(psim_ctx, service);
}

int rtas_call(int token, int nargs, int nret, void *outputs, ...)
{
	uint32_t args[16];
	int32_t rets[16];
	va_list ap;
	if (token == RTAS_UNKNOWN_SERVICE || nargs < 0 || nret < 0 || nargs + nret > 16)
		return -1;
	va_start(ap, outputs);
	for (int i = 0; i < nargs; i++)
		args[i] = va_arg(ap, uint32_t);
	va_end(ap);
	memset(rets, 0, sizeof(rets));
	if (psim_h->rtas(psim_ctx, token, nargs, args, nret, rets))
		return -1;
	if (nret > 1 && outputs) {
		int *out = outputs;
		for (int i = 0; i < nret - 1; i++)
			out[i] = rets[i + 1];
	}
	return nret > 0 ? rets[0] : 0;
}

bool rtas_busy_delay(int status)
{
	return status == RTAS_BUSY ||
	       (status >= RTAS_EXTENDED_DELAY_MIN && status <= RTAS_EXTENDED_DELAY_MAX);
}

bool xive_enabled(void)
{
	return psim_h->xive(psim_ctx) != 0;
}

void xive_irq_free_data(unsigned int virq)
{
	(void)virq;
}
