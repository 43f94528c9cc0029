//! Non-PCI MSI devices (an HPET-like timer, a consolidator of wired interrupts): found
//! in the tree by their vector count (the binding is in [`papr_abi::msgdev`]), bound to their
//! MSI controller through `msi-parent`, and their message slots as the third
//! [`MsiStore`]: address and data written slot by slot, each slot masked in its control
//! word, every write flushed by a read.

use super::msi_store::MsiStore;
use super::{DevId, Device, Kernel, MsiDeviceInfo, MsiMessage};
use papr_abi::msgdev::{self, SLOT_CONTROL, SLOT_MASKED, SLOT_SIZE};
use papr_abi::pci::PciAddr;

/// The message slots of a non-PCI device.
pub struct DeviceMsi;

impl Kernel {
    /// Finds every non-PCI MSI device of the tree (after the PCI scan, so PCI device
    /// numbers stay as they were): a malformed node is reported and skipped; a device
    /// whose `msi-parent` is missing or names no PHB's MSI controller is kept, its
    /// requests refused with that reason.
    pub(super) fn msi_device_scan(&mut self) {
        for node in msgdev::msi_device_nodes(&self.tree) {
            let path = self.tree.path(node);
            let (vectors, base) = match msgdev::vectors_and_base(&self.tree, node) {
                Ok(v) => v,
                Err(why) => {
                    self.msg(format!("{why}: skipped"));
                    continue;
                }
            };
            let mut problem = msgdev::parent_problem(&self.tree, node);
            let parent = self
                .tree
                .at(node)
                .u32("msi-parent")
                .ok()
                .flatten()
                .and_then(|ph| self.tree.find_phandle(ph));
            let phb = parent.and_then(|p| self.phbs.iter().position(|b| b.node == p));
            if problem.is_none() && phb.is_none() {
                let pp = parent.map(|p| self.tree.path(p)).unwrap_or_default();
                problem = Some(format!(
                    "{path}: 'msi-parent' names {pp}, an MSI controller that is no PHB of this machine"
                ));
            }
            match &problem {
                Some(why) => self.msg(format!("msi-device {why}")),
                None => {
                    let pp = self.tree.path(self.phbs[phb.unwrap_or(0)].node);
                    self.msg(format!(
                        "msi-device {path}: {vectors} vectors at {base:#x}, MSI controller {pp}"
                    ));
                }
            }
            let p = phb.unwrap_or(0);
            self.devices.push(Device {
                name: path.clone(),
                node,
                path,
                phb: p,
                buid: u64::MAX,
                addr: PciAddr {
                    bus: 0xff,
                    devfn: 0xff,
                },
                lsi: None,
                lsi_virq: None,
                lsi_requested: false,
                started: None,
                started_later: Vec::new(),
                msi: None,
                no_64bit_msi: false,
                removed: false,
                is_bridge: false,
                caps: Default::default(),
                eeh: None,
                msi_device: Some(MsiDeviceInfo {
                    base,
                    vectors,
                    parent_problem: problem,
                }),
            });
        }
    }

    /// Whether a device is a non-PCI MSI device.
    pub fn is_msi_device(&self, dev: DevId) -> bool {
        self.devices[dev].msi_device.is_some()
    }

    /// The CPU address of a non-PCI device's slot `index`.
    fn slot_address(&self, dev: DevId, index: u32) -> Option<u64> {
        let d = self.devices[dev].msi_device.as_ref()?;
        (index < d.vectors).then(|| d.base + SLOT_SIZE * index as u64)
    }
}

impl MsiStore for DeviceMsi {
    fn name(&self) -> &'static str {
        "device slots"
    }

    fn vec_count(&self, k: &mut Kernel, dev: DevId) -> Option<u32> {
        k.devices[dev].msi_device.as_ref().map(|d| d.vectors)
    }

    fn write(&self, k: &mut Kernel, dev: DevId, index: u32, msg: MsiMessage) -> bool {
        k.slot_address(dev, index)
            .is_some_and(|s| slot_write(k, s, msg))
    }

    fn read(&self, k: &mut Kernel, dev: DevId, n: u32) -> Vec<MsiMessage> {
        (0..n)
            .filter_map(|i| k.slot_address(dev, i).map(|s| slot_read(k, s)))
            .collect()
    }

    fn mask(&self, k: &mut Kernel, dev: DevId, index: u32, masked: bool) {
        if let Some(s) = k.slot_address(dev, index) {
            slot_mask(k, s, masked);
        }
    }

    fn enable(&self, _k: &mut Kernel, _dev: DevId, _nvec: u32) {}

    fn disable(&self, k: &mut Kernel, dev: DevId) {
        let n = k.devices[dev].msi_device.as_ref().map_or(0, |d| d.vectors);
        for i in 0..n {
            self.mask(k, dev, i, true);
        }
    }
}

/// Writes a message into the slot at CPU address `s` and unmasks it; a read flushes the
/// posted writes before the slot is used.
pub(super) fn slot_write(k: &mut Kernel, s: u64, msg: MsiMessage) -> bool {
    let ok = k.port.mmio_write(s, 4, msg.address & 0xffff_ffff)
        && k.port.mmio_write(s + 4, 4, msg.address >> 32)
        && k.port.mmio_write(s + 8, 4, msg.data as u64)
        && k.port.mmio_write(s + SLOT_CONTROL, 4, 0);
    ok && k.port.mmio_read(s + SLOT_CONTROL, 4).is_some()
}

/// The message in the slot at `s`.
pub(super) fn slot_read(k: &mut Kernel, s: u64) -> MsiMessage {
    let address = k.port.mmio_read(s, 8).unwrap_or(u64::MAX);
    let data = k.port.mmio_read(s + 8, 4).unwrap_or(u32::MAX as u64);
    MsiMessage {
        address,
        data: data as u32,
    }
}

/// Masks or unmasks the slot at `s` in its control word, the write flushed by a read.
pub(super) fn slot_mask(k: &mut Kernel, s: u64, masked: bool) {
    let c = if masked { SLOT_MASKED } else { 0 };
    k.port.mmio_write(s + SLOT_CONTROL, 4, c as u64);
    k.port.mmio_read(s + SLOT_CONTROL, 4);
}
