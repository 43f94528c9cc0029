//! IMS (interrupt message store): a PCI function's own store of message slots in its
//! device memory (a BAR), not in config space, usable only once the guest and the
//! hypervisor have agreed on the new interrupt scheme (see [`crate::hcall`]).
//!
//! The binding, on a PCI function's node: `pseries-sim,ims-store = <BAR offset slots>`:
//! the memory BAR (0..5) holding the store, the byte offset of its first slot (a multiple
//! of 16) and the slot count (1..2048). Each slot is laid out as
//! [`crate::msgdev::Slots`]: address low, high, data, control (bit 0 masks).

use crate::msgdev::{Slots, SLOT_SIZE};
use of_tree::NodeRef;

/// The property describing a function's IMS store.
pub const PROP_IMS_STORE: &str = "pseries-sim,ims-store";
/// Most slots a store may have.
pub const MAX_IMS_SLOTS: u32 = 2048;

/// Where a function's store is, as its node gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImsPlace {
    /// The BAR holding it.
    pub bar: u8,
    /// Byte offset of the first slot in the BAR.
    pub offset: u32,
    /// Slots.
    pub slots: u32,
}

impl ImsPlace {
    /// The store a node describes (None: it has none), or what is wrong with the property.
    pub fn from_node(node: &NodeRef<'_>) -> Result<Option<ImsPlace>, String> {
        let Ok(cells) = node.cells(PROP_IMS_STORE) else {
            let path = node.path();
            return Err(format!("{path}: '{PROP_IMS_STORE}' is not a list of cells"));
        };
        match cells.as_deref() {
            None => Ok(None),
            Some(&[bar, offset, slots])
                if bar < 6
                    && (offset as u64).is_multiple_of(SLOT_SIZE)
                    && (1..=MAX_IMS_SLOTS).contains(&slots) =>
            {
                Ok(Some(ImsPlace {
                    bar: bar as u8,
                    offset,
                    slots,
                }))
            }
            Some(_) => Err(format!(
                "{}: '{PROP_IMS_STORE}' must be <BAR offset slots>: BAR 0..5, offset a multiple of {SLOT_SIZE}, 1 to {MAX_IMS_SLOTS} slots",
                node.path()
            )),
        }
    }

    /// Bytes the store spans.
    pub fn bytes(&self) -> u64 {
        self.slots as u64 * SLOT_SIZE
    }
}

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
