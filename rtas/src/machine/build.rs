//! Building the machine a device tree describes: PHBs, functions, controllers, pools.

use super::base::Machine;
use super::lsi::LsiMap;
use super::profile::{MachineConfig, Profile};
use super::types::{DropCounters, ICS_BASE, ICS_COUNT, LSI_BASE};
use crate::alloc::{BuddyPool, Pools, QemuPool};
use crate::error::{tree_err, Error, LsiError};
use crate::ics::{Ics, SourceKind};
use crate::pci::is_bridge_node;
use crate::pci::{PciAddr, PciFunction};
use crate::phb::{Phb, QEMU_BUID_BASE};
use of_tree::{NodeId, Tree};
use std::collections::HashMap;

fn count_servers(tree: &Tree) -> Result<u32, Error> {
    let mut n = 0u32;
    for id in tree.find_device_type("cpu") {
        let at = tree.at(id);
        n += match at.cells("ibm,ppc-interrupt-server#s")? {
            Some(c) => c.len() as u32,
            None => 1,
        };
    }
    Ok(n.max(1))
}

/// Functions below a bus node, depth first, bridges before what lies behind them.
fn collect_functions(tree: &Tree, bus: NodeId, out: &mut Vec<NodeId>) {
    out.extend(pci_functions_below(tree, bus));
}

/// The PCI functions below a bus node (nodes with `reg`), bridges before what lies
/// behind them, in tree order.
pub fn pci_functions_below(tree: &Tree, bus: NodeId) -> Vec<NodeId> {
    let has_reg = |t: &Tree, n: NodeId| t.node(n).prop("reg").is_some();
    tree.descendants(bus, |t, n| has_reg(t, n) && is_bridge_node(t, n))
        .into_iter()
        .filter(|&n| has_reg(tree, n))
        .collect()
}

/// The bus numbers firmware gives a PHB's bridges: as the tree's `reg` says when QEMU
/// numbered them (`qemu,phb-enumerated`), else depth first from bus 0, as firmware
/// enumerates (each bridge its secondary bus, the next free number, before what lies
/// behind it).
pub struct BusNumbers {
    /// Secondary bus of each bridge; empty when the tree's numbers stand.
    secondary: HashMap<NodeId, u8>,
    phb: NodeId,
}

impl BusNumbers {
    /// The numbering of a PHB whose functions (in tree order) are `fns`.
    pub fn of(tree: &Tree, phb: NodeId, fns: &[NodeId]) -> BusNumbers {
        let mut secondary = HashMap::new();
        if tree.node(phb).prop("qemu,phb-enumerated").is_none() {
            let mut next = 1u32;
            for &n in fns {
                if is_bridge_node(tree, n) && next <= 0xff {
                    secondary.insert(n, next as u8);
                    next += 1;
                }
            }
        }
        BusNumbers { secondary, phb }
    }

    /// The bus a function node sits on, when the firmware numbered it.
    pub fn bus_of(&self, tree: &Tree, node: NodeId) -> Option<u8> {
        if self.secondary.is_empty() {
            return None;
        }
        match tree.node(node).parent() {
            Some(p) if p == self.phb => Some(0),
            Some(p) => self.secondary.get(&p).copied(),
            None => None,
        }
    }

    /// A bridge's secondary bus, when the firmware numbered it.
    pub fn secondary(&self, bridge: NodeId) -> Option<u8> {
        self.secondary.get(&bridge).copied()
    }
}

/// The memory the `/memory` node's first `reg` entry gives (at most 4 GiB of it).
/// The DRCs of a PHB and of the bridges below it; each function found by its
/// `ibm,my-drc-index` is present, its connector configured (a cold-plugged device).
fn phb_drcs(
    tree: &Tree,
    phb: NodeId,
    function_nodes: &[NodeId],
) -> Result<Vec<crate::drc::Drc>, Error> {
    let mut drcs = crate::drc::from_node(tree, phb)?;
    let mut stack: Vec<NodeId> = tree.node(phb).children().to_vec();
    while let Some(n) = stack.pop() {
        drcs.extend(crate::drc::from_node(tree, n)?);
        stack.extend(tree.node(n).children().iter().copied());
    }
    if drcs.is_empty() {
        return Ok(drcs);
    }
    for (i, &node) in function_nodes.iter().enumerate() {
        let Some(mine) = tree.at(node).u32("ibm,my-drc-index")? else {
            continue;
        };
        if let Some(d) = drcs.iter_mut().find(|d| d.index == mine) {
            d.function = Some(i);
            d.state = crate::drc::DrcState::Configured;
            d.node = crate::drc::node_events(tree, node);
        }
    }
    Ok(drcs)
}

fn system_ram(tree: &Tree) -> Result<crate::axon::Ram, Error> {
    let Some(&n) = tree.find_device_type("memory").first() else {
        return Ok(Default::default());
    };
    let reg = tree.at(n).reg()?.unwrap_or_default();
    Ok(reg.first().map_or_else(Default::default, |r| {
        crate::axon::Ram::new(r.address_u64(), r.size.min(1 << 32) as u64)
    }))
}

