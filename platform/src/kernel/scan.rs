//! The PCI scan: every function node below each PHB, by its `reg`, bridges by class
//! code, each LSI parsed from the tree and mapped, then the per-function fix-up.

use super::{of, pci_name, Device, Kernel};
use crate::error::Error;
use crate::irq::Owner;
use crate::trace::{Event, EventKind};

impl Kernel {
    pub(super) fn pci_scan(&mut self) -> Result<(), Error> {
        for p in 0..self.phbs.len() {
            let phb_node = self.phbs[p].node;
            let map = match of::InterruptMap::read(&self.tree, phb_node) {
                Ok(m) => m,
                Err(why) => {
                    let path = self.tree.path(phb_node);
                    self.msg(format!("{path}: {why}: no LSIs on this PHB"));
                    None
                }
            };
            let mut devs: Vec<Device> = Vec::new();
            let mut at_addr = std::collections::HashMap::new();
            for node in of::pci_functions(&self.tree, phb_node) {
                let Some(d) = self.scanned_device(p, map.as_ref(), node, &mut at_addr) else {
                    continue;
                };
                devs.push(d);
            }
            // Trees list functions in address order as a rule: moving every device
            // through a sort costs a large machine more than the check.
            if !devs.is_sorted_by_key(|d| (d.addr.bus, d.addr.devfn)) {
                devs.sort_by_key(|d| (d.addr.bus, d.addr.devfn));
            }
            self.devices.reserve(devs.len());
            for d in devs {
                self.attach_device(d);
            }
        }
        Ok(())
    }

    /// The device a function node describes, as the scan finds it on PHB `p` (None,
    /// with a message, for a node without a usable address or at an address taken).
    pub(super) fn scanned_device(
        &mut self,
        p: usize,
        map: Option<&of::InterruptMap>,
        node: of_tree::NodeId,
        at_addr: &mut std::collections::HashMap<papr_abi::pci::PciAddr, of_tree::NodeId>,
    ) -> Option<Device> {
        let (phb_node, domain, buid) = (self.phbs[p].node, self.phbs[p].domain, self.phbs[p].buid);
        let path = self.tree.path(node);
        let addr = match of::function_addr(&self.tree, node) {
            Ok(Some(a)) => a,
            Ok(None) => return None,
            Err(why) => {
                self.msg(format!("{path}: {why}: skipped"));
                return None;
            }
        };
        if let Some(&other) = at_addr.get(&addr) {
            let other = self.tree.path(other);
            let msg = format!("{path}: same address as {other}: skipped");
            self.msg(msg);
            return None;
        }
        at_addr.insert(addr, node);
        let lsi = match of::lsi_source(&self.tree, phb_node, map, node) {
            Ok(l) => l,
            Err(why) => {
                self.msg(format!(
                    "{path}: its pin maps to no interrupt source: {why}"
                ));
                None
            }
        };
        let at = self.tree.at(node);
        Some(Device {
            name: pci_name(domain, addr),
            node,
            path,
            phb: p,
            buid,
            addr,
            lsi,
            lsi_virq: None,
            lsi_requested: false,
            started: None,
            started_later: Vec::new(),
            msi: None,
            no_64bit_msi: at.has("pseries-sim,no-64bit-msi"),
            is_bridge: of::is_bridge(&self.tree, node),
            caps: Default::default(),
            eeh: None,
            msi_device: None,
            removed: false,
        })
    }

    /// A scanned device joins the list: its LSI mapped, the per-function fix-up run.
    pub(super) fn attach_device(&mut self, d: Device) -> super::DevId {
        let id = self.devices.len();
        let lsi = d.lsi;
        self.devices.push(d);
        if let Some(src) = lsi {
            let virq = self.irq.map_lsi(src, Owner::lsi(id));
            self.devices[id].lsi_virq = Some(virq);
            if self.traces(EventKind::Map) {
                self.emit(Event::Map {
                    device: self.devices[id].name.clone(),
                    vector: None,
                    source: src,
                    virq,
                });
            }
        }
        self.hook_with("pci_irq_fixup", |k| k.devices[id].name.clone());
        if let Some(mut c) = self.client.take() {
            c.pci_irq_fixup(self, id);
            self.client = Some(c);
        } else if let Some(h) = self.desc.pci_irq_fixup {
            h(self, id);
        }
        id
    }
}
