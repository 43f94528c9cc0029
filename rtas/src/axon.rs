//! The Axon bridge's MSI controller (MSIC) of Cell blades (QS21/QS22), and the system
//! memory its FIFO lives in. The OS gives the MSIC a FIFO buffer (address and size in
//! its registers); each message written to the MSI address is stored as a 16-byte FIFO
//! entry (first word: the message data, little-endian), the write offset advances, and
//! one cascade interrupt is raised on the interrupt controller.
//!
//! Registers are DCRs, reached by MMIO at `dcr-mmio-range` + register × `dcr-mmio-stride`.

use crate::error::{tree_err, Error};
use crate::ics::Ics;
use of_tree::Tree;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use papr_abi::axon::*;

/// System memory devices can write to: sparse, word-addressed, reads of untouched
/// words give 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ram {
    /// First byte.
    pub base: u64,
    /// Bytes.
    pub size: u64,
    words: BTreeMap<u64, u32>,
}

impl Ram {
    /// `size` bytes from `base`.
    pub fn new(base: u64, size: u64) -> Ram {
        Ram {
            base,
            size,
            words: BTreeMap::new(),
        }
    }

    fn inside(&self, addr: u64) -> bool {
        addr.is_multiple_of(4) && addr >= self.base && addr - self.base + 4 <= self.size
    }

    /// The aligned word at `addr` (CPU byte order: what the OS stored), `None` outside.
    pub fn read(&self, addr: u64) -> Option<u32> {
        self.inside(addr)
            .then(|| self.words.get(&addr).copied().unwrap_or(0))
    }

    /// Stores an aligned word; false outside.
    pub fn write(&mut self, addr: u64, value: u32) -> bool {
        if !self.inside(addr) {
            return false;
        }
        if value == 0 {
            self.words.remove(&addr);
        } else {
            self.words.insert(addr, value);
        }
        true
    }
}

/// The MSIC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msic {
    /// Node path.
    pub path: String,
    /// CPU address of DCR 0 of the MSIC.
    pub dcr_mmio: u64,
    /// Bytes between two DCRs.
    pub dcr_stride: u64,
    /// Where devices write their messages.
    pub msi_address: u64,
    /// The cascade source on the interrupt controller.
    pub cascade: u32,
    regs: [u32; 8],
    /// Messages written into an entry the OS had not consumed (lost to it), by data.
    pub overwritten: Vec<u32>,
    /// Messages taken while the MSIC was disabled (dropped).
    pub dropped: u64,
}

impl Msic {
    /// The MSIC a tree describes, if any: a node compatible with `ibm,axon-msic`, its
    /// DCRs at `dcr-mmio-range` with `dcr-mmio-stride`, messages at `msi-address-64`
    /// of the bridge whose `msi-translator` names it, its cascade at `interrupts`.
    pub fn from_tree(tree: &Tree) -> Result<Option<Msic>, Error> {
        let Some(&n) = tree.find_compatible(COMPATIBLE).first() else {
            return Ok(None);
        };
        let at = tree.at(n);
        let path = at.path();
        let need = |name: &str| -> Result<Vec<u32>, Error> {
            at.cells(name)?
                .ok_or_else(|| tree_err(&path, format!("MSIC without '{name}'")))
        };
        let range = need("dcr-mmio-range")?;
        let stride = need("dcr-mmio-stride")?;
        let cascade = need("interrupts")?;
        let (Some(&hi), Some(&lo), Some(&stride), Some(&cascade)) =
            (range.first(), range.get(1), stride.first(), cascade.first())
        else {
            return Err(tree_err(
                &path,
                "'dcr-mmio-range', 'dcr-mmio-stride' or 'interrupts' is empty",
            ));
        };
        let phandle = at.u32("phandle")?;
        let mut msi_address = None;
        for b in tree.with_prop("msi-translator") {
            let bt = tree.at(b);
            if phandle.is_some() && bt.u32("msi-translator")? == phandle {
                if let Some([h, l]) = bt.cells("msi-address-64")?.as_deref() {
                    msi_address = Some((*h as u64) << 32 | *l as u64);
                }
            }
        }
        let msi_address = msi_address.ok_or_else(|| {
            tree_err(
                &path,
                "no bridge with an 'msi-translator' naming it has 'msi-address-64'",
            )
        })?;
        Ok(Some(Msic {
            path,
            dcr_mmio: (hi as u64) << 32 | lo as u64,
            dcr_stride: stride as u64,
            msi_address,
            cascade,
            regs: [0; 8],
            overwritten: Vec::new(),
            dropped: 0,
        }))
    }

    /// The DCR an MMIO address reaches.
    pub fn dcr(&self, addr: u64) -> Option<u32> {
        let off = addr.checked_sub(self.dcr_mmio)?;
        let stride = self.dcr_stride.max(1);
        (off.is_multiple_of(stride) && off / stride < 8).then_some((off / stride) as u32)
    }

    /// A DCR read.
    pub fn read(&self, reg: u32) -> Option<u32> {
        self.regs.get(reg as usize).copied()
    }

    /// A DCR write; the write offset is the MSIC's own (read only).
    pub fn write(&mut self, reg: u32, value: u32) -> bool {
        if reg == MSIC_WRITE_OFFSET_REG {
            return false;
        }
        match self.regs.get_mut(reg as usize) {
            Some(r) => {
                *r = value;
                true
            }
            None => false,
        }
    }

    /// Bytes of the FIFO the control register selects.
    pub fn fifo_bytes(&self) -> u64 {
        1 << (15 + ((self.regs[MSIC_CTRL_REG as usize] & MSIC_CTRL_FIFO_SIZE_MASK) >> 8))
    }

