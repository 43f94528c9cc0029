//! IMS (interrupt message store): the `pseries-sim,ims-store` binding on a PCI
//! function's node and where it places the store.

use crate::msgdev::SLOT_SIZE;
use of_tree::NodeRef;

/// The property describing a function's IMS store.
pub const PROP_IMS_STORE: &str = "pseries-sim,ims-store";
/// Most slots a store may have.
pub const MAX_IMS_SLOTS: u32 = 2048;

/// What is wrong with a node's [`PROP_IMS_STORE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImsPlaceError {
    /// The property does not read as cells.
    #[error("{path}: '{PROP_IMS_STORE}' is not a list of cells")]
    NotCells {
        /// Node path.
        path: String,
    },
    /// The cells are not a usable `<BAR offset slots>`.
    #[error("{path}: '{PROP_IMS_STORE}' must be <BAR offset slots>: BAR 0..5, offset a multiple of {SLOT_SIZE}, 1 to {MAX_IMS_SLOTS} slots")]
    Shape {
        /// Node path.
        path: String,
        /// The cells as given.
        cells: Vec<u32>,
    },
}

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
    pub fn from_node(node: &NodeRef<'_>) -> Result<Option<ImsPlace>, ImsPlaceError> {
        let Ok(cells) = node.cells(PROP_IMS_STORE) else {
            return Err(ImsPlaceError::NotCells { path: node.path() });
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
            Some(c) => Err(ImsPlaceError::Shape {
                path: node.path(),
                cells: c.to_vec(),
            }),
        }
    }

    /// Bytes the store spans.
    pub fn bytes(&self) -> u64 {
        self.slots as u64 * SLOT_SIZE
    }
}
