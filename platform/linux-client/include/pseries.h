/* pseries-sim stand-in for the platform directory's pseries.h (msi.c's view, like
 * psim.h: above the middle layer, below entry.c). */
#include "psim.h"
