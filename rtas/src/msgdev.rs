//! Devices that are not PCI but send message-signalled interrupts (an HPET-like timer, a
//! consolidator that turns wired interrupts into messages), and the message slots they
//! keep their messages in.
//!
//! The binding (a node anywhere in the tree):
//! - [`PROP_MSI_VECTORS`] (`pseries-sim,msi-vectors`): how many vectors the device has;
//!   the property that makes a node such a device;
//! - `reg`: one entry, the CPU address of its message slots, [`SLOT_SIZE`] bytes each;
//! - `msi-parent`: the phandle of its MSI controller (as in Linux's bindings), a PHB
//!   node carrying `msi-controller`: its MSI window takes the messages and its sources
//!   serve them (handed out by the hypervisor on pseries, by the OS on bare metal).
//!
//! A slot is laid out as an MSI-X table entry, little-endian: address low (0), address
//! high (4), data (8), control (12, bit 0 masks the slot). A message signalled while its
//! slot is masked is held pending and goes out when the slot is unmasked.

use of_tree::Tree;

pub use papr_abi::msgdev::*;

/// One message slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Message address.
    pub address: u64,
    /// Message data.
    pub data: u32,
    /// Control word (bit 0: masked).
    pub control: u32,
    /// A message was signalled while masked.
    pub pending: bool,
}

impl Default for Slot {
    /// Out of reset a slot is masked and empty.
    fn default() -> Self {
        Slot {
            address: 0,
            data: 0,
            control: SLOT_MASKED,
            pending: false,
        }
    }
}

/// A device's message slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slots(pub Vec<Slot>);

impl Slots {
    /// `n` slots out of reset.
    pub fn new(n: u32) -> Slots {
        Slots(vec![Slot::default(); n as usize])
    }

    /// Bytes the slots span.
    pub fn bytes(&self) -> u64 {
        self.0.len() as u64 * SLOT_SIZE
    }

    /// A load of 4 bytes (or 8 at the address) at byte `offset`; None where no register is.
    pub fn read(&self, offset: u64, size: u32) -> Option<u64> {
        let s = self.0.get((offset / SLOT_SIZE) as usize)?;
        match (offset % SLOT_SIZE, size) {
            (0, 8) => Some(s.address),
            (0, 4) => Some(s.address & 0xffff_ffff),
            (4, 4) => Some(s.address >> 32),
            (8, 4) => Some(s.data as u64),
            (SLOT_CONTROL, 4) => Some(s.control as u64),
            _ => None,
        }
    }

    /// A store of 4 bytes (or 8 at the address). Returns whether it was taken and the
    /// slot whose pending message the store released (unmasked), if any.
    pub fn write(&mut self, offset: u64, size: u32, value: u64) -> (bool, Option<u32>) {
        let i = (offset / SLOT_SIZE) as usize;
        let Some(s) = self.0.get_mut(i) else {
            return (false, None);
        };
        match (offset % SLOT_SIZE, size) {
            (0, 8) => s.address = value,
            (0, 4) => s.address = (s.address & !0xffff_ffff) | (value & 0xffff_ffff),
            (4, 4) => s.address = (s.address & 0xffff_ffff) | (value & 0xffff_ffff) << 32,
            (8, 4) => s.data = value as u32,
            (SLOT_CONTROL, 4) => {
                s.control = value as u32;
                if s.control & SLOT_MASKED == 0 && s.pending {
                    s.pending = false;
                    return (true, Some(i as u32));
                }
            }
            _ => return (false, None),
        }
        (true, None)
    }

    /// Slot `i` signals: its message, or None when masked (then held pending) or absent.
    pub fn signal(&mut self, i: u32) -> Option<(u64, u32)> {
        let s = self.0.get_mut(i as usize)?;
        if s.control & SLOT_MASKED != 0 {
            s.pending = true;
            return None;
        }
        Some((s.address, s.data))
    }
}

/// A non-PCI MSI device as the machine has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgDevice {
    /// Node path.
    pub path: String,
    /// CPU address of its first slot.
    pub base: u64,
    /// Its slots.
    pub slots: Slots,
    /// Index of the PHB its `msi-parent` names (None: missing or not a PHB).
    pub parent: Option<usize>,
    /// Sources the hypervisor handed out to it (pseries), in vector order.
    pub handed: Vec<u32>,
}

/// The machine's MSI devices: every well-formed device node, its parent the PHB whose
/// node its `msi-parent` names (None otherwise). Malformed nodes are left out (the OS
/// finds and reports them).
pub fn from_tree(tree: &Tree, phb_paths: &[&str]) -> Vec<MsgDevice> {
    msi_device_nodes(tree)
        .into_iter()
        .filter_map(|n| {
            let (vectors, base) = vectors_and_base(tree, n).ok()?;
            let parent = match parent_problem(tree, n) {
                Some(_) => None,
                None => {
                    let ph = tree.at(n).u32("msi-parent").ok().flatten()?;
                    let p = tree.path(tree.find_phandle(ph)?);
                    phb_paths.iter().position(|&q| q == p)
                }
            };
            Some(MsgDevice {
                path: tree.path(n),
                base,
                slots: Slots::new(vectors),
                parent,
                handed: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_registers_and_pending() {
        let mut s = Slots::new(2);
        assert_eq!(s.bytes(), 32);
        assert_eq!(s.read(SLOT_CONTROL, 4), Some(1), "masked out of reset");
        assert_eq!(s.write(16, 4, 0x1000_0000), (true, None));
        assert_eq!(s.write(20, 4, 0x400), (true, None));
        assert_eq!(s.write(24, 4, 0x1234), (true, None));
        assert_eq!(s.read(16, 8), Some(0x400_1000_0000));
        assert_eq!(s.signal(1), None, "masked: held");
        assert_eq!(s.write(16 + SLOT_CONTROL, 4, 0), (true, Some(1)));
        assert_eq!(s.signal(1), Some((0x400_1000_0000, 0x1234)));
        assert_eq!(s.write(32, 4, 0), (false, None), "past the last slot");
        assert_eq!(s.read(2, 4), None, "unaligned");
    }
}
