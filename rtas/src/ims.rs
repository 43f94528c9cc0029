//! IMS (interrupt message store): a PCI function's own store of message slots in its
//! device memory (a BAR), not in config space, usable only once the guest and the
//! hypervisor have agreed on the new interrupt scheme (see [`crate::hcall`]).
//!
//! The binding, on a PCI function's node: `pseries-sim,ims-store = <BAR offset slots>`:
//! the memory BAR (0..5) holding the store, the byte offset of its first slot (a multiple
//! of 16) and the slot count (1..2048). Each slot is laid out as
//! [`crate::msgdev::Slots`]: address low, high, data, control (bit 0 masks).

use crate::msgdev::Slots;

pub use papr_abi::ims::*;

/// A function's IMS store as the machine has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImsStore {
    /// Where it is.
    pub place: ImsPlace,
    /// Its slots.
    pub slots: Slots,
    /// Sources the hypervisor handed out for it, in slot order.
    pub handed: Vec<u32>,
}

impl ImsStore {
    /// A store out of reset.
    pub fn new(place: ImsPlace) -> ImsStore {
        ImsStore {
            place,
            slots: Slots::new(place.slots),
            handed: Vec::new(),
        }
    }

    /// The byte offset in the store of an access at BAR `bar`, `offset`, if it is in it.
    pub fn decodes(&self, bar: u8, offset: u32) -> Option<u64> {
        let off = (offset as u64).checked_sub(self.place.offset as u64)?;
        (bar == self.place.bar && off < self.place.bytes()).then_some(off)
    }
}
