/* pseries-sim psim arch: no vmalloc area (no MMU). */
