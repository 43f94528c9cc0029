//! PCI as the OS drives it: register numbers, config access the platform's way (a hook,
//! else the bare-metal PHB's config space through the port), the capability list,
//! BARs translated through the PHB's `ranges`, and where a function's MSI-X table is.

use super::{DevId, Kernel, MemWindow};
use crate::kernel::ops::MsiType;

/// Class code >> 8 of a PCI-PCI bridge.
pub const CLASS_BRIDGE_PCI: u32 = 0x0604;
/// Class code >> 8 of a CardBus bridge.
pub const CLASS_BRIDGE_CARDBUS: u32 = 0x0607;

/// Command register.
pub const COMMAND: u32 = 0x04;
/// Command: INTx disable.
pub const COMMAND_INTX_DISABLE: u32 = 0x400;
/// Status register.
pub const STATUS: u32 = 0x06;
/// Status: capability list present.
pub const STATUS_CAP_LIST: u32 = 0x10;
/// First BAR register.
pub const BAR0: u32 = 0x10;
/// Capability pointer.
pub const CAP_PTR: u32 = 0x34;
/// Capability ID of MSI.
pub const CAP_ID_MSI: u8 = 0x05;
/// Capability ID of MSI-X.
pub const CAP_ID_MSIX: u8 = 0x11;

/// MSI capability: message control (at cap + 2).
pub const MSI_FLAGS: u32 = 2;
/// MSI control: enable.
pub const MSI_FLAGS_ENABLE: u32 = 0x1;
/// MSI control: multiple message enable field.
pub const MSI_FLAGS_QSIZE: u32 = 0x70;
/// MSI control: 64-bit address capable.
pub const MSI_FLAGS_64BIT: u32 = 0x80;
/// MSI control: extended message data enable.
pub const MSI_FLAGS_EXT_DATA: u32 = 0x400;
/// MSI flags: per-vector masking capable.
pub const MSI_FLAGS_MASKBIT: u32 = 0x100;
/// MSI: address low (cap + 4); high at + 8 when 64-bit.
pub const MSI_ADDRESS_LO: u32 = 4;

/// MSI-X capability: message control (cap + 2).
pub const MSIX_FLAGS: u32 = 2;
/// MSI-X control: table size - 1.
pub const MSIX_FLAGS_QSIZE: u32 = 0x7ff;
/// MSI-X control: function mask.
pub const MSIX_FLAGS_MASKALL: u32 = 0x4000;
/// MSI-X control: enable.
pub const MSIX_FLAGS_ENABLE: u32 = 0x8000;
/// MSI-X: table offset and BIR (cap + 4).
pub const MSIX_TABLE: u32 = 4;
/// Bytes of one MSI-X table entry.
pub const MSIX_ENTRY_SIZE: u64 = 16;
/// MSI-X entry: vector control (offset 12), bit 0 masks.
pub const MSIX_ENTRY_VECTOR_CTRL: u64 = 12;

impl Kernel {
    /// Reads a device's config space the platform's way (RTAS on pseries).
    pub fn config_read(&mut self, dev: DevId, reg: u32, size: u32) -> Option<u32> {
        match self.desc.read_config {
            Some(h) => h(self, dev, reg, size),
            None => {
                let d = &self.devices[dev];
                let (buid, addr) = (d.buid, d.addr);
                self.port.config_read(buid, addr, reg, size)
            }
        }
    }

    /// Writes a device's config space the platform's way.
    pub fn config_write(&mut self, dev: DevId, reg: u32, size: u32, value: u32) -> bool {
        match self.desc.write_config {
            Some(h) => h(self, dev, reg, size, value),
            None => {
                let d = &self.devices[dev];
                let (buid, addr) = (d.buid, d.addr);
                self.port.config_write(buid, addr, reg, size, value)
            }
        }
    }

