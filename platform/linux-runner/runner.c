/* pseries-sim client runner: the process a client (a compiled msi.c, or a kernel
 * tree's MSI code) runs in, so that its crash, hang or overrun cannot take the
 * simulator down. It loads the client library, then serves the simulator's calls over
 * the shared channel (chan.h): each entry point is called here, each host callback the
 * client makes goes back to the simulator and waits for its answer. A signal, or the
 * simulator's watchdog, ends the process after the program counter and the return
 * addresses (frame pointers) are written into the channel.
 *
 *   runner LIBRARY FD        (FD: the channel's shared memory)
 *
 * A runner that has loaded its library and was never called may be asked to fork
 * (PSIM_CALL_FORK, the simulator's descriptor of a new channel in i[0]): the copy is a
 * fresh instance, as a new runner would be, without the exec and the dynamic loader's
 * start-up; it serves the new channel, the runner goes on serving its own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "chan.h"
#include "psim_host.h"

static struct psim_chan *ch;
static uintptr_t stack_lo, stack_hi;

/* ---- turns ---- */

static void futex(uint32_t *w, int op, uint32_t v)
{
	syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

/* Hands the turn to the simulator (waking it only if it sleeps) and waits until it is
 * ours again: spinning a while, then asleep (saying so first). */
static void hand_over(void)
{
	int me = sched_getcpu();
	__atomic_store_n(&ch->cpu[1], me, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->turn, PSIM_TURN_PARENT, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ch->sleeping[0], __ATOMIC_SEQ_CST))
		futex(&ch->turn, FUTEX_WAKE, 1);
	/* Spin while the simulator runs on another core (it answers in microseconds); yield
	 * when it last ran on ours (it needs our core to answer); then sleep. */
	for (int spin = 0; spin < 20000; spin++) {
		if (__atomic_load_n(&ch->turn, __ATOMIC_ACQUIRE) == PSIM_TURN_CHILD)
			return;
		if (__atomic_load_n(&ch->cpu[0], __ATOMIC_RELAXED) == me)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
	for (;;) {
		__atomic_store_n(&ch->sleeping[1], 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&ch->turn, __ATOMIC_SEQ_CST) == PSIM_TURN_CHILD)
			break;
		futex(&ch->turn, FUTEX_WAIT, PSIM_TURN_PARENT);
	}
	__atomic_store_n(&ch->sleeping[1], 0, __ATOMIC_SEQ_CST);
}

/* A callback: its message is in the channel; returns when the reply is. */
static void ask(uint32_t kind)
{
	ch->kind = kind;
	hand_over();
}

/* ---- the queue: messages without an answer ---- */

static void flush(void)
{
	if (ch->qlen)
		ask(PSIM_CB_FLUSH);
}

static void queue(uint32_t kind, int64_t a, int64_t b, int64_t c, int64_t d, const char *text)
{
	uint32_t len = text ? (uint32_t)strlen(text) + 1 : 0;
	if (len > 4096)
		len = 4096;
	uint32_t need = (uint32_t)sizeof(struct psim_qmsg) + ((len + 7) & ~7u);
	if (ch->qlen + need > PSIM_CHAN_QUEUE)
		flush();
	struct psim_qmsg *m = (struct psim_qmsg *)(ch->queue + ch->qlen);
	m->kind = kind;
	m->len = len;
	m->i[0] = a;
	m->i[1] = b;
	m->i[2] = c;
	m->i[3] = d;
	if (len) {
		memcpy(m + 1, text, len);
		((char *)(m + 1))[len - 1] = 0;
	}
	ch->qlen += need;
}

/* ---- the host table the client sees ---- */

static int h_rtas(void *ctx, int32_t token, int32_t nargs, const uint32_t *args, int32_t nret,
		  int32_t *rets)
{
	if (nargs < 0 || nret < 0 || nargs > 16 || nret > 16)
		return -1;
	ch->i[0] = token;
	ch->i[1] = nargs;
	ch->i[2] = nret;
	for (int k = 0; k < nargs; k++)
		ch->i[3 + k] = args[k];
	ask(PSIM_CB_RTAS);
	for (int k = 0; k < nret; k++)
		rets[k] = (int32_t)ch->i[1 + k];
	return (int)ch->i[0];
}

