/* pseries-sim tree client, bottom: messages. The kernel's formatter (with the %p
 * extensions the MSI code prints: %pOF, %pfw), printk with its SOH levels, dev_printk
 * with the bus and device names, WARN and panic, handed to the host. */
#if __has_include(<linux/sprintf.h>)
#include <linux/sprintf.h>
#endif
#include <linux/ctype.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/device.h>
#include <linux/fwnode.h>
#include "bottom.h"

static size_t put(char *buf, size_t size, size_t o, const char *s)
{
	for (; *s; s++, o++)
		if (o + 1 < size)
			buf[o] = *s;
	return o;
}

/* A node's full path: its parents' names, root first. */
static size_t put_path(char *buf, size_t size, size_t o, const struct device_node *dn)
{
	if (!dn)
		return put(buf, size, o, "(null)");
	if (!dn->parent)
		return put(buf, size, o, "/");
	if (dn->parent->parent)
		o = put_path(buf, size, o, dn->parent);
	o = put(buf, size, o, "/");
	return put(buf, size, o, dn->full_name ? dn->full_name : "");
}

int psim_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t o = 0;
	char spec[32], piece[128];
	while (*fmt) {
		if (*fmt != '%') {
			if (o + 1 < size)
				buf[o] = *fmt;
			o++;
			fmt++;
			continue;
		}
		const char *start = fmt++;
		if (*fmt == '%') {
			o = put(buf, size, o, "%");
			fmt++;
			continue;
		}
		while (*fmt && strchr("-+ #0", *fmt))
			fmt++;
		int star_w = *fmt == '*', star_p = 0;
		if (star_w)
			fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			fmt++;
		if (*fmt == '.') {
			fmt++;
			star_p = *fmt == '*';
			if (star_p)
				fmt++;
			while (*fmt >= '0' && *fmt <= '9')
				fmt++;
		}
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t, -1 short, -2 char */
		while (*fmt && strchr("hlzt", *fmt)) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'h')
				lng--;
			else
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
			if (*fmt == 'n') { /* the node's name only */
				fmt++;
				o = put(buf, size, o, dn && dn->full_name ? dn->full_name : "(null)");
				continue;
			}
			while (*fmt && strchr("fpPcCF", *fmt))
				fmt++;
			o = put_path(buf, size, o, dn);
			continue;
		}
		if (conv == 'p' && fmt[0] == 'f' && fmt[1] == 'w') {
			struct fwnode_handle *fw = va_arg(ap, struct fwnode_handle *);
			fmt += 2;
			while (*fmt == 'f' || *fmt == 'P')
				fmt++;
			if (is_of_node(fw))
				o = put_path(buf, size, o, to_of_node(fw));
			else
				o = put(buf, size, o, fw ? "(fwnode)" : "(null)");
			continue;
		}
		if (conv == 's') {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			if (star_w && star_p)
				psim_glue_snprintf(piece, sizeof(piece), spec, w, p, s);
			else if (star_w || star_p)
				psim_glue_snprintf(piece, sizeof(piece), spec, star_w ? w : p, s);
			else
				o = put(buf, size, o, s), spec[0] = 0;
		} else if (conv == 'p') {
			void *ptr = va_arg(ap, void *);
			while ((*fmt >= 'a' && *fmt <= 'z') || (*fmt >= 'A' && *fmt <= 'Z') || (*fmt >= '0' && *fmt <= '9')) /* other extensions: the pointer */
				fmt++;
			psim_glue_snprintf(piece, sizeof(piece), "0x%lx", (unsigned long)ptr);
		} else if (conv && strchr("diuxXoc", conv)) {
			long long v;
			int sgn = conv == 'd' || conv == 'i';
			if (lng <= 0)
				v = sgn ? va_arg(ap, int) : (long long)va_arg(ap, unsigned int);
			else if (lng == 1)
				v = sgn ? va_arg(ap, long) : (long long)va_arg(ap, unsigned long);
			else if (lng == 2)
				v = va_arg(ap, long long);
			else
				v = (long long)va_arg(ap, size_t);
			if (lng == -1)
				v = sgn ? (short)v : (unsigned short)v;
			else if (lng <= -2)
				v = sgn ? (signed char)v : (unsigned char)v;
			char s2[40];
			size_t k = 0;
			for (size_t i = 0; spec[i] && k + 4 < sizeof(s2); i++) {
				if (strchr("hlzt", spec[i]))
					continue;
				if (spec[i] == conv && !spec[i + 1] && conv != 'c') {
					s2[k++] = 'l';
					s2[k++] = 'l';
				}
				s2[k++] = spec[i];
			}
			s2[k] = 0;
			if (conv == 'c')
				psim_glue_snprintf(piece, sizeof(piece), "%c", (int)v);
			else if (star_w && star_p)
				psim_glue_snprintf(piece, sizeof(piece), s2, w, p, v);
			else if (star_w || star_p)
				psim_glue_snprintf(piece, sizeof(piece), s2, star_w ? w : p, v);
			else
				psim_glue_snprintf(piece, sizeof(piece), s2, v);
		} else {
			psim_glue_snprintf(piece, sizeof(piece), "%s", spec);
		}
		o = put(buf, size, o, piece);
	}
	if (size)
		buf[o < size ? o : size - 1] = 0;
	return (int)o;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return psim_vformat(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = psim_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = psim_vformat(buf, size, fmt, ap);
	if (!size)
		return 0;
	return n < (int)size ? n : (int)size - 1;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vscnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = psim_vformat(buf, INT_MAX, fmt, ap);
	va_end(ap);
	return n;
}

