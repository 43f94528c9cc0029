//! An OpenPIC-style MPIC's register layout (U3/U4 machines: Maple, PowerMac G5), the
//! MSI targets the host bridges decode, and the simulator's binding on its node.

use of_tree::{NodeId, Tree};

/// Feature reporting register 0: `(last source) << 16 | (last cpu) << 8 | version`.
pub const GREG_FEATURE_0: u64 = 0x1000;
/// Mask of the last-source field of [`GREG_FEATURE_0`].
pub const FEATURE_LAST_SRC_MASK: u32 = 0x07ff_0000;
/// Shift of the last-source field.
pub const FEATURE_LAST_SRC_SHIFT: u32 = 16;
/// Source registers begin here; source n's at `IRQ_BASE + n * IRQ_STRIDE`.
pub const IRQ_BASE: u64 = 0x1_0000;
/// Bytes between two sources' registers.
pub const IRQ_STRIDE: u64 = 0x20;
/// Offset of the vector/priority register within a source's registers.
pub const IRQ_VECTOR_PRI: u64 = 0x0;
/// Offset of the destination register (a CPU bit mask).
pub const IRQ_DESTINATION: u64 = 0x10;
/// VECPRI: the source is masked.
pub const VECPRI_MASK: u32 = 0x8000_0000;
/// VECPRI: the source is in service or pending (read only).
pub const VECPRI_ACTIVITY: u32 = 0x4000_0000;
/// VECPRI: priority field.
pub const VECPRI_PRIORITY_MASK: u32 = 0x000f_0000;
/// VECPRI: priority shift.
pub const VECPRI_PRIORITY_SHIFT: u32 = 16;
/// VECPRI: level sensed (else edge).
pub const VECPRI_SENSE_LEVEL: u32 = 0x0040_0000;
/// Where, in the MPIC's register block, U4 PCIe bridges send MSIs (a simulator choice:
/// the tree publishes it as the bridge's `msi-address-64`).
pub const U4_MSI_OFFSET: u64 = 0x3_0000;
/// HyperTransport's fixed MSI address (`HT_MSI_FIXED_ADDR`), decoded by the U3 bridge.
pub const HT_MSI_FIXED_ADDR: u64 = 0xfee0_0000;
/// Bytes of the register block.
pub const REGISTER_BLOCK: u64 = 0x4_0000;
/// Most sources an MPIC has (an 11-bit field).
pub const MAX_SOURCES: u32 = 2048;
/// The simulator's binding on the MPIC node: how many sources it has (a real OS reads
/// [`GREG_FEATURE_0`]).
pub const PROP_SOURCES: &str = "pseries-sim,mpic-sources";

/// Whether a node is an MPIC, as Linux's Maple code looks for it.
pub fn is_mpic(tree: &Tree, n: NodeId) -> bool {
    let at = tree.at(n);
    let ty = at.string("device_type").ok().flatten();
    let compat_openpic = at
        .strings("compatible")
        .ok()
        .flatten()
        .is_some_and(|v| v.contains(&"open-pic"));
    ty == Some("open-pic") || (ty == Some("interrupt-controller") && compat_openpic)
}
