//! The device tree the firmware hands an OS: the machine's tree as loaded, less the
//! PHBs of other partitions, plus what firmware publishes of bare-metal hardware
//! (each PHB's MSI range, the source controller's registers).

use crate::firmware::Firmware;
use crate::hardware::ICS_MMIO_BASE;
use crate::machine::MSI_WINDOW;
use of_tree::Tree;
use std::borrow::Cow;

/// A bare-metal PHB's MSI range: `<first-source count>` (PowerNV's binding).
pub const PROP_MSI_RANGES: &str = "ibm,opal-msi-ranges";
/// Where a bare-metal PHB's messages go: `<addr-hi addr-lo>` (a simulator binding).
pub const PROP_MSI_ADDRESS: &str = "pseries-sim,msi-address";
/// Where the bare-metal source controller's registers are: `<addr-hi addr-lo>`, on the
/// first node marked `interrupt-controller` (a simulator binding).
pub const PROP_ICS_REGISTERS: &str = "pseries-sim,ics-registers";

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

impl Firmware {
    /// The tree the OS of `partition` boots from.
    pub fn client_tree<'t>(&self, tree: &'t Tree, partition: u32) -> Cow<'t, Tree> {
        let m = &self.machine;
        let foreign: Vec<&str> = m
            .phbs
            .iter()
            .filter(|p| p.partition != partition)
            .map(|p| p.path.as_str())
            .collect();
        if foreign.is_empty() && !m.bare_metal {
            return Cow::Borrowed(tree);
        }
        let mut t = tree.clone();
        for path in foreign {
            if let Ok(n) = t.find(path) {
                let _ = t.remove_node(n);
            }
        }
        if m.bare_metal {
            for (i, p) in m.phbs.iter().enumerate() {
                let (Some((first, count)), Ok(n)) = (m.bare_msi_range(i), t.find(&p.path)) else {
                    continue;
                };
                if t.node(n).prop(PROP_MSI_RANGES).is_none() {
                    t.set_prop(n, PROP_MSI_RANGES, cells(&[first, count]));
                }
                let a = MSI_WINDOW;
                t.set_prop(n, PROP_MSI_ADDRESS, cells(&[(a >> 32) as u32, a as u32]));
            }
            let intc = t
                .walk()
                .into_iter()
                .find(|&n| t.node(n).prop("interrupt-controller").is_some());
            if let Some(n) = intc {
                let a = ICS_MMIO_BASE;
                t.set_prop(n, PROP_ICS_REGISTERS, cells(&[(a >> 32) as u32, a as u32]));
            }
        }
        Cow::Owned(t)
    }
}
