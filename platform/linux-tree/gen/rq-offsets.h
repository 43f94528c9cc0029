/* pseries-sim: used only by SMP scheduler inlines. */
#define RQ_nr_pinned 0