char *kvasprintf(gfp_t gfp, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = psim_vformat(NULL, 0, fmt, aq);
	va_end(aq);
	char *p = kmalloc((size_t)n + 1, gfp);
	if (p)
		psim_vformat(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *kasprintf(gfp_t gfp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = kvasprintf(gfp, fmt, ap);
	va_end(ap);
	return p;
}

void psim_log(int level, const char *text)
{
	if (psim_h)
		psim_h->log(psim_ctx, level, text);
}

static bool wanted(int level)
{
	return psim_h && psim_h->wants(psim_ctx, level);
}

/* Formats and hands over one message; `prefix` goes before the text. */
static void emit(int level, const char *prefix, const char *fmt, va_list ap)
{
	char text[1024];
	size_t off = 0;
	if (!wanted(level))
		return;
	if (prefix)
		off = (size_t)scnprintf(text, sizeof(text), "%s", prefix);
	vscnprintf(text + off, sizeof(text) - off, fmt, ap);
	size_t l = strlen(text);
	while (l && text[l - 1] == '\n')
		text[--l] = 0;
	psim_log(level, text);
}

/* The level of a message (its SOH prefixes skipped); 4 (warning) when it has none. */
static int level_of(const char **fmt)
{
	int level = 4;
	while ((*fmt)[0] == KERN_SOH_ASCII && (*fmt)[1]) {
		if ((*fmt)[1] >= '0' && (*fmt)[1] <= '7')
			level = (*fmt)[1] - '0';
		*fmt += 2;
	}
	return level;
}

asmlinkage __visible int _printk(const char *fmt, ...)
{
	va_list ap;
	int level = level_of(&fmt);
	va_start(ap, fmt);
	emit(level, NULL, fmt, ap);
	va_end(ap);
	return 0;
}

static const char *driver_string(const struct device *dev)
{
	if (dev->driver && dev->driver->name)
		return dev->driver->name;
	if (dev->bus && dev->bus->name)
		return dev->bus->name;
	return "";
}

static void dev_emit(const char *level, const struct device *dev, const char *fmt, va_list ap)
{
	char prefix[128];
	int l = level_of(&level);
	if (dev)
		scnprintf(prefix, sizeof(prefix), "%s %s: ", driver_string(dev), dev_name(dev));
	else
		scnprintf(prefix, sizeof(prefix), "(NULL device *): ");
	emit(l, prefix, fmt, ap);
}

void _dev_printk(const char *level, const struct device *dev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dev_emit(level, dev, fmt, ap);
	va_end(ap);
}

#define PSIM_DEV_LEVEL(name, level)                                   \
	void name(const struct device *dev, const char *fmt, ...)     \
	{                                                             \
		va_list ap;                                           \
		va_start(ap, fmt);                                    \
		dev_emit(level, dev, fmt, ap);                        \
		va_end(ap);                                           \
	}
PSIM_DEV_LEVEL(_dev_err, KERN_ERR)
PSIM_DEV_LEVEL(_dev_warn, KERN_WARNING)
PSIM_DEV_LEVEL(_dev_notice, KERN_NOTICE)
PSIM_DEV_LEVEL(_dev_info, KERN_INFO)

void warn_slowpath_fmt(const char *file, const int line, unsigned taint, const char *fmt, ...)
{
	char where[256];
	(void)taint;
	if (!fmt) {
		scnprintf(where, sizeof(where), "WARNING: %s:%d", file, line);
		psim_log(4, where);
		return;
	}
	scnprintf(where, sizeof(where), "WARNING: %s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	emit(4, where, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(0, "Kernel panic - not syncing: ", fmt, ap);
	va_end(ap);
	psim_glue_stop();
}
