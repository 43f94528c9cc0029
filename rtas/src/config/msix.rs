//! The MSI-X capability (PCI capability id 0x11) and its table and pending bit array.

use super::access::AccessError;
use super::space::ConfigSpace;
use serde::{Deserialize, Serialize};

/// Capability id of MSI-X.
pub const CAP_ID_MSIX: u8 = 0x11;
/// Bytes per table entry.
pub const MSIX_ENTRY_SIZE: u32 = 16;

const CTRL_TABLE_SIZE_MASK: u32 = 0x07ff;
const CTRL_FUNCTION_MASK: u32 = 1 << 14;
const CTRL_ENABLE: u32 = 1 << 15;
const ENTRY_CTRL_MASKBIT: u32 = 1;

/// Where an MSI-X capability sits and where its table and PBA live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsixCap {
    /// Offset of the capability in config space.
    pub offset: u16,
    /// Number of table entries (1..2048).
    pub table_size: u16,
    /// BAR holding the table.
    pub table_bir: u8,
    /// Offset of the table in its BAR.
    pub table_offset: u32,
    /// BAR holding the pending bit array.
    pub pba_bir: u8,
    /// Offset of the PBA in its BAR.
    pub pba_offset: u32,
}

impl MsixCap {
    /// Bytes the capability occupies in config space.
    pub const LEN: u16 = 12;

    fn o(&self, rel: usize) -> usize {
        self.offset as usize + rel
    }

    /// Bytes of the table.
    pub fn table_bytes(&self) -> u32 {
        self.table_size as u32 * MSIX_ENTRY_SIZE
    }

    /// Bytes of the PBA (one bit per entry, in quadwords).
    pub fn pba_bytes(&self) -> u32 {
        (self.table_size as u32).div_ceil(64) * 8
    }

    /// Writes the read-only fields and write masks into config space.
    pub(crate) fn install(&self, cs: &mut ConfigSpace, next: u8) {
        cs.set_raw(self.o(0), CAP_ID_MSIX as u32 | (next as u32) << 8, 2);
        cs.set_raw(
            self.o(2),
            (self.table_size as u32 - 1) & CTRL_TABLE_SIZE_MASK,
            2,
        );
        cs.set_wmask(self.o(2), CTRL_FUNCTION_MASK | CTRL_ENABLE, 2);
        cs.set_raw(self.o(4), self.table_offset | self.table_bir as u32, 4);
        cs.set_raw(self.o(8), self.pba_offset | self.pba_bir as u32, 4);
    }

    /// Message control register.
    pub fn control(&self, cs: &ConfigSpace) -> u16 {
        cs.get_raw(self.o(2), 2) as u16
    }

    /// Table size as the control register encodes it (N - 1, bits 10:0) plus one.
    pub fn size_from_control(&self, cs: &ConfigSpace) -> u32 {
        (self.control(cs) as u32 & CTRL_TABLE_SIZE_MASK) + 1
    }

    /// Whether MSI-X is enabled.
    pub fn enabled(&self, cs: &ConfigSpace) -> bool {
        self.control(cs) as u32 & CTRL_ENABLE != 0
    }

    /// Whether every vector is masked by the function mask.
    pub fn function_masked(&self, cs: &ConfigSpace) -> bool {
        self.control(cs) as u32 & CTRL_FUNCTION_MASK != 0
    }

    /// Firmware turns MSI-X on or off.
    pub(crate) fn set_enabled(&self, cs: &mut ConfigSpace, on: bool) {
        let c = self.control(cs) as u32;
        let c = if on {
            c | CTRL_ENABLE
        } else {
            c & !CTRL_ENABLE
        };
        cs.set_raw(self.o(2), c, 2);
    }
}

/// The MSI-X table entries and pending bits, as they sit in BAR memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsixTable {
    /// Entries: address low, address high, data, vector control.
    entries: Vec<[u32; 4]>,
    /// Pending bits, one per entry.
    pba: Vec<u64>,
}

