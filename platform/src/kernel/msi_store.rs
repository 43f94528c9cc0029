//! The one interface every kind of message goes through (Linux's per-device MSI domain
//! with its `msi_chip`-like operations): where a device stores its messages and how the
//! OS writes, reads back, masks, turns on and off that store. One implementation per
//! kind of store ([`STORES`]: PCI MSI, PCI MSI-X, a non-PCI device's slots, a PCI
//! function's IMS slots); the
//! kernel's MSI layer and every backend reach the device through [`store_for`] alone.
//!
//! The *parent* of the domain, where messages go, is the machine description: its
//! `msi_check_device` and `setup_msi_irqs` allocate the sources and compose each message
//! (the firmware composes and writes them on pseries with `ibm,change-msi`; the bitmap,
//! MPIC and Axon descriptions compose them and write them through the store), and its
//! `teardown_msi_irqs` frees them.

use super::{DevId, Kernel, MsiMessage};
use crate::kernel::ops::MsiType;

/// Where a device keeps its messages of one kind, and the operations on them.
pub trait MsiStore: Sync {
    /// What the store is, for messages and tests.
    fn name(&self) -> &'static str;
    /// How many vectors the device's store offers (None: the device has no such store).
    fn vec_count(&self, k: &mut Kernel, dev: DevId) -> Option<u32>;
    /// Writes `msg` as vector `index`'s message (left unmasked). False where the device
    /// takes none.
    fn write(&self, k: &mut Kernel, dev: DevId, index: u32, msg: MsiMessage) -> bool;
    /// Reads back the device's first `n` messages as it holds them.
    fn read(&self, k: &mut Kernel, dev: DevId, n: u32) -> Vec<MsiMessage>;
    /// Masks or unmasks vector `index` in the device (a no-op where it cannot mask).
    fn mask(&self, k: &mut Kernel, dev: DevId, index: u32, masked: bool);
    /// Turns the store on for `nvec` vectors after setup.
    fn enable(&self, k: &mut Kernel, dev: DevId, nvec: u32);
    /// Turns the store off at the release.
    fn disable(&self, k: &mut Kernel, dev: DevId);
}

/// Every implementation of [`MsiStore`], one per kind.
pub static STORES: &[&dyn MsiStore] = &[
    &super::msi_pci::PciMsi,
    &super::msi_pci::PciMsix,
    &super::msi_device::DeviceMsi,
    &super::msi_ims::ImsSlots,
];

/// The store a request of a kind uses: a non-PCI device's slots whatever the kind, else
/// the PCI capability of the kind.
pub fn store_for(msi_device: bool, kind: MsiType) -> &'static dyn MsiStore {
    match (msi_device, kind) {
        (true, _) => &super::msi_device::DeviceMsi,
        (false, MsiType::Msi) => &super::msi_pci::PciMsi,
        (false, MsiType::Msix) => &super::msi_pci::PciMsix,
        (false, MsiType::Ims) => &super::msi_ims::ImsSlots,
    }
}

impl Kernel {
    /// The store of a device's messages of a kind.
    pub fn msi_store(&self, dev: DevId, kind: MsiType) -> &'static dyn MsiStore {
        store_for(self.devices[dev].msi_device.is_some(), kind)
    }

    /// Writes `msg` as vector `index`'s message through the kind's store: an MSI-X entry
    /// (left unmasked), or for MSI the capability's one address and base data (`index`
    /// must be 0: the device adds the vector number to the data itself). False where
    /// the device takes none.
    pub fn write_msi_msg(
        &mut self,
        dev: DevId,
        kind: MsiType,
        index: u32,
        msg: MsiMessage,
    ) -> bool {
        self.msi_store(dev, kind).write(self, dev, index, msg)
    }

    /// Reads back a device's first `n` messages through the kind's store.
    pub fn read_messages(&mut self, dev: DevId, kind: MsiType, n: u32) -> Vec<MsiMessage> {
        self.msi_store(dev, kind).read(self, dev, n)
    }

    /// Vectors the device's store of a kind offers (MSI: multiple message capable;
    /// MSI-X: table size), as Linux's `pci_msi_vec_count` / `pci_msix_vec_count` read them.
    pub fn vec_count(&mut self, dev: DevId, kind: MsiType) -> Option<u32> {
        self.msi_store(dev, kind).vec_count(self, dev)
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
    /// `pci_msi_mask_irq`), through its kind's store. False when the source is no
    /// vector's.
    pub fn pci_msi_mask(&mut self, source: u32, masked: bool) -> bool {
        let Some((dev, kind, i)) = self.msi_vector(source) else {
            return false;
        };
        self.msi_store(dev, kind).mask(self, dev, i, masked);
        true
    }

    /// The generic code turns the store on (and for PCI, INTx off) after setup.
    pub(crate) fn enable_capability(&mut self, dev: DevId, kind: MsiType, nvec: u32) {
        self.msi_store(dev, kind).enable(self, dev, nvec);
    }

    /// The generic code turns the store off (and for PCI, INTx back on) at the release.
    pub(crate) fn disable_capability(&mut self, dev: DevId, kind: MsiType) {
        self.msi_store(dev, kind).disable(self, dev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_stores_and_every_request_finds_one() {
        assert_eq!(STORES.len(), 4);
        let mut names: Vec<_> = STORES.iter().map(|s| s.name()).collect();
        names.dedup();
        assert_eq!(names, ["pci msi", "pci msix", "device slots", "ims slots"]);
        assert_eq!(store_for(false, MsiType::Ims).name(), "ims slots");
        assert_eq!(store_for(false, MsiType::Msi).name(), "pci msi");
        assert_eq!(store_for(false, MsiType::Msix).name(), "pci msix");
        for kind in [MsiType::Msi, MsiType::Msix, MsiType::Ims] {
            assert_eq!(store_for(true, kind).name(), "device slots");
        }
    }
}
