//! PCI host bridges: the functions below each, and the MSI blocks the firmware gave them.

use crate::alloc::BlockKind;
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
    by_addr: BTreeMap<PciAddr, usize>,
    /// Memory windows (from `ranges`, else the firmware's own).
    pub windows: Vec<crate::machine::Window>,
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
    pub fn validate(&self) -> Result<(), String> {
        if self.by_addr.len() != self.functions.len()
            || self
                .by_addr
                .iter()
                .any(|(a, &i)| self.functions.get(i).map(|f| f.addr) != Some(*a))
        {
            return Err(format!("{}: function index out of shape", self.path));
        }
        Ok(())
    }

    /// Index of the function at an address.
    pub fn find(&self, addr: PciAddr) -> Option<usize> {
        self.by_addr.get(&addr).copied()
    }

    /// The MSI block owned by a function, whatever register bits its key carried.
    pub fn block_of(&self, addr: PciAddr) -> Option<(u32, MsiBlock)> {
        let lo = addr.config_addr();
        if let Some(b) = self.msi.get(&lo) {
            return Some((lo, *b));
        }
        self.msi
            .range(lo..=lo | 0xf000_00ff)
            .find(|(k, _)| PciAddr::from_config_addr(**k).0 == addr)
            .map(|(k, b)| (*k, *b))
    }
}
