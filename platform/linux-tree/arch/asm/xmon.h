/* pseries-sim psim arch: no xmon debugger (asm/xmon.h without CONFIG_XMON). */
#ifndef _ASM_PSIM_XMON_H
#define _ASM_PSIM_XMON_H
#endif