    /// Entries of the FIFO the OS has not consumed (not [`FIFO_EMPTY`]), by offset and
    /// message data.
    pub fn unconsumed(&self, ram: &Ram) -> Vec<(u64, u32)> {
        let base = (self.regs[MSIC_BASE_ADDR_HI_REG as usize] as u64) << 32
            | self.regs[MSIC_BASE_ADDR_LO_REG as usize] as u64;
        (0..self.fifo_bytes())
            .step_by(MSIC_FIFO_ENTRY_SIZE as usize)
            .filter_map(|o| {
                let w = ram.read(base + o)?;
                (w != FIFO_EMPTY).then(|| (o, u32::from_le(w)))
            })
            .collect()
    }

    /// A message arrives: stored at the write offset (its data, little-endian, in the
    /// entry's first word), the offset advanced and wrapped, the cascade raised. An
    /// entry the OS had not consumed yet is overwritten and recorded as lost. False when
    /// the MSIC is disabled or the FIFO lies outside memory (the message is dropped).
    pub fn message(&mut self, data: u32, ram: &mut Ram, ics: &mut Ics) -> bool {
        let ctrl = self.regs[MSIC_CTRL_REG as usize];
        let base = (self.regs[MSIC_BASE_ADDR_HI_REG as usize] as u64) << 32
            | self.regs[MSIC_BASE_ADDR_LO_REG as usize] as u64;
        let off = self.regs[MSIC_WRITE_OFFSET_REG as usize] as u64;
        let at = base + off;
        if ctrl & MSIC_CTRL_ENABLE == 0 || ram.read(at).is_none() {
            self.dropped += 1;
            log::debug!(
                "{}: message {data:#x} dropped (disabled or no FIFO)",
                self.path
            );
            return false;
        }
        let old = ram.read(at).unwrap_or(FIFO_EMPTY);
        if old != FIFO_EMPTY {
            let lost = u32::from_le(old);
            log::warn!(
                "{}: FIFO full: entry at offset {off:#x} (message {lost:#x}) overwritten",
                self.path
            );
            self.overwritten.push(lost);
        }
        ram.write(at, data.to_le());
        let next = (off + MSIC_FIFO_ENTRY_SIZE) % self.fifo_bytes();
        self.regs[MSIC_WRITE_OFFSET_REG as usize] = next as u32;
        if ctrl & MSIC_CTRL_IRQ_ENABLE != 0 {
            ics.trigger(self.cascade);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ics::SourceKind;

    fn msic() -> (Msic, Ram, Ics) {
        let mut ics = Ics::new(vec![(0x1000, 0x1000)]);
        ics.claim(0x1100, SourceKind::Msi);
        let m = Msic {
            path: "/axon/msic".into(),
            dcr_mmio: 0x2_0000_0000,
            dcr_stride: 0x10,
            msi_address: 0x4_0000_0000,
            cascade: 0x1100,
            regs: [0; 8],
            overwritten: Vec::new(),
            dropped: 0,
        };
        (m, Ram::new(0x1000_0000, 0x10_0000), ics)
    }

    fn set_up(m: &mut Msic, ram: &mut Ram) {
        for o in (0..0x8000).step_by(4) {
            ram.write(0x1000_0000 + o, FIFO_EMPTY);
        }
        m.write(MSIC_BASE_ADDR_HI_REG, 0);
        m.write(MSIC_BASE_ADDR_LO_REG, 0x1000_0000);
        // 32 KiB: size field 0.
        m.write(MSIC_CTRL_REG, MSIC_CTRL_ENABLE | MSIC_CTRL_IRQ_ENABLE);
    }

    #[test]
    fn entries_are_16_bytes_little_endian_and_wrap() {
        let (mut m, mut ram, mut ics) = msic();
        assert!(!m.message(5, &mut ram, &mut ics), "disabled at reset");
        set_up(&mut m, &mut ram);
        assert_eq!(m.fifo_bytes(), 0x8000);
        assert!(m.message(0x1234, &mut ram, &mut ics));
        assert_eq!(ram.read(0x1000_0000).map(u32::from_le), Some(0x1234));
        assert_eq!(m.read(MSIC_WRITE_OFFSET_REG), Some(0x10));
        for i in 1..0x800 {
            ram.write(0x1000_0000 + 0x10 * (i - 1), FIFO_EMPTY); // the OS consumed it
            m.message(i as u32, &mut ram, &mut ics);
        }
        assert_eq!(m.read(MSIC_WRITE_OFFSET_REG), Some(0), "wrapped");
        assert!(m.overwritten.is_empty());
        // The last entry was not consumed: the next lap's message at it is fine (slot
        // 0 was consumed), and the one after that overwrites slot 1's unconsumed entry.
        m.message(0x800, &mut ram, &mut ics);
        assert!(m.overwritten.is_empty());
        let cascade = ics.source(0x1100).unwrap();
        assert_ne!(
            cascade.status & crate::ics::status::MASKED_PENDING,
            0,
            "raised"
        );
    }

    #[test]
    fn an_unconsumed_entry_is_recorded_when_overwritten() {
        let (mut m, mut ram, mut ics) = msic();
        set_up(&mut m, &mut ram);
        for i in 0..0x801u32 {
            m.message(i, &mut ram, &mut ics);
        }
        assert_eq!(m.overwritten, vec![0]);
        assert!(!m.write(MSIC_WRITE_OFFSET_REG, 0), "read only");
        assert_eq!(m.dcr(0x2_0000_0060), Some(6));
        assert_eq!(m.dcr(0x2_0000_0061), None);
    }
}
