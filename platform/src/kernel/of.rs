//! The device tree read as Linux reads it on pSeries: PHBs with their BUID and PCI
//! domain, PCI functions from their nodes' `reg`, bridges by class code, and each
//! function's LSI from its `interrupts` pin, swizzled at every bridge and mapped
//! through the PHB's `interrupt-map`.

use crate::kernel::pci::{CLASS_BRIDGE_CARDBUS, CLASS_BRIDGE_PCI};
use of_tree::{NodeId, Tree};
use papr_abi::pci::PciAddr;
use std::collections::BTreeSet;

/// What a node does not say as Linux's OF code needs it (the callers name the node).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfError {
    /// A property does not read (wrong size or type).
    #[error(transparent)]
    Property(#[from] of_tree::Error),
    /// A PHB's `reg` is missing or empty (no BUID).
    #[error("'reg' is missing or empty")]
    NoBuid,
    /// A function's first `reg` entry has not the 3 address cells of a PCI address.
    #[error("'reg' does not decode as a PCI address (3 cells)")]
    NotPciAddr,
    /// A function's `reg` has no entry.
    #[error("'reg' is empty")]
    RegEmpty,
    /// `interrupt-map-mask` has not 4 cells.
    #[error("'interrupt-map-mask' must have 4 cells")]
    MapMask,
    /// An `interrupt-map` entry is cut short by the end of the map.
    #[error("'interrupt-map' entry at cell {0} runs past the end")]
    MapPastEnd(usize),
    /// An `interrupt-map` entry's parent phandle names no node.
    #[error("'interrupt-map' names phandle {0:#x}, which no node has")]
    MapParent(u32),
    /// A bridge between a function and its PHB has no `reg`.
    #[error("the bridge {0} has no 'reg'")]
    BridgeNoReg(String),
}

/// Linux's `MAX_PHBS`: PCI domain numbers wrap below it.
const MAX_PHBS: u32 = 0x10000;

/// Whether a node is a PHB: a root child of `device_type` "pci" or "pciex".
pub fn is_phb(tree: &Tree, node: NodeId) -> bool {
    matches!(
        tree.at(node).string("device_type").ok().flatten(),
        Some("pci") | Some("pciex")
    )
}

/// The PHB nodes, in tree order.
pub fn phb_nodes(tree: &Tree) -> Vec<NodeId> {
    let root = tree.root();
    tree.node(root)
        .children()
        .iter()
        .copied()
        .filter(|&n| is_phb(tree, n))
        .collect()
}

/// A PHB's BUID: the address of its first `reg` entry.
pub fn phb_buid(tree: &Tree, phb: NodeId) -> Result<u64, OfError> {
    match tree.at(phb).reg()? {
        Some(r) if !r.is_empty() => Ok(r[0].address_u64()),
        _ => Err(OfError::NoBuid),
    }
}

/// Linux's `get_phb_number`: `linux,pci-domain`, else the low bits of the second
/// `reg` cell, else the first number not yet used. `used` collects the numbers taken.
pub fn phb_domain(tree: &Tree, phb: NodeId, used: &mut BTreeSet<u32>) -> u32 {
    let at = tree.at(phb);
    let fixed = at
        .u32("linux,pci-domain")
        .ok()
        .flatten()
        .or_else(|| {
            at.cells("reg")
                .ok()
                .flatten()
                .and_then(|c| c.get(1).copied())
        })
        .map(|v| v & (MAX_PHBS - 1));
    if let Some(d) = fixed {
        if used.insert(d) {
            return d;
        }
    }
    let d = (0..MAX_PHBS).find(|d| !used.contains(d)).unwrap_or(0);
    used.insert(d);
    d
}

/// A node's class code (0 when it has none).
pub fn class_code(tree: &Tree, node: NodeId) -> u32 {
    tree.at(node).u32("class-code").ok().flatten().unwrap_or(0)
}

