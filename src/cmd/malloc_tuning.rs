//! The C allocator's thresholds for `run` of many scenarios: many short-lived machines.
//!
//! By default glibc hands blocks over 128 KiB to `mmap` and gives freed memory back to
//! the kernel, so every scenario of a `run` faults its XIVE tables, queue pages and
//! state blobs in afresh, and with `-j 2` the two threads contend in the kernel over
//! those page faults and unmaps. Keeping blocks up to 256 MiB in the heap and not
//! trimming it lets each thread reuse the pages of its previous scenario.

/// Applies the thresholds (glibc only; elsewhere nothing changes). One machine's run
/// keeps glibc's defaults, which return a large boot's freed memory.
pub fn reuse_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
