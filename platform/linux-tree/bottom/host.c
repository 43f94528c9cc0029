/* pseries-sim tree client, bottom: the host (the simulator's callbacks) and the
 * context of the call being served, set by the entry points. */
#include "bottom.h"

const struct psim_host *psim_h;
void *psim_ctx;