impl MsixTable {
    /// A table of `n` entries, every vector masked (the reset state).
    pub fn new(n: u16) -> Self {
        MsixTable {
            entries: vec![[0, 0, 0, ENTRY_CTRL_MASKBIT]; n as usize],
            pba: vec![0; (n as usize).div_ceil(64)],
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the PBA has room for every entry.
    pub(crate) fn consistent(&self) -> bool {
        self.pba.len() == self.entries.len().div_ceil(64)
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`'s message (address, data), if the entry exists.
    pub fn message(&self, i: u32) -> Option<(u64, u32)> {
        let e = self.entries.get(i as usize)?;
        Some(((e[1] as u64) << 32 | e[0] as u64, e[2]))
    }

    /// Whether entry `i` is masked.
    pub fn masked(&self, i: u32) -> bool {
        self.entries
            .get(i as usize)
            .is_none_or(|e| e[3] & ENTRY_CTRL_MASKBIT != 0)
    }

    /// Whether entry `i`'s pending bit is set.
    pub fn pending(&self, i: u32) -> bool {
        self.pba
            .get(i as usize / 64)
            .is_some_and(|q| q >> (i % 64) & 1 != 0)
    }

    pub(crate) fn set_pending(&mut self, i: u32, on: bool) {
        if let Some(q) = self.pba.get_mut(i as usize / 64) {
            if on {
                *q |= 1 << (i % 64);
            } else {
                *q &= !(1 << (i % 64));
            }
        }
    }

    /// Firmware writes entry `i`'s message and unmasks it, as QEMU does.
    pub(crate) fn set_message(&mut self, i: u32, address: u64, data: u32) {
        if let Some(e) = self.entries.get_mut(i as usize) {
            e[0] = address as u32 & !3;
            e[1] = (address >> 32) as u32;
            e[2] = data;
            e[3] &= !ENTRY_CTRL_MASKBIT;
        }
    }

    /// Back to the reset state.
    pub(crate) fn reset(&mut self) {
        for e in &mut self.entries {
            *e = [0, 0, 0, ENTRY_CTRL_MASKBIT];
        }
        self.pba.iter_mut().for_each(|q| *q = 0);
    }

    fn check(offset: u32, size: u32, limit: u32) -> Result<(), AccessError> {
        super::access::check_sized(offset, size, limit, &[4, 8])
    }

    /// Reads the table at a byte offset: dword or qword, naturally aligned.
    pub fn read_table(&self, offset: u32, size: u32) -> Result<u64, AccessError> {
        Self::check(offset, size, self.entries.len() as u32 * MSIX_ENTRY_SIZE)?;
        let dw = |o: u32| self.entries[(o / 16) as usize][((o % 16) / 4) as usize] as u64;
        Ok(if size == 8 {
            dw(offset) | dw(offset + 4) << 32
        } else {
            dw(offset)
        })
    }

    /// Writes the table at a byte offset; returns the entries whose mask bit was
    /// cleared by the write (so pending messages can be sent).
    pub fn write_table(
        &mut self,
        offset: u32,
        size: u32,
        value: u64,
    ) -> Result<Vec<u32>, AccessError> {
        Self::check(offset, size, self.entries.len() as u32 * MSIX_ENTRY_SIZE)?;
        let mut unmasked = Vec::new();
        let dwords = if size == 8 { 2 } else { 1 };
        for k in 0..dwords {
            let o = offset + 4 * k;
            let v = (value >> (32 * k)) as u32;
            let e = &mut self.entries[(o / 16) as usize];
            let idx = ((o % 16) / 4) as usize;
            match idx {
                0 => e[0] = v & !3,
                3 => {
                    let was = e[3] & ENTRY_CTRL_MASKBIT != 0;
                    e[3] = v & ENTRY_CTRL_MASKBIT;
                    if was && v & ENTRY_CTRL_MASKBIT == 0 {
                        unmasked.push(o / 16);
                    }
                }
                _ => e[idx] = v,
            }
        }
        Ok(unmasked)
    }

    /// Reads the PBA at a byte offset (read-only).
    pub fn read_pba(&self, offset: u32, size: u32) -> Result<u64, AccessError> {
        Self::check(offset, size, self.pba.len() as u32 * 8)?;
        let q = self.pba[(offset / 8) as usize];
        Ok(if size == 8 {
            q
        } else {
            (q >> (8 * (offset % 8))) & 0xffff_ffff
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bits() {
        let cap = MsixCap {
            offset: 0x50,
            table_size: 2048,
            table_bir: 1,
            table_offset: 0,
            pba_bir: 1,
            pba_offset: 0x8000,
        };
        let mut cs = ConfigSpace::new(256);
        cap.install(&mut cs, 0);
        assert_eq!(
            cs.read(0x52, 2).unwrap() & 0x7ff,
            0x7ff,
            "table size N-1 in bits 10:0"
        );
        assert_eq!(cap.size_from_control(&cs), 2048);
        cs.write(0x52, 2, 0xffff).unwrap();
        assert_eq!(
            cs.read(0x52, 2).unwrap(),
            0xc7ff,
            "only function mask and enable are writable"
        );
        assert!(cap.enabled(&cs) && cap.function_masked(&cs));
        cs.write(0x54, 4, 0).unwrap();
        assert_eq!(cs.read(0x54, 4).unwrap(), 1, "table offset/BIR read-only");
        assert_eq!(cs.read(0x58, 4).unwrap(), 0x8001);
        assert_eq!(cap.pba_bytes(), 256);
    }

    #[test]
    fn table_access_sizes_and_masking() {
        let mut t = MsixTable::new(3);
        assert!(t.masked(0), "entries start masked");
        assert_eq!(t.read_table(12, 4).unwrap(), 1);
        assert_eq!(t.read_table(2, 2), Err(AccessError::BadSize(2)));
        assert_eq!(
            t.read_table(4, 8),
            Err(AccessError::Misaligned { offset: 4, size: 8 })
        );
        assert!(t.read_table(48, 4).is_err());
        t.write_table(16, 8, 0x0000_0400_0000_1303).unwrap();
        assert_eq!(t.message(1), Some((0x400_0000_1300, 0)));
        t.write_table(24, 4, 0x1301).unwrap();
        let un = t.write_table(28, 4, 0xffff_fffe).unwrap();
        assert_eq!(un, vec![1]);
        assert!(!t.masked(1));
        assert_eq!(
            t.read_table(28, 4).unwrap(),
            0,
            "reserved vector control bits read zero"
        );
        t.set_pending(2, true);
        assert!(t.pending(2));
        assert_eq!(t.read_pba(0, 8).unwrap(), 4);
        assert_eq!(t.read_pba(4, 4).unwrap(), 0);
        assert!(t.read_pba(8, 4).is_err());
        t.set_message(2, 0x400_0000_0000, 0x1302);
        assert!(!t.masked(2));
        t.reset();
        assert!(t.masked(2) && !t.pending(2));
    }
}
