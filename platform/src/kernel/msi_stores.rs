//! The stores every kind of message goes through, listed, and the kernel's use of them:
//! the store a request of a kind takes, its messages written, read back, masked, turned
//! on and off.

use super::msi_store::MsiStore;
use super::{DevId, Kernel, MsiMessage};
use crate::kernel::ops::MsiType;

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
