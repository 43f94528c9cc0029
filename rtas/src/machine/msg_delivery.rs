//! Delivery from non-PCI MSI devices (see [`crate::msgdev`]): their slots in MMIO, a
//! signalled vector's message to its parent PHB's MSI window, routed only when it names
//! a source the device was given.

use super::base::Machine;
use super::types::{Signal, MSI_WINDOW};

impl Machine {
    /// The MSI device whose slots an address falls in, and the byte offset there.
    pub(crate) fn msg_device_at(&self, addr: u64) -> Option<(usize, u64)> {
        self.msg_devices.iter().enumerate().find_map(|(i, d)| {
            let off = addr.checked_sub(d.base)?;
            (off < d.slots.bytes()).then_some((i, off))
        })
    }

    /// The MSI device at a node path.
    pub fn msg_device(&self, path: &str) -> Option<usize> {
        self.msg_devices.iter().position(|d| d.path == path)
    }

    /// Device `d` signals vector `i`: its slot's message goes out, unless the slot is
    /// masked (then it is held pending and sent at the unmask).
    pub fn signal_msg_device(&mut self, d: usize, i: u32) -> Signal {
        let Some(dev) = self.msg_devices.get_mut(d) else {
            return Signal::Dropped;
        };
        if i as usize >= dev.slots.0.len() {
            self.drops.disabled += 1;
            return Signal::Dropped;
        }
        match dev.slots.signal(i) {
            None => Signal::PendingInDevice,
            Some((addr, data)) => self.deliver_msg(d, addr, data),
        }
    }

    /// A message from device `d` reaches its parent's MSI window: routed when its data
    /// names a source the device holds (handed out by the hypervisor, or on bare metal
    /// in its parent PHB's MSI range); otherwise dropped and counted.
    pub fn deliver_msg(&mut self, d: usize, addr: u64, data: u32) -> Signal {
        let Some(dev) = self.msg_devices.get(d) else {
            return Signal::Dropped;
        };
        let Some(phb) = dev.parent else {
            self.drops.bad_address += 1;
            return Signal::Dropped;
        };
        if addr != MSI_WINDOW {
            self.drops.bad_address += 1;
            log::debug!(
                "{}: message to {addr:#x} is outside the MSI window: dropped",
                dev.path
            );
            return Signal::Dropped;
        }
        let owned = match self.bare_msi_range(phb) {
            Some((first, count)) => data >= first && data - first < count,
            None => dev.handed.contains(&data),
        };
        let path = dev.path.clone();
        if !owned || !self.trigger_source(data) {
            self.drops.not_owner += 1;
            log::debug!("{path}: message data {data:#x} names no source handed to it: dropped");
            return Signal::Dropped;
        }
        Signal::Delivered { source: data }
    }
}
