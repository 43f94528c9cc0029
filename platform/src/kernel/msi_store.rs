//! The one interface every kind of message goes through (Linux's per-device MSI domain
//! with its `msi_chip`-like operations): where a device stores its messages and how the
//! OS writes, reads back, masks, turns on and off that store. One implementation per
//! kind of store (PCI MSI, PCI MSI-X, a non-PCI device's slots, a PCI function's IMS
//! slots: `msi_stores` lists them); the kernel's MSI layer and every backend reach the
//! device through `msi_stores::store_for` alone.
//!
//! The *parent* of the domain, where messages go, is the machine description: its
//! `msi_check_device` and `setup_msi_irqs` allocate the sources and compose each message
//! (the firmware composes and writes them on pseries with `ibm,change-msi`; the bitmap,
//! MPIC and Axon descriptions compose them and write them through the store), and its
//! `teardown_msi_irqs` frees them.

use super::{DevId, Kernel, MsiMessage};

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