static int32_t h_rtas_token(void *ctx, const char *name)
{
	snprintf(ch->text, PSIM_CHAN_TEXT, "%s", name);
	ask(PSIM_CB_RTAS_TOKEN);
	return (int32_t)ch->i[0];
}

static int h_config_read(void *ctx, int32_t dev, int32_t reg, int32_t size, uint32_t *val)
{
	ch->i[0] = dev;
	ch->i[1] = reg;
	ch->i[2] = size;
	ask(PSIM_CB_CONFIG_READ);
	*val = (uint32_t)ch->i[1];
	return (int)ch->i[0];
}

static int h_config_write(void *ctx, int32_t dev, int32_t reg, int32_t size, uint32_t val)
{
	ch->i[0] = dev;
	ch->i[1] = reg;
	ch->i[2] = size;
	ch->i[3] = val;
	ask(PSIM_CB_CONFIG_WRITE);
	return (int)ch->i[0];
}

static uint64_t h_mmio_read(void *ctx, uint64_t addr, int32_t size)
{
	ch->i[0] = (int64_t)addr;
	ch->i[1] = size;
	ask(PSIM_CB_MMIO_READ);
	return (uint64_t)ch->i[0];
}

static void h_mmio_write(void *ctx, uint64_t addr, int32_t size, uint64_t val)
{
	queue(PSIM_Q_MMIO_WRITE, (int64_t)addr, size, (int64_t)val, 0, NULL);
}

/* Property values the client was handed: the kernel keeps pointers to them, so each
 * stays where it is; a value that changed is kept anew. */
struct prop {
	struct prop *next;
	int64_t generation;	/* the tree's generation it was read in (-1: absent then) */
	int32_t node;
	int32_t len;		/* -1: the property was absent */
	char *name;
	char data[];
};
static struct prop *props;
/* The tree's generation of the entry point being served: a property read in it holds
 * until the simulator's tree changes. */
static int64_t generation = -1;

static const void *h_get_property(void *ctx, int32_t node, const char *name, int32_t *len)
{
	for (struct prop *p = props; p; p = p->next)
		if (p->generation == generation && p->node == node && !strcmp(p->name, name)) {
			if (p->len < 0)
				return NULL;
			*len = p->len;
			return p->data;
		}
	ch->i[0] = node;
	snprintf(ch->text, PSIM_CHAN_TEXT, "%s", name);
	ask(PSIM_CB_GET_PROPERTY);
	int32_t n = (int32_t)ch->i[0];
	for (struct prop *p = props; p; p = p->next)
		if (p->node == node && p->len == n && !strcmp(p->name, name) &&
		    (n < 0 || !memcmp(p->data, ch->text, (size_t)n))) {
			p->generation = generation;
			if (n < 0)
				return NULL;
			*len = n;
			return p->data;
		}
	struct prop *p = malloc(sizeof(*p) + (size_t)(n > 0 ? n : 0) + 1);
	if (!p)
		return NULL;
	p->generation = generation;
	p->node = node;
	p->len = n;
	p->name = strdup(name);
	if (n > 0)
		memcpy(p->data, ch->text, (size_t)n);
	p->data[n > 0 ? n : 0] = 0;
	p->next = props;
	props = p;
	if (n < 0)
		return NULL;
	*len = n;
	return p->data;
}

static uint64_t h_msix_table(void *ctx, int32_t dev)
{
	ch->i[0] = dev;
	ask(PSIM_CB_MSIX_TABLE);
	return (uint64_t)ch->i[0];
}

static int32_t h_virq_alloc(void *ctx, int32_t count)
{
	ch->i[0] = count;
	ask(PSIM_CB_VIRQ_ALLOC);
	return (int32_t)ch->i[0];
}

