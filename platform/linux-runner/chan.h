/* pseries-sim client runner: the channel between the simulator and the process that
 * runs a client (shared memory, one side's turn at a time). platform/src/linux/chan.rs
 * mirrors this struct field for field; PSIM_CHAN_VERSION changes with it. */
#ifndef PSIM_CHAN_H
#define PSIM_CHAN_H
#include <stdint.h>

#define PSIM_CHAN_VERSION 1
#define PSIM_CHAN_TEXT 65536
#define PSIM_CHAN_QUEUE 65536
#define PSIM_CHAN_FRAMES 32

/* Whose turn it is (the futex word). */
enum { PSIM_TURN_PARENT = 0, PSIM_TURN_CHILD = 1 };

/* The child's state. */
enum { PSIM_RUNNING = 0, PSIM_CRASHED = 1, PSIM_STOPPED = 2 };

/* Messages. Parent to child: an entry point to call, or the reply to a callback.
 * Child to parent: the entry point's return, or a callback. Queued (child to parent,
 * no reply): handled in order before the message they precede. */
enum {
	PSIM_MSG_NONE = 0,
	/* entry points */
	PSIM_CALL_INIT = 1,
	PSIM_CALL_ADD_NODE,
	PSIM_CALL_ADD_PHB,
	PSIM_CALL_ADD_DEVICE,
	PSIM_CALL_MSI_INIT,
	PSIM_CALL_FIXUP,
	PSIM_CALL_REQUEST,
	PSIM_CALL_VECTOR,
	PSIM_CALL_REQUEST_IRQS,
	PSIM_CALL_FREE,
	PSIM_CALL_UNBIND,
	PSIM_CALL_EXIT,
	PSIM_CALL_INIT_IRQ,
	PSIM_CALL_TAKE,
	PSIM_CALL_FORK,
	PSIM_CALL_START_IRQ,
	PSIM_CALL_REMOVE_NODE,
	PSIM_REPLY = 32,
	PSIM_RETURN = 33,
	/* callbacks with a reply */
	PSIM_CB_RTAS = 64,
	PSIM_CB_RTAS_TOKEN,
	PSIM_CB_CONFIG_READ,
	PSIM_CB_CONFIG_WRITE,
	PSIM_CB_MMIO_READ,
	PSIM_CB_GET_PROPERTY,
	PSIM_CB_MSIX_TABLE,
	PSIM_CB_VIRQ_ALLOC,
	PSIM_CB_XIVE,
	PSIM_CB_WANTS,
	PSIM_CB_FLUSH,
	PSIM_CB_HCALL,
	/* queued */
	PSIM_Q_LOG = 96,
	PSIM_Q_VIRQ_MAP,
	PSIM_Q_VIRQ_FREE,
	PSIM_Q_IRQ_UNMASK,
	PSIM_Q_IRQ_MASK,
	PSIM_Q_MMIO_WRITE,
	PSIM_Q_HANDLED,
};

/* A queued message: its header, then `len` bytes of text (NUL included). */
struct psim_qmsg {
	uint32_t kind;
	uint32_t len;
	int64_t i[4];
};

struct psim_chan {
	uint32_t turn;
	uint32_t kind;
	int32_t state;
	int32_t version;
	uint32_t sleeping[2];	/* a side waits in the kernel: [0] the simulator, [1] the child */
	int32_t cpu[2];		/* the CPU each side last handed the turn over from */
	int64_t i[24];
	uint32_t len;		/* bytes of text */
	uint32_t qlen;		/* bytes of queue */
	/* what the child was doing when it crashed or was stopped */
	int32_t sig;
	int32_t sig_code;
	uint64_t sig_addr;
	uint64_t base;		/* the client library's load address */
	uint64_t frames[PSIM_CHAN_FRAMES];	/* the program counter, then return addresses */
	int32_t nframes;
	int32_t has_unbind;
	char text[PSIM_CHAN_TEXT];
	char queue[PSIM_CHAN_QUEUE];
};
#endif
