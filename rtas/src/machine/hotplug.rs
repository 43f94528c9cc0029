//! PCI hotplug on a running machine, as QEMU's `device_add` / `device_del` do it on
//! a PHB's DR connectors (`hw/ppc/spapr_pci.c`, QEMU 7.2): a function added from its
//! node, its connector present and isolated until the OS configures it; a removal
//! asked for, the function released when the OS isolates its slot.
//!
//! QEMU's rules: a function other than 0 cannot be added to a slot whose function 0
//! is present, and its addition is signalled to the OS only when function 0 comes (function
//! 0 last in); removing function 0 removes every function of its slot, the highest
//! first, while a removal asked for another function waits for function 0's (first
//! out); bridges are not removed.

use super::base::Machine;
use super::types::{FnRef, LSI_BASE};
use crate::drc::{node_events, DrcState};
use crate::error::Error;
use crate::ics::SourceKind;
use crate::pci::{PciAddr, PciFunction};
use of_tree::{NodeId, Tree};

fn refuse(msg: impl Into<String>) -> Error {
    Error::Hotplug(msg.into())
}

/// The one node a hotplug DTS's root holds.
fn the_node(dts: &Tree, source: &str) -> Result<NodeId, Error> {
    match dts.node(dts.root()).children() {
        [one] => Ok(*one),
        many => Err(refuse(format!(
            "{source}: the root must hold exactly one node (the new function's), it holds {}",
            many.len()
        ))),
    }
}

/// A tree holding the PHB's path and, below it, a copy of `node` (and its subtree): the
/// function's node where the OS will put it.
fn placed(dts: &Tree, node: NodeId, phb_path: &str) -> (Tree, NodeId) {
    let mut t = Tree::new();
    let mut at = t.root();
    for part in phb_path.split('/').filter(|s| !s.is_empty()) {
        at = t.add_child(at, part);
    }
    // A PCI bus: three address cells, two size cells.
    t.set_prop(at, "#address-cells", 3u32.to_be_bytes().to_vec());
    t.set_prop(at, "#size-cells", 2u32.to_be_bytes().to_vec());
    fn copy(from: &Tree, n: NodeId, to: &mut Tree, parent: NodeId) -> NodeId {
        let id = to.add_child(parent, from.node(n).name());
        for p in &from.node(n).props {
            to.push_prop(id, p.clone());
        }
        for &c in from.node(n).children() {
            copy(from, c, to, id);
        }
        id
    }
    let id = copy(dts, node, &mut t, at);
    (t, id)
}

impl Machine {
    /// The connector of the slot at `addr` on PHB `phb` (QEMU's index: chassis 0, the
    /// devfn, for a function on the PHB's own bus).
    fn slot_drc(&self, phb: usize, addr: PciAddr) -> Option<usize> {
        if addr.bus != 0 {
            return None;
        }
        self.phbs[phb]
            .drcs
            .iter()
            .position(|d| d.index & 0xffff == addr.devfn as u32)
    }