impl Machine {
    /// Builds the machine a tree describes.
    pub fn from_tree(tree: &Tree, cfg: &MachineConfig) -> Result<Machine, Error> {
        let root = tree.root();
        let phb_nodes: Vec<NodeId> = tree
            .node(root)
            .children()
            .iter()
            .copied()
            .filter(|&c| tree.at(c).string("device_type").ok().flatten() == Some("pci"))
            .collect();
        let mut phbs = Vec::with_capacity(phb_nodes.len());
        // Slots of the IMS stores of each PHB's functions.
        let mut ims_want = Vec::with_capacity(phb_nodes.len());
        // Each PHB's function nodes, in the order of its functions.
        let mut node_of: Vec<Vec<NodeId>> = Vec::with_capacity(phb_nodes.len());
        // Functions built alike share their config space's write rules.
        let mut masks = crate::config::MaskPool::default();
        let mut used_index = std::collections::BTreeSet::new();
        for (ordinal, &pn) in phb_nodes.iter().enumerate() {
            let at = tree.at(pn);
            let path = at.path();
            let reg = at
                .reg()?
                .ok_or_else(|| tree_err(&path, "PHB without 'reg' (no BUID)"))?;
            let first = reg
                .first()
                .ok_or_else(|| tree_err(&path, "PHB 'reg' is empty (no BUID)"))?;
            let buid = first.address_u64();
            let index = match buid.checked_sub(QEMU_BUID_BASE) {
                Some(i) if i < 256 => i as u32,
                _ => ordinal as u32,
            };
            if !used_index.insert(index) {
                return Err(tree_err(&path, format!("a second PHB with number {index}")));
            }
            let mut fn_nodes = Vec::new();
            let mut ims_slots = 0u64;
            collect_functions(tree, pn, &mut fn_nodes);
            let buses = BusNumbers::of(tree, pn, &fn_nodes);
            let mut functions = Vec::with_capacity(fn_nodes.len());
            let mut seen = std::collections::HashSet::with_capacity(fn_nodes.len());
            let lsi_map = LsiMap::read(tree, pn);
            for &fnode in &fn_nodes {
                let bus = buses.bus_of(tree, fnode);
                let f = PciFunction::from_node(tree, fnode, bus, |addr, pin| {
                    // Behind bridges: swizzle at every bridge up to the PHB, then the map.
                    let (mut addr0, mut pin0, mut node) = (addr, pin, fnode);
                    while let Some(parent) = tree.node(node).parent().filter(|&p| p != pn) {
                        let bridge_reg = tree
                            .at(parent)
                            .reg()
                            .ok()
                            .flatten()
                            .and_then(|r| r.first().and_then(|e| e.address.first().copied()))
                            .ok_or(LsiError::BridgeReg)?;
                        pin0 = ((pin0 - 1 + addr0.device()) % 4) + 1;
                        addr0 = PciAddr {
                            bus: buses
                                .bus_of(tree, parent)
                                .unwrap_or((bridge_reg >> 16) as u8),
                            devfn: (bridge_reg >> 8) as u8,
                        };
                        node = parent;
                    }
                    let mapped = match &lsi_map {
                        Ok(Some(m)) => m.lookup(addr0, pin0),
                        Ok(None) => Ok(None),
                        Err(e) => return Err(LsiError::Map(e.clone())),
                    };
                    match mapped {
                        Ok(Some(s)) => Ok(s),
                        Ok(None) => Ok(LSI_BASE
                            + 4 * index
                            + ((addr0.device() as u32 + pin0 as u32 - 1) % 4)),
                        Err(why) => Err(LsiError::MapEntry {
                            phb: path.clone(),
                            why: why.clone(),
                        }),
                    }
                })?;
                if !seen.insert(f.addr) {
                    return Err(tree_err(
                        &f.info.path,
                        format!("a second function at {}", f.addr),
                    ));
                }
                let ims = crate::ims::ImsPlace::from_node(&tree.at(fnode))
                    .map_err(|e| tree_err(&f.info.path, e.to_string()))?;
                ims_slots += ims.map_or(0, |p| p.slots as u64);
                let mut f = f;
                f.config.share_masks(&mut masks);
                functions.push(f);
            }
            ims_want.push(ims_slots);
            let pe_total = at.u32("ibm,pe-total-#msi")?;
            let mut phb = Phb::new(index, buid, path, pe_total, functions);
            phb.windows = super::mmio::windows(tree, pn, index, ordinal, phb_nodes.len())?;
            phb.partition = at.u32("pseries-sim,partition")?.unwrap_or(0);
            phb.drcs = phb_drcs(tree, pn, &fn_nodes)?;
            phbs.push(phb);
            node_of.push(fn_nodes);
        }
        let phb_paths: Vec<&str> = phbs.iter().map(|p| p.path.as_str()).collect();
        let msg_devices = crate::msgdev::from_tree(tree, &phb_paths);
        let mpic = crate::mpic::Mpic::from_tree(tree)?;
        let (ics, pools) = match cfg.profile {
            _ if mpic.is_some() => (
                Ics::new(vec![(0, mpic.as_ref().map_or(0, |m| m.sources))]),
                Pools::Qemu(QemuPool::qemu()),
            ),
            Profile::Qemu => (
                Ics::new(vec![(ICS_BASE, ICS_COUNT)]),
                Pools::Qemu(QemuPool::qemu()),
            ),
            Profile::Papr => {
                let sizes: Vec<u64> = phbs
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        // The non-PCI MSI devices it is the MSI controller of, and
                        // its functions' IMS stores.
                        let devices: u64 = msg_devices
                            .iter()
                            .filter(|d| d.parent == Some(i))
                            .map(|d| d.slots.0.len() as u64)
                            .sum();
                        let functions: u64 = p
                            .functions
                            .iter()
                            .map(|f| {
                                let msi =
                                    f.info.req_msi.unwrap_or(0).min(32).next_power_of_two() as u64;
                                let msix = f.info.req_msix.unwrap_or(0) as u64;
                                msi.max(msix)
                            })
                            .sum();
                        let want = devices + functions + ims_want[i];
                        let want = want.max(p.pe_total_msi.unwrap_or(0) as u64).max(64);
                        cfg.pool_size
                            .map(|s| s as u64)
                            .unwrap_or(want)
                            .next_power_of_two()
                    })
                    .collect();
                let largest = sizes.iter().copied().max().unwrap_or(64);
                let shift = largest.trailing_zeros().max(16);
                let needed = (phbs.len() as u64 + 1) << shift;
                if needed > u32::MAX as u64 {
                    return Err(Error::Limit(format!(
                        "{} PHBs with pools of {largest} sources need source numbers past 2^32",
                        phbs.len()
                    )));
                }
                let mut ranges = vec![(ICS_BASE, ICS_COUNT)];
                let mut pools = Vec::new();
                for (k, &s) in sizes.iter().enumerate() {
                    let base = ((k as u32) + 1) << shift;
                    ranges.push((base, s as u32));
                    pools.push(BuddyPool::new(base, s as u32));
                }
                (Ics::new(ranges), Pools::Papr(pools))
            }
        };
        let mut m = Machine {
            profile: cfg.profile,
            phbs,
            ics,
            pools,
            servers: count_servers(tree)?,
            drops: DropCounters::default(),
            bare_metal: cfg.bare_metal,
            mpic,
            axon: crate::axon::Msic::from_tree(tree)?,
            ram: system_ram(tree)?,
            xive: None,
            queue_ram: Default::default(),
            mmio: Default::default(),
            msg_devices,
            ims: Default::default(),
        };
        m.claim_lsis()?;
        m.assign_bars();
        m.ims = m.ims_from_tree(tree, &node_of)?;
        if let Some(ax) = &m.axon {
            if !m.ics.claim(ax.cascade, SourceKind::Msi) {
                return Err(tree_err(
                    &ax.path,
                    format!(
                        "cascade source {:#x} is taken or lies outside every controller",
                        ax.cascade
                    ),
                ));
            }
        }
        if let Some(mp) = &m.mpic {
            // Every source not wired to a pin can take a message.
            for s in 0..mp.sources {
                m.ics.claim(s, SourceKind::Msi);
            }
        } else if m.bare_metal {
            for p in 0..m.phbs.len() {
                if let Some((first, count)) = m.bare_msi_range(p) {
                    for s in first..first.saturating_add(count) {
                        m.ics.claim(s, SourceKind::Msi);
                    }
                }
            }
        }
        Ok(m)
    }

    fn claim_lsis(&mut self) -> Result<(), Error> {
        for p in &self.phbs {
            // QEMU's fixed LSIs; an MPIC machine has only what its maps name.
            for pin in (0..4).filter(|_| self.mpic.is_none()) {
                let s = LSI_BASE + 4 * p.index + pin;
                if !self.ics.claim(s, SourceKind::Lsi)
                    && self.ics.source(s).map(|x| x.kind) != Some(SourceKind::Lsi)
                {
                    return Err(tree_err(
                        &p.path,
                        format!("LSI source {s:#x} lies outside every controller"),
                    ));
                }
            }
            for f in &p.functions {
                if let Some(l) = f.lsi {
                    if !self.ics.valid(l.source) {
                        return Err(tree_err(
                            &f.info.path,
                            format!("LSI source {:#x} lies outside every controller", l.source),
                        ));
                    }
                    self.ics.claim(l.source, SourceKind::Lsi);
                }
            }
        }
        Ok(())
    }
}
