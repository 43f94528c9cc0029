//! `gen --ims SLOTS`: every PCI function of a generated tree gets an IMS store of SLOTS
//! slots (binding in [`rtas::ims`]): a memory BAR 2 of its own holding the slots from
//! offset 0, described by `pseries-sim,ims-store = <2 0 SLOTS>` (and the MSI-X table
//! kept in BAR 0 by `pseries-sim,msix-table = <0 0>`).

use crate::gen::cells;
use of_tree::Tree;
use rtas::ims::{MAX_IMS_SLOTS, PROP_IMS_STORE};
use rtas::msgdev::SLOT_SIZE;

/// The BAR `gen` puts the store in.
pub const IMS_BAR: u32 = 2;

/// Gives every function an IMS store of `slots` slots (1..2048).
pub fn add_ims(t: &mut Tree, slots: u32) -> Result<(), String> {
    if !(1..=MAX_IMS_SLOTS).contains(&slots) {
        return Err(format!("give 1 to {MAX_IMS_SLOTS} slots"));
    }
    let size = (slots as u64 * SLOT_SIZE).next_power_of_two().max(0x1000);
    let root = t.root();
    let phbs: Vec<_> = t
        .node(root)
        .children()
        .iter()
        .copied()
        .filter(|&c| t.at(c).string("device_type").ok().flatten() == Some("pci"))
        .collect();
    for phb in phbs {
        for f in rtas::machine::pci_functions_below(t, phb) {
            let Ok(Some(mut reg)) = t.at(f).cells("reg") else {
                continue;
            };
            let Some(&hi) = reg.first() else {
                continue;
            };
            // Bus and devfn of the config address; memory space, BAR 2's register.
            let bar = 0x0200_0000 | (hi & 0x00ff_ff00) | (0x10 + 4 * IMS_BAR);
            reg.extend([bar, 0, 0, (size >> 32) as u32, size as u32]);
            t.set_prop(f, "reg", cells(&reg));
            t.set_prop(f, PROP_IMS_STORE, cells(&[IMS_BAR, 0, slots]));
            if t.node(f).prop("ibm,req#msi-x").is_some() {
                // The MSI-X table stays in BAR 0, clear of the store.
                t.set_prop(f, "pseries-sim,msix-table", cells(&[0, 0]));
            }
        }
    }
    Ok(())
}
