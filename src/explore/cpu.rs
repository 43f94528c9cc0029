//! Keeping a worker thread on one CPU: a worker and the client process it runs hand
//! the turn back and forth hundreds of times a scenario; on one CPU each hand-over is a
//! yield to the other, where across CPUs the waiting side spins or sleeps while other
//! work wants the CPU (on a busy two-core machine, a third of the throughput).

/// Keeps the calling thread on the `n`th of the CPUs the process may use (counting
/// round), and so the client processes it starts or forks. Does nothing where the
/// CPUs cannot be read or set.
pub fn keep_to(n: usize) {
    // SAFETY: plain system calls on sets that live across them.
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &allowed))
            .collect();
        let Some(&cpu) = cpus.get(n % cpus.len().max(1)) else {
            return;
        };
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        libc::sched_setaffinity(0, size, &one);
    }
}
