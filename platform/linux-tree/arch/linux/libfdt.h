/* pseries-sim psim arch: the part of libfdt the XIVE driver names (its flattened-tree
 * reads go through linux/of_fdt.h, which bottom/fdt.c serves from the tree the OS booted
 * with): the error numbers, as scripts/dtc/libfdt/libfdt.h has them. */
#ifndef _PSIM_LIBFDT_H
#define _PSIM_LIBFDT_H
#define FDT_ERR_NOTFOUND 1
#define FDT_ERR_EXISTS 2
#define FDT_ERR_NOSPACE 3
#endif