    /// `device_add`: the function `dts` describes (its root holding exactly one node,
    /// whose `reg` must name `addr`) is added to PHB `phb` at `addr`, with config
    /// space, BARs (placed above those assigned) and MSI/MSI-X capabilities as at
    /// boot; its connector becomes present (isolated), so that
    /// `ibm,configure-connector` hands out its node. Returns the connectors whose
    /// addition the OS is told of: none for a function other than 0 (QEMU waits for
    /// function 0), every present and unconfigured one of the slot for function 0.
    /// `source` names the DTS in errors; a refusal leaves the machine as it was.
    pub fn plug(
        &mut self,
        phb: usize,
        addr: PciAddr,
        dts: &Tree,
        source: &str,
    ) -> Result<Vec<u32>, Error> {
        let p = self
            .phbs
            .get(phb)
            .ok_or_else(|| refuse(format!("no PHB {phb}")))?;
        let name = format!("{:04x}:{addr}", p.index);
        let node = the_node(dts, source)?;
        let node_path = dts.path(node);
        let hi = dts
            .at(node)
            .reg()
            .map_err(|e| {
                refuse(format!(
                    "{source}: {e} (a PCI node's root says #address-cells = <3>, #size-cells = <2>)"
                ))
            })?
            .and_then(|r| r.first().and_then(|e| e.address.first().copied()))
            .ok_or_else(|| refuse(format!("{source}: {node_path}: no 'reg'")))?;
        let (bus, devfn) = ((hi >> 16) as u8, (hi >> 8) as u8);
        if (bus, devfn) != (addr.bus, addr.devfn) || hi & 0x0300_00ff != 0 {
            let said = format!("{:04x}:{}", p.index, PciAddr { bus, devfn });
            return Err(refuse(format!(
                "{source}: {node_path}: 'reg' ({hi:#010x}) names {said}{}, not {name}",
                if hi & 0x0300_00ff != 0 {
                    " with a register or space"
                } else {
                    ""
                }
            )));
        }
        if crate::pci::is_bridge_node(dts, node) {
            return Err(refuse(format!(
                "{source}: {node_path}: a bridge: hotplug adds functions only"
            )));
        }
        if p.find(addr).is_some() {
            return Err(refuse(format!("{name}: a function is there already")));
        }
        let slot0 = PciAddr {
            bus: addr.bus,
            devfn: addr.devfn & !7,
        };
        if addr.function() != 0 {
            if let Some(f0) = p.find(slot0) {
                return Err(refuse(format!(
                    "PCI: slot {} function 0 already occupied by {}, additional functions can no longer be exposed to guest.",
                    addr.device(),
                    p.functions[f0].info.path
                )));
            }
        }
        let d = self.slot_drc(phb, addr).ok_or_else(|| {
            refuse(format!(
                "{name}: {} has no DR connector for this slot (QEMU: Bus does not support hotplugging)",
                p.path
            ))
        })?;
        let (host, id) = placed(dts, node, &p.path);
        let index = p.index;
        let f = PciFunction::from_node(&host, id, Some(addr.bus), |a, pin| {
            // QEMU's interrupt-map for the PHB's own bus: the swizzle onto its 4 LSIs.
            Ok(LSI_BASE + 4 * index + ((a.device() as u32 + pin as u32 - 1) % 4))
        })?;
        if let Some(l) = f.lsi {
            if !self.ics.valid(l.source) {
                return Err(refuse(format!(
                    "{name}: LSI source {:#x} lies outside every controller",
                    l.source
                )));
            }
            self.ics.claim(l.source, SourceKind::Lsi);
        }
        let events = node_events(&host, id);
        let func = self.phbs[phb].add_function(f);
        self.assign_bars_of(FnRef { phb, func });
        let drc = &mut self.phbs[phb].drcs[d];
        drc.function = Some(func);
        drc.state = DrcState::PowerOn;
        drc.node = events;
        drc.cc_at = 0;
        drc.unplug_requested = false;
        log::debug!("hotplug: {name} added at connector {:#x}", drc.index);
        if addr.function() != 0 {
            return Ok(Vec::new());
        }
        Ok((0..8u8)
            .filter_map(|fnum| {
                let a = PciAddr {
                    bus: addr.bus,
                    devfn: slot0.devfn | fnum,
                };
                let d = self.slot_drc(phb, a)?;
                let drc = &self.phbs[phb].drcs[d];
                (drc.function.is_some() && drc.state == DrcState::PowerOn).then_some(drc.index)
            })
            .collect())
    }

    /// `device_del` of a function: refused for a bridge and for a function without a
    /// connector (QEMU's messages); for a function other than 0, accepted with nothing
    /// to do (QEMU removes the slot's functions when function 0's removal is asked for);
    /// for function 0, every present function of its slot is marked for removal.
    /// Returns the connectors the OS is told to release, the highest function first.
    pub fn unplug_request(&mut self, r: FnRef) -> Result<Vec<u32>, Error> {
        let p = &self.phbs[r.phb];
        let f = &p.functions[r.func];
        if f.info.is_bridge {
            return Err(refuse("PCI: Hot unplug of PCI bridges not supported"));
        }
        let addr = f.addr;
        let d = self
            .slot_drc(r.phb, addr)
            .filter(|&d| p.drcs[d].function == Some(r.func));
        let Some(d) = d else {
            return Err(refuse(format!(
                "Bus '{}' does not support hotplugging",
                p.path
            )));
        };
        if p.drcs[d].unplug_requested {
            return Err(refuse(format!(
                "PCI device unplug already in progress for device {}",
                f.info.path
            )));
        }
        if addr.function() != 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for fnum in (0..8u8).rev() {
            let a = PciAddr {
                bus: addr.bus,
                devfn: addr.devfn | fnum,
            };
            let Some(d) = self.slot_drc(r.phb, a) else {
                continue;
            };
            let drc = &mut self.phbs[r.phb].drcs[d];
            if drc.function.is_some() {
                drc.unplug_requested = true;
                out.push(drc.index);
            }
        }
        Ok(out)
    }