static void h_virq_map(void *ctx, int32_t virq, uint32_t hwirq, int32_t dev, int32_t vector)
{
	queue(PSIM_Q_VIRQ_MAP, virq, hwirq, dev, vector, NULL);
}

static void h_virq_free(void *ctx, int32_t virq)
{
	queue(PSIM_Q_VIRQ_FREE, virq, 0, 0, 0, NULL);
}

static void h_irq_unmask(void *ctx, uint32_t hwirq)
{
	queue(PSIM_Q_IRQ_UNMASK, hwirq, 0, 0, 0, NULL);
}

static void h_irq_mask(void *ctx, uint32_t hwirq)
{
	queue(PSIM_Q_IRQ_MASK, hwirq, 0, 0, 0, NULL);
}

static int h_xive(void *ctx)
{
	ask(PSIM_CB_XIVE);
	return (int)ch->i[0];
}

static int wanted[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int h_wants(void *ctx, int32_t level)
{
	int l = level < 0 ? 0 : level > 7 ? 7 : level;
	if (wanted[l] < 0) {
		ch->i[0] = l;
		ask(PSIM_CB_WANTS);
		wanted[l] = (int)ch->i[0];
	}
	return wanted[l];
}

static void h_log(void *ctx, int32_t level, const char *text)
{
	queue(PSIM_Q_LOG, level, 0, 0, 0, text);
}

static int64_t h_hcall(void *ctx, uint64_t opcode, int32_t nargs, const uint64_t *args,
		       int32_t nret, uint64_t *rets)
{
	if (nargs < 0 || nret < 0 || nargs > 16 || nret > 16)
		return -1;
	ch->i[0] = (int64_t)opcode;
	ch->i[1] = nargs;
	ch->i[2] = nret;
	for (int k = 0; k < nargs; k++)
		ch->i[3 + k] = (int64_t)args[k];
	ask(PSIM_CB_HCALL);
	for (int k = 0; k < nret; k++)
		rets[k] = (uint64_t)ch->i[1 + k];
	return ch->i[0];
}

static void h_handled(void *ctx, int32_t virq)
{
	queue(PSIM_Q_HANDLED, virq, 0, 0, 0, NULL);
}

static const struct psim_host host = {
	.rtas = h_rtas,
	.rtas_token = h_rtas_token,
	.config_read = h_config_read,
	.config_write = h_config_write,
	.mmio_read = h_mmio_read,
	.mmio_write = h_mmio_write,
	.get_property = h_get_property,
	.msix_table = h_msix_table,
	.virq_alloc = h_virq_alloc,
	.virq_map = h_virq_map,
	.virq_free = h_virq_free,
	.irq_unmask = h_irq_unmask,
	.irq_mask = h_irq_mask,
	.xive = h_xive,
	.log = h_log,
	.wants = h_wants,
	.hcall = h_hcall,
	.handled = h_handled,
};

/* ---- signals: a crash, or the watchdog's SIGUSR1 ---- */

static void on_signal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	int n = 0;
	ch->frames[n++] = pc;
	while (n < PSIM_CHAN_FRAMES && fp >= stack_lo && fp + 16 <= stack_hi && !(fp & 7)) {
		uintptr_t next = ((uintptr_t *)fp)[0];
		uintptr_t ret = ((uintptr_t *)fp)[1];
		if (!ret)
			break;
		ch->frames[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	ch->nframes = n;
	ch->sig = sig;
	ch->sig_code = si ? si->si_code : 0;
	ch->sig_addr = si ? (uint64_t)(uintptr_t)si->si_addr : 0;
	ch->state = sig == SIGUSR1 ? PSIM_STOPPED : PSIM_CRASHED;
	__atomic_store_n(&ch->turn, PSIM_TURN_PARENT, __ATOMIC_SEQ_CST);
	futex(&ch->turn, FUTEX_WAKE, 1);
	_exit(70);
}

static void guard(void)
{
	static char alt[1 << 16];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGUSR1 };
	for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		sigaction(sigs[k], &sa, NULL);
	pthread_attr_t a;
	void *addr;
	size_t size;
	if (!pthread_getattr_np(pthread_self(), &a) && !pthread_attr_getstack(&a, &addr, &size)) {
		stack_lo = (uintptr_t)addr;
		stack_hi = (uintptr_t)addr + size;
	}
}

/* ---- forks ---- */

/* Forks a fresh instance onto the channel whose descriptor the simulator (our parent)
 * holds as `fd`: the child's pid here; in the child 0, with `ch` the new channel. The
 * runner reaps its children itself (they are not the simulator's), and a child dies
 * with it. The child's stderr is /dev/null: its reports go through the channel. */
static int64_t fork_onto(int64_t fd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getppid(), (int)fd);
	int nfd = open(path, O_RDWR);
	if (nfd < 0)
		return -errno;
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = fork();
	if (pid != 0) {
		int e = errno;
		close(nfd);
		return pid < 0 ? -e : pid;
	}
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct psim_chan *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, nfd, 0);
	close(nfd);
	if (c == MAP_FAILED)
		_exit(3);
	munmap(ch, sizeof(*ch));
	ch = c;
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, 2);
		close(null);
	}
	return 0;
}

