//! Non-PCI MSI devices: the binding's property names and the layout of their message
//! slots (as an MSI-X table entry, little-endian: address low, high, data, control).

use of_tree::{NodeId, Tree};

/// The vector-count property that marks a non-PCI MSI device.
pub const PROP_MSI_VECTORS: &str = "pseries-sim,msi-vectors";
/// The property an MSI controller's node carries (Linux's binding).
pub const PROP_MSI_CONTROLLER: &str = "msi-controller";
/// Bytes per message slot.
pub const SLOT_SIZE: u64 = 16;
/// Offset of the control word in a slot.
pub const SLOT_CONTROL: u64 = 12;
/// The control word's mask bit.
pub const SLOT_MASKED: u32 = 1;
/// Most vectors a device may declare.
pub const MAX_VECTORS: u32 = 2048;

/// Why a node is not a usable MSI device (the OS reports these, naming the node).
pub fn parent_problem(tree: &Tree, node: NodeId) -> Option<String> {
    let at = tree.at(node);
    let path = at.path();
    let Ok(Some(ph)) = at.u32("msi-parent") else {
        return Some(format!(
            "{path}: no 'msi-parent' (the phandle of its MSI controller)"
        ));
    };
    let Some(p) = tree.find_phandle(ph) else {
        return Some(format!("{path}: 'msi-parent' <{ph:#x}> names no node"));
    };
    if tree.node(p).prop(PROP_MSI_CONTROLLER).is_none() {
        let pp = tree.path(p);
        return Some(format!(
            "{path}: 'msi-parent' names {pp}, which is not an MSI controller (no '{PROP_MSI_CONTROLLER}')"
        ));
    }
    None
}

/// Every node carrying [`PROP_MSI_VECTORS`], in tree order.
pub fn msi_device_nodes(tree: &Tree) -> Vec<NodeId> {
    tree.with_prop(PROP_MSI_VECTORS).collect()
}

/// What is wrong with a non-PCI MSI device's vector count or slots.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsiDeviceError {
    /// The vector count is missing, not one cell, or out of range.
    #[error("{path}: '{PROP_MSI_VECTORS}' must be one cell from 1 to {MAX_VECTORS}")]
    Vectors {
        /// Node path.
        path: String,
    },
    /// The node has no `reg`.
    #[error("{path}: no 'reg' (where its message slots are)")]
    NoReg {
        /// Node path.
        path: String,
    },
    /// The first `reg` entry cannot hold the slots.
    #[error("{path}: 'reg' is {size:#x} bytes, too small for {vectors} slots of {SLOT_SIZE}")]
    RegTooSmall {
        /// Node path.
        path: String,
        /// Size of the first `reg` entry.
        size: u128,
        /// Vectors the node declares.
        vectors: u32,
    },
}

/// Vector count and slot address of a device node, or what is wrong with them.
pub fn vectors_and_base(tree: &Tree, node: NodeId) -> Result<(u32, u64), MsiDeviceError> {
    let at = tree.at(node);
    let path = at.path();
    let n = match at.u32(PROP_MSI_VECTORS) {
        Ok(Some(n)) if (1..=MAX_VECTORS).contains(&n) => n,
        _ => return Err(MsiDeviceError::Vectors { path }),
    };
    let reg = at.reg().ok().flatten().unwrap_or_default();
    let Some(r) = reg.first() else {
        return Err(MsiDeviceError::NoReg { path });
    };
    if r.size < (n as u64 * SLOT_SIZE) as u128 {
        return Err(MsiDeviceError::RegTooSmall {
            path,
            size: r.size,
            vectors: n,
        });
    }
    Ok((n, r.address_u64()))
}
