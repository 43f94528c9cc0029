//! IMS stores in the machine (see [`crate::ims`]): found from each function's node,
//! decoded in its BAR, and delivery from their slots, routed only for sources the
//! hypervisor handed out for the function's store (on bare metal: in its PHB's range).

use super::base::Machine;
use super::types::{FnRef, Signal, MSI_WINDOW};
use crate::config::BarKind;
use crate::error::{tree_err, Error};
use crate::ims::{ImsPlace, ImsStore};
use of_tree::Tree;
use std::collections::BTreeMap;

impl Machine {
    /// Every function's IMS store from the tree, each checked against its BARs.
    /// `nodes`: each PHB's function nodes, in the order of its functions.
    pub(crate) fn ims_from_tree(
        &self,
        tree: &Tree,
        nodes: &[Vec<of_tree::NodeId>],
    ) -> Result<BTreeMap<FnRef, ImsStore>, Error> {
        let mut out = BTreeMap::new();
        if tree.with_prop(crate::ims::PROP_IMS_STORE).next().is_none() {
            return Ok(out);
        }
        for r in self.functions() {
            let f = self.function(r);
            let Some(&node) = nodes.get(r.phb).and_then(|n| n.get(r.func)) else {
                continue;
            };
            let place = ImsPlace::from_node(&tree.at(node))
                .map_err(|e| tree_err(&f.info.path, e.to_string()))?;
            let Some(place) = place else {
                continue;
            };
            let fits = f.bars.iter().any(|b| {
                b.index == place.bar
                    && b.kind != BarKind::Io
                    && place.offset as u64 + place.bytes() <= b.size
            });
            if !fits {
                return Err(tree_err(
                    &f.info.path,
                    format!(
                        "'{}': BAR {} is no memory BAR holding {} slots from offset {:#x}",
                        crate::ims::PROP_IMS_STORE,
                        place.bar,
                        place.slots,
                        place.offset
                    ),
                ));
            }
            if let Some(cap) = f.msix {
                let (lo, hi) = (place.offset as u64, place.offset as u64 + place.bytes());
                let overlaps = |bir: u8, off: u32, len: u32| {
                    bir == place.bar && (off as u64) < hi && lo < off as u64 + len as u64
                };
                if overlaps(cap.table_bir, cap.table_offset, cap.table_bytes())
                    || overlaps(cap.pba_bir, cap.pba_offset, cap.pba_bytes())
                {
                    return Err(tree_err(
                        &f.info.path,
                        format!(
                            "'{}': the store overlaps the MSI-X table or PBA in BAR {}",
                            crate::ims::PROP_IMS_STORE,
                            place.bar
                        ),
                    ));
                }
            }
            out.insert(r, ImsStore::new(place));
        }
        Ok(out)
    }

    /// Function `r` signals its IMS slot `i`: the slot's message goes out, unless the
    /// slot is masked (then held pending and sent at the unmask).
    pub fn signal_ims(&mut self, r: FnRef, i: u32) -> Signal {
        if self.function(r).frozen {
            self.drops.frozen += 1;
            return Signal::Dropped;
        }
        let Some(s) = self.ims.get_mut(&r) else {
            self.drops.disabled += 1;
            return Signal::Dropped;
        };
        if i >= s.place.slots {
            self.drops.disabled += 1;
            return Signal::Dropped;
        }
        match s.slots.signal(i) {
            None => Signal::PendingInDevice,
            Some((addr, data)) => self.deliver_ims(r, addr, data),
        }
    }

    /// A message from function `r`'s IMS store reaches the MSI window: routed when its
    /// data names a source handed out for the store; otherwise dropped and counted.
    pub fn deliver_ims(&mut self, r: FnRef, addr: u64, data: u32) -> Signal {
        if addr != MSI_WINDOW {
            self.drops.bad_address += 1;
            return Signal::Dropped;
        }
        let owned = match self.bare_msi_range(r.phb) {
            Some((first, count)) => data >= first && data - first < count,
            None => self.ims.get(&r).is_some_and(|s| s.handed.contains(&data)),
        };
        if !owned || !self.trigger_source(data) {
            self.drops.not_owner += 1;
            log::debug!("IMS message data {data:#x} names no source handed to the store: dropped");
            return Signal::Dropped;
        }
        Signal::Delivered { source: data }
    }
}
