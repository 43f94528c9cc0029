//! Writing a composed message into a device (Linux's `pci_write_msi_msg`): the MSI
//! capability's address and data through config space, or an MSI-X table entry through
//! its BAR. Used by the descriptions that compose messages themselves.

use super::pci::*;
use super::{DevId, Kernel, MsiMessage};
use crate::kernel::ops::MsiType;

impl Kernel {
    /// Writes `msg` as vector `index`'s message: the MSI-X entry (left unmasked), or for
    /// MSI the capability's one address and base data (`index` must be 0: the device
    /// adds the vector number to the data itself). False where the device takes none.
    pub fn write_msi_msg(
        &mut self,
        dev: DevId,
        kind: MsiType,
        index: u32,
        msg: MsiMessage,
    ) -> bool {
        match kind {
            MsiType::Msix => {
                let Some(table) = self.msix_table_address(dev) else {
                    return false;
                };
                let e = table + MSIX_ENTRY_SIZE * index as u64;
                self.port.mmio_write(e, 4, msg.address & 0xffff_ffff)
                    && self.port.mmio_write(e + 4, 4, msg.address >> 32)
                    && self.port.mmio_write(e + 8, 4, msg.data as u64)
                    && self.port.mmio_write(e + MSIX_ENTRY_VECTOR_CTRL, 4, 0)
            }
            MsiType::Msi => {
                let Some(cap) = self.msi_cap(dev, MsiType::Msi).filter(|_| index == 0) else {
                    return false;
                };
                let ctrl = self.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
                let ext = msg.data > 0xffff;
                let ctrl = if ext {
                    ctrl | MSI_FLAGS_EXT_DATA
                } else {
                    ctrl & !MSI_FLAGS_EXT_DATA
                };
                let is64 = ctrl & MSI_FLAGS_64BIT != 0;
                let data_reg = cap + if is64 { 12 } else { 8 };
                self.config_write(dev, cap + MSI_ADDRESS_LO, 4, msg.address as u32)
                    && (!is64
                        || self.config_write(
                            dev,
                            cap + MSI_ADDRESS_LO + 4,
                            4,
                            (msg.address >> 32) as u32,
                        ))
                    && self.config_write(dev, cap + MSI_FLAGS, 2, ctrl)
                    && self.config_write(dev, data_reg, if ext { 4 } else { 2 }, msg.data)
            }
        }
    }

    /// The MSI vector a source stands for: device, kind, vector.
    fn msi_vector(&self, source: u32) -> Option<(DevId, MsiType, u32)> {
        self.devices.iter().enumerate().find_map(|(d, dev)| {
            let m = dev.msi.as_ref()?;
            let i = m.sources.iter().position(|&s| s == source)?;
            Some((d, m.kind, i as u32))
        })
    }

    /// Masks or unmasks in the device the MSI vector a source stands for (Linux's
    /// `pci_msi_mask_irq`): the MSI-X entry's vector control, or the MSI capability's
    /// mask bit when it has per-vector masking. False when the source is no vector's.
    pub fn pci_msi_mask(&mut self, source: u32, masked: bool) -> bool {
        let Some((dev, kind, i)) = self.msi_vector(source) else {
            return false;
        };
        match kind {
            MsiType::Msix => {
                if let Some(t) = self.msix_table_address(dev) {
                    let e = t + MSIX_ENTRY_SIZE * i as u64 + MSIX_ENTRY_VECTOR_CTRL;
                    self.port.mmio_write(e, 4, masked as u64);
                }
            }
            MsiType::Msi => {
                let Some(cap) = self.msi_cap(dev, MsiType::Msi) else {
                    return true;
                };
                let ctrl = self.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
                if ctrl & MSI_FLAGS_MASKBIT == 0 {
                    return true; // no per-vector masking
                }
                let reg = cap
                    + if ctrl & MSI_FLAGS_64BIT != 0 {
                        0x10
                    } else {
                        0x0c
                    };
                let bits = self.config_read(dev, reg, 4).unwrap_or(0);
                let bits = if masked {
                    bits | 1 << i
                } else {
                    bits & !(1 << i)
                };
                self.config_write(dev, reg, 4, bits);
            }
        }
        true
    }
}
