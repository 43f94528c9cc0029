//! What a description that leaves a hook empty gets: the interrupt controller and the
//! PHBs found in the tree the way generic OF code finds them. The generic (bare-metal)
//! description uses these too.

use super::of;
use super::{Controller, ControllerKind, Kernel, MsiRange, PhbInfo};
use crate::error::Error;
use crate::msi_bitmap::MsiBitmap;
use of_tree::NodeId;
use std::collections::BTreeSet;

/// The largest MSI range the OS keeps a bitmap for.
const MAX_MSI_RANGE: u32 = 1 << 24;

/// A property of two cells as one 64-bit number.
fn u64_cells(k: &Kernel, n: NodeId, name: &str) -> Option<u64> {
    match k.tree.at(n).cells(name).ok().flatten()?.as_slice() {
        [hi, lo] => Some((*hi as u64) << 32 | *lo as u64),
        _ => None,
    }
}

/// The first node marked `interrupt-controller`.
pub fn init_irq(k: &mut Kernel) -> Result<(), Error> {
    let found = k.tree.with_prop("interrupt-controller").next();
    if let Some(n) = found {
        let path = k.tree.path(n);
        k.msg(format!("interrupt controller {path}"));
        let registers = u64_cells(k, n, papr_abi::props::PROP_ICS_REGISTERS);
        k.intc = Some(Controller {
            path,
            kind: ControllerKind::Other,
            registers,
        });
    } else {
        k.msg("no interrupt controller in the tree".into());
    }
    Ok(())
}

/// Every PHB node under the root: BUID from `reg`, the domain as Linux numbers it, and
/// on bare metal the MSI range (`ibm,opal-msi-ranges`) the OS will allocate from.
pub fn discover_phbs(k: &mut Kernel) -> Result<(), Error> {
    let mut used = BTreeSet::new();
    for node in of::phb_nodes(&k.tree) {
        let path = k.tree.path(node);
        let buid = match of::phb_buid(&k.tree, node) {
            Ok(b) => b,
            Err(why) => {
                k.msg(format!("PCI host bridge {path} skipped: {why}"));
                continue;
            }
        };
        let domain = of::phb_domain(&k.tree, node, &mut used);
        let ranges = k
            .tree
            .at(node)
            .cells(papr_abi::props::PROP_MSI_RANGES)
            .ok()
            .flatten();
        let msi = match (
            ranges.as_deref(),
            u64_cells(k, node, papr_abi::props::PROP_MSI_ADDRESS),
        ) {
            (Some([first, count]), Some(address))
                if first.checked_add(*count).is_some() && *count <= MAX_MSI_RANGE =>
            {
                Some(MsiRange {
                    address,
                    bitmap: MsiBitmap::new(*first, *count),
                })
            }
            (Some([first, count]), Some(_)) => {
                k.msg(format!(
                    "{path}: MSI range {first:#x} + {count:#x} ignored: past 2^32 or larger than {MAX_MSI_RANGE:#x}"
                ));
                None
            }
            _ => None,
        };
        let windows = super::pci::mem_windows(&k.tree, node);
        k.phbs.push(PhbInfo {
            domain,
            buid,
            node,
            msi,
            windows,
            no_msi_domain: false,
        });
        k.msg(format!(
            "PCI host bridge {path}, domain {domain:04x}, BUID {buid:#x}"
        ));
    }
    Ok(())
}
