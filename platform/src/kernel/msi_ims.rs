//! IMS slots as the fourth [`MsiStore`]: a PCI function's message store in its own
//! memory, found from its node (`pseries-sim,ims-store`, see [`papr_abi::ims`]) and the
//! BAR's address in config space, each slot written, masked and flushed as a non-PCI
//! device's slot is.

use super::msi_device::{slot_mask, slot_read, slot_write};
use super::msi_store::MsiStore;
use super::{DevId, Kernel, MsiMessage};
use papr_abi::ims::ImsPlace;
use papr_abi::msgdev::SLOT_SIZE;

/// A PCI function's IMS slots.
pub struct ImsSlots;

impl Kernel {
    /// Where a function's IMS store is, as its node says (None: it has none or the
    /// property is malformed).
    pub fn ims_place(&self, dev: DevId) -> Option<ImsPlace> {
        ImsPlace::from_node(&self.tree.at(self.devices[dev].node))
            .ok()
            .flatten()
    }

    /// The CPU address of a function's IMS slot `index`: the BAR's bus address from
    /// config space, through the PHB's windows.
    fn ims_slot_address(&mut self, dev: DevId, index: u32) -> Option<u64> {
        let p = self.ims_place(dev).filter(|p| index < p.slots)?;
        let bar = self.bar_address(dev, p.bar as u32).filter(|&a| a != 0)?;
        self.bus_to_cpu(dev, bar + p.offset as u64 + SLOT_SIZE * index as u64)
    }
}

impl MsiStore for ImsSlots {
    fn name(&self) -> &'static str {
        "ims slots"
    }

    fn vec_count(&self, k: &mut Kernel, dev: DevId) -> Option<u32> {
        k.ims_place(dev).map(|p| p.slots)
    }

    fn write(&self, k: &mut Kernel, dev: DevId, index: u32, msg: MsiMessage) -> bool {
        k.ims_slot_address(dev, index)
            .is_some_and(|s| slot_write(k, s, msg))
    }

    fn read(&self, k: &mut Kernel, dev: DevId, n: u32) -> Vec<MsiMessage> {
        (0..n)
            .filter_map(|i| k.ims_slot_address(dev, i).map(|s| slot_read(k, s)))
            .collect()
    }

    fn mask(&self, k: &mut Kernel, dev: DevId, index: u32, masked: bool) {
        if let Some(s) = k.ims_slot_address(dev, index) {
            slot_mask(k, s, masked);
        }
    }

    fn enable(&self, _k: &mut Kernel, _dev: DevId, _nvec: u32) {}

    fn disable(&self, k: &mut Kernel, dev: DevId) {
        let n = k.ims_place(dev).map_or(0, |p| p.slots);
        for i in 0..n {
            self.mask(k, dev, i, true);
        }
    }
}
