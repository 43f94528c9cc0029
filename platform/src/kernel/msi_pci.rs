//! The two PCI message stores behind [`MsiStore`]: MSI (address and data in the
//! capability in config space, per-vector mask bits when the device has them) and MSI-X
//! (a table of 16-byte entries in a BAR, each with its vector control word).

use super::msi_store::MsiStore;
use super::pci::*;
use super::{DevId, Kernel, MsiMessage};
use crate::kernel::ops::MsiType;

/// PCI MSI: the capability's one address and base data in config space.
pub struct PciMsi;

/// PCI MSI-X: the table in a BAR, one entry per vector.
pub struct PciMsix;

/// The command register's INTx disable, set while a PCI store is on.
fn intx_disable(k: &mut Kernel, dev: DevId, disabled: bool) {
    let cmd = k.config_read(dev, COMMAND, 2).unwrap_or(0);
    let cmd = if disabled {
        cmd | COMMAND_INTX_DISABLE
    } else {
        cmd & !COMMAND_INTX_DISABLE
    };
    k.config_write(dev, COMMAND, 2, cmd);
}

impl MsiStore for PciMsi {
    fn name(&self) -> &'static str {
        "pci msi"
    }

    fn vec_count(&self, k: &mut Kernel, dev: DevId) -> Option<u32> {
        let cap = k.msi_cap(dev, MsiType::Msi)?;
        let ctrl = k.config_read(dev, cap + MSI_FLAGS, 2)?;
        Some(1 << ((ctrl >> 1) & 7))
    }

    fn write(&self, k: &mut Kernel, dev: DevId, index: u32, msg: MsiMessage) -> bool {
        let Some(cap) = k.msi_cap(dev, MsiType::Msi).filter(|_| index == 0) else {
            return false;
        };
        let ctrl = k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
        let ext = msg.data > 0xffff;
        let ctrl = if ext {
            ctrl | MSI_FLAGS_EXT_DATA
        } else {
            ctrl & !MSI_FLAGS_EXT_DATA
        };
        let is64 = ctrl & MSI_FLAGS_64BIT != 0;
        let data_reg = cap + if is64 { 12 } else { 8 };
        k.config_write(dev, cap + MSI_ADDRESS_LO, 4, msg.address as u32)
            && (!is64
                || k.config_write(dev, cap + MSI_ADDRESS_LO + 4, 4, (msg.address >> 32) as u32))
            && k.config_write(dev, cap + MSI_FLAGS, 2, ctrl)
            && k.config_write(dev, data_reg, if ext { 4 } else { 2 }, msg.data)
    }

    fn read(&self, k: &mut Kernel, dev: DevId, n: u32) -> Vec<MsiMessage> {
        let Some(cap) = k.msi_cap(dev, MsiType::Msi) else {
            return Vec::new();
        };
        let ctrl = k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
        let is64 = ctrl & MSI_FLAGS_64BIT != 0;
        let lo = k.config_read(dev, cap + MSI_ADDRESS_LO, 4).unwrap_or(0) as u64;
        let hi = if is64 {
            k.config_read(dev, cap + MSI_ADDRESS_LO + 4, 4).unwrap_or(0) as u64
        } else {
            0
        };
        let data_reg = cap + if is64 { 12 } else { 8 };
        let size = if ctrl & MSI_FLAGS_EXT_DATA != 0 { 4 } else { 2 };
        let data = k.config_read(dev, data_reg, size).unwrap_or(0);
        (0..n)
            .map(|i| MsiMessage {
                address: hi << 32 | lo,
                data: data | i,
            })
            .collect()
    }

    fn mask(&self, k: &mut Kernel, dev: DevId, index: u32, masked: bool) {
        let Some(cap) = k.msi_cap(dev, MsiType::Msi) else {
            return;
        };
        let ctrl = k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
        if ctrl & MSI_FLAGS_MASKBIT == 0 {
            return; // no per-vector masking
        }
        let reg = cap
            + if ctrl & MSI_FLAGS_64BIT != 0 {
                0x10
            } else {
                0x0c
            };
        let bits = k.config_read(dev, reg, 4).unwrap_or(0);
        let bits = if masked {
            bits | 1 << index
        } else {
            bits & !(1 << index)
        };
        k.config_write(dev, reg, 4, bits);
    }

    fn enable(&self, k: &mut Kernel, dev: DevId, nvec: u32) {
        if let Some(cap) = k.msi_cap(dev, MsiType::Msi) {
            let c = k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
            let mme = nvec.next_power_of_two().trailing_zeros();
            let c = (c & !MSI_FLAGS_QSIZE) | mme << 4 | MSI_FLAGS_ENABLE;
            k.config_write(dev, cap + MSI_FLAGS, 2, c);
        }
        intx_disable(k, dev, true);
    }

    fn disable(&self, k: &mut Kernel, dev: DevId) {
        if let Some(cap) = k.msi_cap(dev, MsiType::Msi) {
            let c = k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0);
            k.config_write(dev, cap + MSI_FLAGS, 2, c & !MSI_FLAGS_ENABLE);
        }
        intx_disable(k, dev, false);
    }
}