    /// Finds a capability by walking the list in config space.
    pub fn find_capability(&mut self, dev: DevId, id: u8) -> Option<u32> {
        let status = self.config_read(dev, STATUS, 2)?;
        if status & STATUS_CAP_LIST == 0 {
            return None;
        }
        let mut ptr = self.config_read(dev, CAP_PTR, 1)? & 0xfc;
        for _ in 0..48 {
            if ptr == 0 {
                return None;
            }
            if self.config_read(dev, ptr, 1)? == id as u32 {
                return Some(ptr);
            }
            ptr = self.config_read(dev, ptr + 1, 1)? & 0xfc;
        }
        None
    }

    /// Where a device's MSI or MSI-X capability is: walked once, then remembered.
    pub fn msi_cap(&mut self, dev: DevId, kind: MsiType) -> Option<u32> {
        let cached = match kind {
            MsiType::Msi => self.devices[dev].caps.msi,
            MsiType::Msix => self.devices[dev].caps.msix,
            MsiType::Ims => return None, // no capability: the tree describes the store
        };
        if let Some(c) = cached {
            return c;
        }
        let id = match kind {
            MsiType::Msi => CAP_ID_MSI,
            _ => CAP_ID_MSIX,
        };
        let found = self.find_capability(dev, id);
        let caps = &mut self.devices[dev].caps;
        match kind {
            MsiType::Msi => caps.msi = Some(found),
            _ => caps.msix = Some(found),
        }
        found
    }

    /// The PCI bus address a memory BAR holds (both halves of a 64-bit BAR).
    pub fn bar_address(&mut self, dev: DevId, bir: u32) -> Option<u64> {
        if bir > 5 {
            return None;
        }
        let reg = BAR0 + 4 * bir;
        let lo = self.config_read(dev, reg, 4)?;
        if lo & 1 != 0 {
            return None; // I/O space
        }
        let hi = if lo & 0x6 == 0x4 && bir < 5 {
            self.config_read(dev, reg + 4, 4)?
        } else {
            0
        };
        Some((hi as u64) << 32 | (lo & !0xf) as u64)
    }

    /// The CPU address of a PCI bus address on a device's PHB, through the PHB's
    /// `ranges` (memory spaces); without `ranges`, the same address.
    pub fn bus_to_cpu(&self, dev: DevId, bus_addr: u64) -> Option<u64> {
        let Some(windows) = &self.phbs[self.devices[dev].phb].windows else {
            return Some(bus_addr);
        };
        windows.iter().find_map(|w| {
            let off = bus_addr.checked_sub(w.bus)?;
            (off < w.size).then(|| w.cpu.checked_add(off)).flatten()
        })
    }

    /// The CPU address of a device's MSI-X table: Table BIR and offset from the
    /// capability, the BAR's address from config space, through the PHB's windows.
    pub fn msix_table_address(&mut self, dev: DevId) -> Option<u64> {
        let cap = self.msi_cap(dev, MsiType::Msix)?;
        let table = self.config_read(dev, cap + MSIX_TABLE, 4)?;
        let bar = self.bar_address(dev, table & 7)?;
        if bar == 0 {
            return None;
        }
        self.bus_to_cpu(dev, bar + (table & !7) as u64)
    }
}

/// A PHB's memory windows as Linux reads them once at boot (`pci_process_bridge_OF_ranges`);
/// None when its `ranges` is absent or unreadable (bus addresses are CPU addresses).
pub fn mem_windows(tree: &of_tree::Tree, phb: of_tree::NodeId) -> Option<Vec<MemWindow>> {
    let ranges = tree.at(phb).ranges().ok()??;
    Some(
        ranges
            .iter()
            .filter_map(|r| {
                let (&hi, 3) = (r.child.first()?, r.child.len()) else {
                    return None;
                };
                ((hi >> 24) & 3 >= 2).then(|| MemWindow {
                    bus: (r.child[1] as u64) << 32 | r.child[2] as u64,
                    cpu: r.parent.iter().fold(0u64, |a, &c| a << 32 | c as u64),
                    size: u64::try_from(r.size).unwrap_or(u64::MAX),
                })
            })
            .collect(),
    )
}