/* ---- the entry points ---- */

typedef int (*ctx0_t)(void *);
typedef int (*dev_t_)(void *, int32_t);

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int fd = atoi(argv[2]);
	ch = mmap(NULL, sizeof(*ch), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ch == MAP_FAILED)
		return 3;
	close(fd);
	guard();
	void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(ch->text, PSIM_CHAN_TEXT, "%s", dlerror());
		ch->i[0] = -1;
		ch->kind = PSIM_RETURN;
		hand_over();
		return 4;
	}
	int (*abi)(void) = (int (*)(void))dlsym(lib, "psim_abi");
	Dl_info info;
	if (abi && dladdr((void *)abi, &info))
		ch->base = (uint64_t)(uintptr_t)info.dli_fbase;
	int (*init)(void *, const struct psim_host *, int32_t) = dlsym(lib, "psim_init");
	int (*add_node)(void *, int32_t, int32_t, const char *) = dlsym(lib, "psim_add_node");
	int (*add_phb)(void *, int32_t, uint64_t, int32_t) = dlsym(lib, "psim_add_phb");
	int (*add_device)(void *, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
			  uint32_t, int32_t, const char *) = dlsym(lib, "psim_add_device");
	ctx0_t msi_init = (ctx0_t)dlsym(lib, "psim_msi_init");
	int (*fixup)(void *, int32_t, uint32_t) = dlsym(lib, "psim_pci_irq_fixup");
	int (*request)(void *, int32_t, int32_t, int32_t, int32_t) = dlsym(lib, "psim_request");
	int (*vector)(void *, int32_t, uint32_t) = dlsym(lib, "psim_vector");
	int (*request_irqs)(void *, int32_t, int32_t) = dlsym(lib, "psim_request_irqs");
	dev_t_ free_ = (dev_t_)dlsym(lib, "psim_free");
	dev_t_ unbind = (dev_t_)dlsym(lib, "psim_unbind");
	/* Optional: a library built before it has none; its call then answers -ENOSYS. */
	int (*start_irq)(void *, int32_t, uint32_t) = dlsym(lib, "psim_start_irq");
	dev_t_ remove_node = (dev_t_)dlsym(lib, "psim_remove_node");
	ctx0_t init_irq = (ctx0_t)dlsym(lib, "psim_init_irq");
	int (*take)(void *, int32_t, const uint64_t *) = dlsym(lib, "psim_take");
	const char *missing = !abi ? "psim_abi" : !init ? "psim_init" : !add_node ? "psim_add_node"
		: !add_phb ? "psim_add_phb" : !add_device ? "psim_add_device" : !msi_init ? "psim_msi_init"
		: !fixup ? "psim_pci_irq_fixup" : !request ? "psim_request" : !vector ? "psim_vector"
		: !request_irqs ? "psim_request_irqs" : !free_ ? "psim_free" : NULL;
	uint64_t base = ch->base;
	ch->has_unbind = unbind != NULL;
	if (missing || abi() != 1) {
		snprintf(ch->text, PSIM_CHAN_TEXT, "%s", missing ? missing : "psim_abi");
		ch->i[0] = missing ? -2 : -3;
		ch->kind = PSIM_RETURN;
		hand_over();
		return 4;
	}
	/* Ready: the first message is the simulator's. */
	ch->i[0] = 0;
	ch->kind = PSIM_RETURN;
	for (;;) {
		hand_over();
		int64_t *i = ch->i;
		int r = -22;
		generation = i[23];
		switch (ch->kind) {
		case PSIM_CALL_INIT: r = init(NULL, &host, (int32_t)i[0]); break;
		case PSIM_CALL_ADD_NODE: {
			/* The text is the channel's: callbacks reuse it. */
			char *path = strndup(ch->text, PSIM_CHAN_TEXT - 1);
			r = path ? add_node(NULL, (int32_t)i[0], (int32_t)i[1], path) : -12;
			free(path);
			break;
		}
		case PSIM_CALL_ADD_PHB: r = add_phb(NULL, (int32_t)i[0], (uint64_t)i[1], (int32_t)i[2]); break;
		case PSIM_CALL_ADD_DEVICE: {
			char *name = strndup(ch->text, PSIM_CHAN_TEXT - 1);
			r = !name ? -12 : add_device(NULL, (int32_t)i[0], (int32_t)i[1], (int32_t)i[2], (int32_t)i[3],
				       (int32_t)i[4], (int32_t)i[5], (int32_t)i[6], (uint32_t)i[7],
				       (int32_t)i[8], name);
			free(name);
			break;
		}
		case PSIM_CALL_MSI_INIT: r = msi_init(NULL); break;
		case PSIM_CALL_FIXUP: r = fixup(NULL, (int32_t)i[0], (uint32_t)i[1]); break;
		case PSIM_CALL_REQUEST:
			r = request(NULL, (int32_t)i[0], (int32_t)i[1], (int32_t)i[2], (int32_t)i[3]);
			break;
		case PSIM_CALL_VECTOR: r = vector(NULL, (int32_t)i[0], (uint32_t)i[1]); break;
		case PSIM_CALL_REQUEST_IRQS: r = request_irqs(NULL, (int32_t)i[0], (int32_t)i[1]); break;
		case PSIM_CALL_FREE: r = free_(NULL, (int32_t)i[0]); break;
		case PSIM_CALL_START_IRQ:
			r = start_irq ? start_irq(NULL, (int32_t)i[0], (uint32_t)i[1]) : -38;
			break;
		case PSIM_CALL_REMOVE_NODE: r = remove_node ? remove_node(NULL, (int32_t)i[0]) : -38; break;
		case PSIM_CALL_UNBIND: r = unbind ? unbind(NULL, (int32_t)i[0]) : free_(NULL, (int32_t)i[0]); break;
		case PSIM_CALL_INIT_IRQ: r = init_irq ? init_irq(NULL) : 1; break;
		case PSIM_CALL_TAKE: {
			/* The words are the channel's text: callbacks reuse it. */
			int32_t n = (int32_t)i[0];
			if (n < 0 || (size_t)n * 16 > PSIM_CHAN_TEXT) {
				r = -22;
				break;
			}
			uint64_t *w = malloc((size_t)n * 16 + 16);
			if (!w) {
				r = -12;
				break;
			}
			memcpy(w, ch->text, (size_t)n * 16);
			r = take ? take(NULL, n, w) : -38;
			free(w);
			break;
		}
		case PSIM_CALL_EXIT: _exit(0);
		case PSIM_CALL_FORK:
			r = (int)fork_onto(i[0]);
			if (r == 0) {
				/* The child: ready on its channel, as a new runner. */
				ch->base = base;
				ch->has_unbind = unbind != NULL;
			}
			break;
		}
		ch->i[0] = r;
		ch->kind = PSIM_RETURN;
	}
}