impl MsiStore for PciMsix {
    fn name(&self) -> &'static str {
        "pci msix"
    }

    fn vec_count(&self, k: &mut Kernel, dev: DevId) -> Option<u32> {
        let cap = k.msi_cap(dev, MsiType::Msix)?;
        let ctrl = k.config_read(dev, cap + MSIX_FLAGS, 2)?;
        Some((ctrl & MSIX_FLAGS_QSIZE) + 1)
    }

    fn write(&self, k: &mut Kernel, dev: DevId, index: u32, msg: MsiMessage) -> bool {
        let Some(table) = k.msix_table_address(dev) else {
            return false;
        };
        let e = table + MSIX_ENTRY_SIZE * index as u64;
        k.port.mmio_write(e, 4, msg.address & 0xffff_ffff)
            && k.port.mmio_write(e + 4, 4, msg.address >> 32)
            && k.port.mmio_write(e + 8, 4, msg.data as u64)
            && k.port.mmio_write(e + MSIX_ENTRY_VECTOR_CTRL, 4, 0)
    }

    fn read(&self, k: &mut Kernel, dev: DevId, n: u32) -> Vec<MsiMessage> {
        let Some(table) = k.msix_table_address(dev) else {
            return Vec::new();
        };
        (0..n as u64)
            .map(|i| {
                // The address in one 8-byte load (the table allows it), then data.
                let e = table + MSIX_ENTRY_SIZE * i;
                let address = k.port.mmio_read(e, 8).unwrap_or(u64::MAX);
                let data = k.port.mmio_read(e + 8, 4).unwrap_or(u32::MAX as u64);
                MsiMessage {
                    address,
                    data: data as u32,
                }
            })
            .collect()
    }

    fn mask(&self, k: &mut Kernel, dev: DevId, index: u32, masked: bool) {
        if let Some(t) = k.msix_table_address(dev) {
            let e = t + MSIX_ENTRY_SIZE * index as u64 + MSIX_ENTRY_VECTOR_CTRL;
            k.port.mmio_write(e, 4, masked as u64);
        }
    }

    fn enable(&self, k: &mut Kernel, dev: DevId, _nvec: u32) {
        if let Some(cap) = k.msi_cap(dev, MsiType::Msix) {
            let c = k.config_read(dev, cap + MSIX_FLAGS, 2).unwrap_or(0);
            let c = (c | MSIX_FLAGS_ENABLE) & !MSIX_FLAGS_MASKALL;
            k.config_write(dev, cap + MSIX_FLAGS, 2, c);
        }
        intx_disable(k, dev, true);
    }

    fn disable(&self, k: &mut Kernel, dev: DevId) {
        if let Some(cap) = k.msi_cap(dev, MsiType::Msix) {
            let c = k.config_read(dev, cap + MSIX_FLAGS, 2).unwrap_or(0);
            k.config_write(dev, cap + MSIX_FLAGS, 2, c & !MSIX_FLAGS_ENABLE);
        }
        intx_disable(k, dev, false);
    }
}
