struct sigcontext { unsigned long psim_unused; };