    /// Releases the function of connector `d` of PHB `phb` (its removal was asked for
    /// and the OS isolated it): the function leaves the machine, the functions after it
    /// move down one index, the connector is empty.
    pub(crate) fn release_slot(&mut self, phb: usize, d: usize) {
        let Some(func) = self.phbs[phb].drcs[d].function else {
            return;
        };
        let f = self.phbs[phb].remove_function(func);
        let drc = &mut self.phbs[phb].drcs[d];
        drc.state = DrcState::PowerOn;
        drc.node.clear();
        drc.cc_at = 0;
        drc.unplug_requested = false;
        let ims = std::mem::take(&mut self.ims);
        self.ims = ims
            .into_iter()
            .filter(|(r, _)| *r != FnRef { phb, func })
            .map(|(r, s)| match r {
                FnRef { phb: p, func: g } if p == phb && g > func => {
                    (FnRef { phb, func: g - 1 }, s)
                }
                r => (r, s),
            })
            .collect();
        self.index_mmio();
        log::debug!("hotplug: {} released", f.info.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MachineConfig;

    fn machine() -> Machine {
        let blob = include_bytes!("../../../fixtures/qemu/b_devices.dtb");
        let tree = of_tree::dtb::read(blob).unwrap();
        Machine::from_tree(&tree, &MachineConfig::default()).unwrap()
    }

    fn node(devfn: u8) -> Tree {
        let src = format!(
            "/dts-v1/; / {{ #address-cells = <3>; #size-cells = <2>; \
             n@{:x},{} {{ reg = <{:#x} 0 0 0 0>; ibm,req#msi-x = <2>; \
             ibm,my-drc-index = <{:#x}>; vendor-id = <0x1af4>; device-id = <0x1000>; \
             class-code = <0x20000>; }}; }};",
            devfn >> 3,
            devfn & 7,
            (devfn as u32) << 8,
            0x4000_0000 | devfn as u32
        );
        of_tree::dts::parse_str(&src, "n.dts").unwrap()
    }

    #[test]
    fn a_removal_moves_later_functions_and_their_connectors_down() {
        let mut m = machine();
        let n = m.phbs[0].functions.len();
        assert_eq!(
            m.plug(
                0,
                PciAddr {
                    bus: 0,
                    devfn: 0x80
                },
                &node(0x80),
                "n"
            ),
            Ok(vec![0x4000_0080])
        );
        assert_eq!(m.phbs[0].functions.len(), n + 1);
        // Remove ethernet@2 (devfn 0x10), a function before it.
        let eth = m.phbs[0]
            .find(PciAddr {
                bus: 0,
                devfn: 0x10,
            })
            .unwrap();
        let r = FnRef { phb: 0, func: eth };
        assert_eq!(m.unplug_request(r), Ok(vec![0x4000_0010]));
        let d = m.phbs[0]
            .drcs
            .iter()
            .position(|d| d.index == 0x4000_0010)
            .unwrap();
        m.release_slot(0, d);
        let p = &m.phbs[0];
        assert_eq!(p.functions.len(), n);
        assert!(p
            .find(PciAddr {
                bus: 0,
                devfn: 0x10
            })
            .is_none());
        p.validate().unwrap();
        for d in &p.drcs {
            if let Some(f) = d.function {
                assert_eq!(
                    p.functions[f].addr.devfn as u32,
                    d.index & 0xff,
                    "{:#x}",
                    d.index
                );
            }
        }
        assert_eq!(p.drcs[d].function, None);
        assert!(p.drcs[d].node.is_empty());
    }

    #[test]
    fn refusals_leave_the_machine_as_it_was() {
        let mut m = machine();
        let before = m.clone();
        let at = |devfn| PciAddr { bus: 0, devfn };
        // reg names another address.
        let e = m
            .plug(0, at(0x88), &node(0x80), "n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("names 0000:00:10.0, not 0000:00:11.0"), "{e}");
        // Behind a bridge, or on a bus without connectors.
        let e = m
            .plug(
                0,
                PciAddr {
                    bus: 1,
                    devfn: 0x80,
                },
                &node(0x80),
                "n",
            )
            .unwrap_err();
        assert!(e.to_string().contains("'reg'"), "{e}");
        // A function of a slot whose function 0 is in (vga@0 is 00:00.0).
        let e = m
            .plug(0, at(0x01), &node(0x01), "n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("PCI: slot 0 function 0 already occupied by /pci@800000020000000/vga@0"),
            "{e}"
        );
        // A root without a PHB's cells.
        let t = of_tree::dts::parse_str(
            "/dts-v1/; / { n@10 { reg = <0x8000 0 0 0 0>; }; };",
            "c.dts",
        )
        .unwrap();
        let e = m.plug(0, at(0x80), &t, "c.dts").unwrap_err().to_string();
        assert!(
            e.starts_with("c.dts: ") && e.contains("#address-cells = <3>"),
            "{e}"
        );
        assert_eq!(m, before);
    }
}
