struct user { unsigned long psim_unused; };