/// Whether a function node is a bridge whose children Linux walks: a PCI-PCI or
/// CardBus bridge by class code, or a node of `device_type` "pci"/"pciex".
pub fn is_bridge(tree: &Tree, node: NodeId) -> bool {
    let class = class_code(tree, node) >> 8;
    class == CLASS_BRIDGE_PCI || class == CLASS_BRIDGE_CARDBUS || is_phb(tree, node)
}

/// The bus address a function node's `reg` gives (its first entry's high cell).
pub fn function_addr(tree: &Tree, node: NodeId) -> Result<Option<PciAddr>, OfError> {
    match tree.at(node).reg()? {
        Some(r) => match r.first() {
            Some(e) if e.address.len() == 3 => Ok(Some(PciAddr {
                bus: (e.address[0] >> 16) as u8,
                devfn: (e.address[0] >> 8) as u8,
            })),
            Some(_) => Err(OfError::NotPciAddr),
            None => Err(OfError::RegEmpty),
        },
        None => Ok(None),
    }
}

/// The PCI function nodes below a bus node: every child with `reg`, and below each
/// bridge its children in turn, depth first, in tree order.
pub fn pci_functions(tree: &Tree, bus: NodeId) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = tree.node(bus).children().iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        if tree.node(n).prop("reg").is_none() {
            continue;
        }
        out.push(n);
        if is_bridge(tree, n) {
            stack.extend(tree.node(n).children().iter().rev().copied());
        }
    }
    out
}

/// A PHB's `interrupt-map`, read once.
pub struct InterruptMap {
    mask: [u32; 4],
    /// (masked child unit address and pin, parent's first interrupt cell).
    entries: Vec<([u32; 4], u32)>,
}

impl InterruptMap {
    /// The map of a PHB, `None` when it has none; an error says what is wrong.
    pub fn read(tree: &Tree, phb: NodeId) -> Result<Option<InterruptMap>, OfError> {
        let at = tree.at(phb);
        let Some(map) = at.cells("interrupt-map")? else {
            return Ok(None);
        };
        let mask = match at.cells("interrupt-map-mask")? {
            None => [u32::MAX; 4],
            Some(m) => m.as_slice().try_into().map_err(|_| OfError::MapMask)?,
        };
        let mut entries = Vec::new();
        let mut parents = std::collections::HashMap::new();
        let mut i = 0;
        while i < map.len() {
            let Some(&ph) = map.get(i + 4) else {
                return Err(OfError::MapPastEnd(i));
            };
            let (acells, icells) = match parents.get(&ph) {
                Some(&c) => c,
                None => {
                    let p = tree.find_phandle(ph).ok_or(OfError::MapParent(ph))?;
                    let pa = tree.at(p);
                    let a = pa.u32("#address-cells").ok().flatten().unwrap_or(0) as usize;
                    let ic = pa.u32("#interrupt-cells").ok().flatten().unwrap_or(2) as usize;
                    parents.insert(ph, (a, ic));
                    (a, ic)
                }
            };
            let spec = i + 5 + acells;
            if icells == 0 || spec + icells > map.len() {
                return Err(OfError::MapPastEnd(i));
            }
            let key = [
                map[i] & mask[0],
                map[i + 1] & mask[1],
                map[i + 2] & mask[2],
                map[i + 3] & mask[3],
            ];
            entries.push((key, map[spec]));
            i = spec + icells;
        }
        Ok(Some(InterruptMap { mask, entries }))
    }

    /// Every parent source the map names.
    pub fn sources(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().map(|e| e.1)
    }

    /// The source a pin of a function on the PHB's bus maps to.
    pub fn lookup(&self, addr: PciAddr, pin: u32) -> Option<u32> {
        let key = [addr.config_addr() & self.mask[0], 0, 0, pin & self.mask[3]];
        self.entries.iter().find(|(k, _)| *k == key).map(|e| e.1)
    }
}

