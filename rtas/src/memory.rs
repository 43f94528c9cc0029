//! A region of simulated OS memory that RTAS argument buffers live in.

use byteorder::{BigEndian, ByteOrder};

/// OS memory from `base` for `len` bytes; RTAS reads and writes big-endian cells here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    base: u64,
    bytes: Vec<u8>,
}

impl Memory {
    /// Lays out an RTAS call buffer at `at`: token, nargs, nret, the inputs, `nret`
    /// zeroed outputs (as Linux zeroes them). The address of the outputs; None when the
    /// buffer does not fit.
    pub fn write_call(&mut self, at: u64, token: u32, args: &[u32], nret: usize) -> Option<u64> {
        let len = 4 * (3 + args.len() + nret);
        let r = self.range(at, len)?;
        let buf = &mut self.bytes[r];
        let (head, rest) = buf.split_at_mut(12);
        BigEndian::write_u32_into(&[token, args.len() as u32, nret as u32], head);
        let (ins, outs) = rest.split_at_mut(4 * args.len());
        BigEndian::write_u32_into(args, ins);
        outs.fill(0);
        Some(at + 12 + 4 * args.len() as u64)
    }

    /// Fills `out` with the big-endian cells from `addr`; false (nothing read) when
    /// they do not all lie inside.
    pub fn read_cells(&self, addr: u64, out: &mut [u32]) -> bool {
        match self.range(addr, 4 * out.len()) {
            Some(r) => {
                BigEndian::read_u32_into(&self.bytes[r], out);
                true
            }
            None => false,
        }
    }

    /// Zeroed memory of `len` bytes at `base`.
    pub fn new(base: u64, len: usize) -> Self {
        Memory {
            base,
            bytes: vec![0; len],
        }
    }

    /// First address.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn range(&self, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let off = addr.checked_sub(self.base)?;
        let off = usize::try_from(off).ok()?;
        let end = off.checked_add(len)?;
        (end <= self.bytes.len()).then_some(off..end)
    }

    /// The big-endian cell at `addr`, if it lies inside.
    pub fn read_u32(&self, addr: u64) -> Option<u32> {
        let r = self.range(addr, 4)?;
        Some(BigEndian::read_u32(&self.bytes[r]))
    }

    /// Writes a big-endian cell; false when outside.
    pub fn write_u32(&mut self, addr: u64, v: u32) -> bool {
        match self.range(addr, 4) {
            Some(r) => {
                self.bytes[r].copy_from_slice(&v.to_be_bytes());
                true
            }
            None => false,
        }
    }

    /// Whether `len` bytes from `addr` lie inside.
    pub fn contains(&self, addr: u64, len: usize) -> bool {
        self.range(addr, len).is_some()
    }

    /// `len` bytes from `addr`, if they lie inside.
    pub fn read_bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let r = self.range(addr, len)?;
        Some(&self.bytes[r])
    }

    /// Writes bytes at `addr`; false (nothing written) when they do not all fit.
    pub fn write_bytes(&mut self, addr: u64, v: &[u8]) -> bool {
        match self.range(addr, v.len()) {
            Some(r) => {
                self.bytes[r].copy_from_slice(v);
                true
            }
            None => false,
        }
    }

    /// Raw bytes, for tests that scribble on memory.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_buffers_are_laid_out_or_refused() {
        let mut m = Memory::new(0x1000, 64);
        let rets = m.write_call(0x1000, 0x2019, &[1, 2], 3).unwrap();
        assert_eq!(rets, 0x1000 + 12 + 8);
        let cells: Vec<u32> = (0..8)
            .map(|i| m.read_u32(0x1000 + 4 * i).unwrap())
            .collect();
        assert_eq!(cells, [0x2019, 2, 3, 1, 2, 0, 0, 0]);
        assert_eq!(m.write_call(0x1000, 1, &[0; 10], 10), None, "does not fit");
        let mut back = [7u32; 3];
        assert!(m.read_cells(0x1004, &mut back));
        assert_eq!(back, [2, 3, 1]);
        let mut past = [7u32; 2];
        assert!(
            !m.read_cells(0x1000 + 60, &mut past),
            "one cell past the end"
        );
        assert_eq!(past, [7, 7], "nothing read");
    }

    #[test]
    fn bounds() {
        let mut m = Memory::new(0x1000, 16);
        assert!(m.write_u32(0x100c, 0xdead_beef));
        assert_eq!(m.read_u32(0x100c), Some(0xdead_beef));
        assert_eq!(m.read_u32(0x100d), None);
        assert_eq!(m.read_u32(0xffc), None);
        assert!(!m.write_u32(u64::MAX - 1, 1));
        assert!(m.contains(0x1000, 16) && !m.contains(0x1000, 17));
    }
}
