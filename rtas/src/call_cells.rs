//! The cells of one RTAS call: the arguments a service reads and the outputs it writes.

use crate::memory::Memory;

/// Most cells of arguments plus outputs a call may have (LoPAPR).
pub const MAX_CELLS: u32 = 16;

/// The input cells of a call, as the service reads them.
pub(crate) struct Args<'a> {
    pub(crate) mem: &'a Memory,
    /// Where the first argument cell is.
    pub(crate) addr: u64,
    /// Cells the caller declared.
    pub n: u32,
}

impl Args<'_> {
    /// A cell of OS memory (in a buffer the caller passed).
    pub fn load(&self, addr: u64) -> Option<u32> {
        self.mem.read_u32(addr)
    }

    /// Whether `len` bytes at `addr` lie in OS memory (a buffer the caller passed).
    pub fn buffer_ok(&self, addr: u64, len: u32) -> bool {
        self.mem.contains(addr, len as usize)
    }

    /// Argument `i` as QEMU reads it: from memory, whatever nargs said. `None` when
    /// that cell lies outside memory.
    pub fn raw(&self, i: u32) -> Option<u32> {
        self.mem.read_u32(self.addr + 4 * i as u64)
    }

    /// The declared arguments (at most [`MAX_CELLS`]).
    pub fn all(&self) -> Cells {
        let mut c = Cells {
            len: (self.n as usize).min(MAX_CELLS as usize),
            ..Default::default()
        };
        for i in 0..c.len {
            c.cells[i] = self.raw(i as u32).unwrap_or(0);
        }
        c
    }
}

/// Up to [`MAX_CELLS`] cells without a heap allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cells {
    cells: [u32; MAX_CELLS as usize],
    len: usize,
}

impl std::ops::Deref for Cells {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.cells[..self.len]
    }
}

/// The output cells a service writes; cells it leaves alone keep what the OS put there.
pub(crate) struct Rets {
    /// The outputs set so far.
    pub(crate) cells: [Option<u32>; MAX_CELLS as usize],
    n: u32,
    /// Bytes a service stores into OS memory (a buffer the caller passed), applied
    /// after the call.
    pub(crate) stores: Vec<(u64, Vec<u8>)>,
}

impl Rets {
    /// Outputs for a caller that asked for `n`, none set.
    pub(crate) fn new(n: u32) -> Self {
        Rets {
            cells: [None; MAX_CELLS as usize],
            n,
            stores: Vec::new(),
        }
    }

    /// Stores `bytes` at `addr` in OS memory once the call returns (the service checked
    /// the buffer lies in OS memory).
    pub fn store(&mut self, addr: u64, bytes: Vec<u8>) {
        self.stores.push((addr, bytes));
    }

    /// Number of outputs the caller asked for.
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Sets output `i` (ignored beyond nret; no service writes past the 16th).
    pub fn set(&mut self, i: u32, v: u32) {
        if i < self.n {
            if let Some(c) = self.cells.get_mut(i as usize) {
                *c = Some(v);
            }
        }
    }

    /// Sets the status.
    pub fn status(&mut self, s: i32) {
        self.set(0, s as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_past_nret_are_dropped() {
        let mut r = Rets::new(2);
        r.status(-3);
        r.set(1, 7);
        r.set(2, 9);
        r.set(MAX_CELLS + 4, 1);
        assert_eq!(r.n(), 2);
        assert_eq!(r.cells[..3], [Some(-3i32 as u32), Some(7), None]);
    }

    #[test]
    fn arguments_read_from_memory_at_most_max_cells() {
        let mut mem = Memory::new(0x1000, 0x100);
        for i in 0..20u32 {
            assert!(mem.write_u32(0x1000 + 4 * i as u64, 100 + i));
        }
        let a = Args {
            mem: &mem,
            addr: 0x1000,
            n: 20,
        };
        assert_eq!(a.all().len(), MAX_CELLS as usize);
        assert_eq!(a.all()[15], 115);
        assert_eq!(a.raw(19), Some(119), "QEMU reads past nargs");
        let edge = Args {
            mem: &mem,
            addr: 0x10f8,
            n: 4,
        };
        // Cells past the end of memory read as 0 in the declared set, None raw.
        assert_eq!(edge.raw(2), None);
        assert_eq!(&*edge.all(), &[0, 0, 0, 0][..]);
        assert!(edge.buffer_ok(0x10f8, 8));
        assert!(!edge.buffer_ok(0x10f8, 9));
    }
}