/// The LSI source of a function node below `phb`: its `interrupts` pin swizzled at
/// each bridge on the way up (the PCI-PCI bridge rule), then looked up in the PHB's
/// map. `Ok(None)` when it has no pin or the map says nothing.
pub fn lsi_source(
    tree: &Tree,
    phb: NodeId,
    map: Option<&InterruptMap>,
    node: NodeId,
) -> Result<Option<u32>, OfError> {
    let pin = match tree.at(node).u32("interrupts")? {
        Some(p @ 1..=4) => p,
        _ => return Ok(None),
    };
    let Some(map) = map else { return Ok(None) };
    let Some(mut addr) = function_addr(tree, node)? else {
        return Ok(None);
    };
    let (mut pin, mut cur) = (pin, node);
    while let Some(parent) = tree.node(cur).parent().filter(|&p| p != phb) {
        pin = (pin - 1 + addr.device() as u32) % 4 + 1;
        let Some(a) = function_addr(tree, parent)? else {
            return Err(OfError::BridgeNoReg(tree.path(parent)));
        };
        addr = a;
        cur = parent;
    }
    Ok(map.lookup(addr, pin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_follow_linux() {
        let src = "/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; \
            a: pci@800000020000000 { device_type = \"pci\"; reg = <0x8000000 0x20000000 0 0>; }; \
            b: pci@800000020000001 { device_type = \"pci\"; reg = <0x8000000 0x20000001 0 0>; }; \
            c: pci@900000020000001 { device_type = \"pci\"; reg = <0x9000000 0x20000001 0 0>; }; \
            d: pci@1 { device_type = \"pciex\"; linux,pci-domain = <7>; reg = <0 1 0 0>; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let mut used = BTreeSet::new();
        let d: Vec<u32> = phb_nodes(&t)
            .into_iter()
            .map(|n| phb_domain(&t, n, &mut used))
            .collect();
        // The third repeats the second's low bits: it takes the first free number.
        assert_eq!(d, [0, 1, 2, 7]);
    }

    #[test]
    fn swizzle_at_every_bridge() {
        // 00:02.0 bridge -> bus 1; 01:03.0 bridge -> bus 2; 02:01.0 device, pin 1.
        let src = "/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; \
            ics: ics { #interrupt-cells = <2>; interrupt-controller; phandle = <1>; }; \
            pci@0 { device_type = \"pci\"; #address-cells = <3>; #size-cells = <2>; \
              reg = <0 0 0 0>; interrupt-map-mask = <0xf800 0 0 7>; \
              interrupt-map = <0x1000 0 0 1 1 0x10 0  0x1000 0 0 2 1 0x11 0 \
                               0x1000 0 0 3 1 0x12 0  0x1000 0 0 4 1 0x13 0>; \
              br@2 { class-code = <0x60400>; reg = <0x1000 0 0 0 0>; \
                #address-cells = <3>; #size-cells = <2>; \
                br@3 { class-code = <0x60400>; reg = <0x11800 0 0 0 0>; \
                  #address-cells = <3>; #size-cells = <2>; \
                  dev@1 { reg = <0x20800 0 0 0 0>; interrupts = <1>; }; }; }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let phb = t.find("/pci@0").unwrap();
        let map = InterruptMap::read(&t, phb).unwrap().unwrap();
        let fns = pci_functions(&t, phb);
        assert_eq!(fns.len(), 3, "both bridges and the device");
        let dev = t.find("/pci@0/br@2/br@3/dev@1").unwrap();
        // Device 1 behind br@3 (device 3): pin 1 -> 2 -> (2-1+3)%4+1 = 1 at 00:02.0... by
        // hand: level 1: (1-1+1)%4+1 = 2; level 2: (2-1+3)%4+1 = 1; slot 2 pin 1: 0x10.
        assert_eq!(lsi_source(&t, phb, Some(&map), dev), Ok(Some(0x10)));
    }
}
