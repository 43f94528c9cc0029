/* pseries-sim stand-in for the platform directory's pseries.h */
#include "psim.h"
