//! PCI host bridges: the functions below each, and the MSI blocks the firmware gave them.

use crate::alloc::BlockKind;
use crate::error::ValidateError;
use crate::pci::{PciAddr, PciFunction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// QEMU's first PHB BUID; PHB n has this plus n.
pub const QEMU_BUID_BASE: u64 = 0x0800_0000_2000_0000;

/// A block of sources the firmware assigned to one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsiBlock {
    /// First global source number.
    pub first: u32,
    /// Vectors the OS was told it has.
    pub count: u32,
    /// Sources taken from the pool (MSI blocks round up to a power of two in the
    /// PAPR policy).
    pub reserved: u32,
    /// MSI or MSI-X.
    pub kind: BlockKind,
    /// The MSI window its messages were written with (the 32-bit one for change-msi
    /// functions 5 and 6): what a slot reset restores.
    pub window: u64,
}

/// A PCI host bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phb {
    /// PHB number (QEMU's index; the PCI domain Linux shows).
    pub index: u32,
    /// Bus unit id, from the first `reg` entry.
    pub buid: u64,
    /// Node path.
    pub path: String,
    /// `ibm,pe-total-#msi`.
    pub pe_total_msi: Option<u32>,
    /// The partition (LPAR) that owns it: `pseries-sim,partition`, 0 when absent.
    pub partition: u32,
    /// Functions below it, bridges included, in tree order.
    pub functions: Vec<PciFunction>,
    by_addr: crate::addr_index::AddrIndex,
    /// Memory windows (from `ranges`, else the firmware's own).
    pub windows: Vec<Window>,
    /// MSI assignments, keyed by the config address the OS passed (QEMU's key).
    pub msi: BTreeMap<u32, MsiBlock>,
    /// The DR connectors of its slots (and of the slots of bridges below it).
    pub drcs: Vec<crate::drc::Drc>,
}

impl Phb {
    /// A PHB with its functions.
    pub fn new(
        index: u32,
        buid: u64,
        path: String,
        pe_total_msi: Option<u32>,
        functions: Vec<PciFunction>,
    ) -> Self {
        let by_addr = functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.addr, i))
            .collect();
        Phb {
            index,
            buid,
            path,
            pe_total_msi,
            partition: 0,
            functions,
            by_addr,
            windows: Vec::new(),
            msi: BTreeMap::new(),
            drcs: Vec::new(),
        }
    }

    /// Checks the address index agrees with the functions (for states read from outside).
    pub fn validate(&self) -> Result<(), ValidateError> {
        if self.by_addr.len() != self.functions.len()
            || self
                .by_addr
                .iter()
                .any(|(a, i)| self.functions.get(i).map(|f| f.addr) != Some(a))
        {
            return Err(ValidateError::FunctionIndex {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Adds a function (a hotplugged one) at the end; its index.
    pub(crate) fn add_function(&mut self, f: PciFunction) -> usize {
        let i = self.functions.len();
        self.by_addr.insert(f.addr, i);
        self.functions.push(f);
        i
    }

    /// Removes the function at an index: the functions after it move down one, and so
    /// do the connectors' references to them.
    pub(crate) fn remove_function(&mut self, i: usize) -> PciFunction {
        let f = self.functions.remove(i);
        self.by_addr = self
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.addr, i))
            .collect();
        for d in &mut self.drcs {
            d.function = match d.function {
                Some(j) if j == i => None,
                Some(j) if j > i => Some(j - 1),
                o => o,
            };
        }
        f
    }

    /// Index of the function at an address.
    pub fn find(&self, addr: PciAddr) -> Option<usize> {
        self.by_addr.get(addr)
    }

    /// The MSI block owned by a function, whatever register bits its key carried.
    pub fn block_of(&self, addr: PciAddr) -> Option<(u32, MsiBlock)> {
        let lo = addr.config_addr();
        if let Some(b) = self.msi.get(&lo) {
            return Some((lo, *b));
        }
        // The register bits are the low byte and the extended-register nibble at the
        // top: the nibble's ranges are searched only when some key carries one.
        let with = |base: u32| {
            self.msi
                .range(base..=base | 0xff)
                .find(|(k, _)| PciAddr::from_config_addr(**k).0 == addr)
                .map(|(k, b)| (*k, *b))
        };
        if let Some(found) = with(lo) {
            return Some(found);
        }
        match self.msi.last_key_value() {
            Some((&last, _)) if last >= 1 << 28 => (1..16u32).find_map(|ext| with(ext << 28 | lo)),
            _ => None,
        }
    }
}

/// A PHB memory window: a range of PCI bus addresses and the CPU addresses behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First PCI bus address.
    pub pci: u64,
    /// The CPU physical address of `pci`.
    pub cpu: u64,
    /// Bytes.
    pub size: u64,
    /// A 64-bit memory window (else 32-bit).
    pub mem64: bool,
}

impl Window {
    /// The CPU address of a bus address in this window.
    pub fn to_cpu(&self, pci: u64) -> Option<u64> {
        let off = pci.checked_sub(self.pci)?;
        if off < self.size {
            self.cpu.checked_add(off)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(first: u32) -> MsiBlock {
        MsiBlock {
            first,
            count: 1,
            reserved: 1,
            kind: BlockKind::Msix,
            window: 0,
        }
    }

    #[test]
    fn block_of_finds_a_key_whatever_its_register_bits() {
        let mut p = Phb::new(0, 0x800000020000000, "/pci".into(), None, Vec::new());
        let a = PciAddr { bus: 1, devfn: 8 };
        let b = PciAddr { bus: 1, devfn: 9 };
        let c = PciAddr { bus: 2, devfn: 0 };
        p.msi.insert(a.config_addr(), block(0x1000));
        p.msi.insert(b.config_addr() | 0x44, block(0x2000));
        assert_eq!(p.block_of(a), Some((a.config_addr(), block(0x1000))));
        assert_eq!(p.block_of(b), Some((b.config_addr() | 0x44, block(0x2000))));
        assert_eq!(p.block_of(c), None);
        // An extended register number sits in the top nibble.
        p.msi.insert(c.config_addr() | 0x3000_0010, block(0x3000));
        assert_eq!(
            p.block_of(c),
            Some((c.config_addr() | 0x3000_0010, block(0x3000)))
        );
        assert_eq!(p.block_of(PciAddr { bus: 2, devfn: 1 }), None);
    }
}
