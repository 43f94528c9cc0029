//! A simulated pSeries machine: its PHBs and functions, interrupt controllers and MSI
//! pools, built from a device tree, and the delivery of signalled vectors.

use crate::alloc::{BuddyPool, Pools, QemuPool};
use crate::error::{tree_err, Error};
use crate::ics::{Ics, SourceKind};
use crate::pci::{PciAddr, PciFunction};
use crate::phb::{Phb, QEMU_BUID_BASE};
use of_tree::{NodeId, Tree};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Firmware behaviour: what the spec says, or what QEMU 7.2 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Profile {
    /// LoPAPR.
    Papr,
    /// QEMU 7.2, bug for bug.
    Qemu,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "papr" => Ok(Profile::Papr),
            "qemu" => Ok(Profile::Qemu),
            o => Err(format!("unknown profile '{o}': use papr or qemu")),
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Profile::Papr => "papr",
            Profile::Qemu => "qemu",
        })
    }
}

/// How to build a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineConfig {
    /// Firmware behaviour (and allocation policy).
    pub profile: Profile,
    /// PAPR only: MSI sources per PHB pool, overriding what the tree implies.
    pub pool_size: Option<u32>,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            profile: Profile::Papr,
            pool_size: None,
        }
    }
}

/// The address of QEMU's MSI window: a message written here with data N triggers
/// source N.
pub const MSI_WINDOW: u64 = 0x400_0000_0000;
/// The MSI window below 4 GiB, for functions that cannot send 64-bit addresses
/// (change-msi functions 5 and 6 in the papr profile).
pub const MSI_WINDOW_32: u64 = 0xfff0_0000;
/// The controller every machine has: QEMU's XICS range.
pub const ICS_BASE: u32 = 0x1000;
/// Sources in that controller.
pub const ICS_COUNT: u32 = 0x1000;
/// QEMU's first PCI LSI: PHB n's pins are at 0x1200 + 4n.
pub const LSI_BASE: u32 = 0x1200;

/// Counters of messages that reached no source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCounters {
    /// Address was not the MSI window.
    pub bad_address: u64,
    /// Data named a source the function does not own.
    pub not_owner: u64,
    /// Data named a source of another partition (the function's PE was frozen).
    pub cross_partition: u64,
    /// The function's PE was frozen.
    pub frozen: u64,
    /// The function had neither MSI nor MSI-X enabled, or no such vector.
    pub disabled: u64,
}

/// What became of a signalled vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// The message reached this source (presented, or held there while it is masked).
    Delivered {
        /// Global source number.
        source: u32,
    },
    /// The vector is masked in the function: its pending bit is set.
    PendingInDevice,
    /// The message reached nothing.
    Dropped,
}

/// The machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Firmware behaviour.
    pub profile: Profile,
    /// PHBs in tree order.
    pub phbs: Vec<Phb>,
    /// Interrupt source controllers.
    pub ics: Ics,
    /// MSI pools.
    pub pools: Pools,
    /// Number of interrupt servers (CPU threads).
    pub servers: u32,
    /// Dropped messages.
    pub drops: DropCounters,
}

/// A function by PHB and position, as the machine's callers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FnRef {
    /// Index into [`Machine::phbs`].
    pub phb: usize,
    /// Index into the PHB's functions.
    pub func: usize,
}

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

/// A PHB's `interrupt-map`, read once: entries up to the first bad one.
struct LsiMap {
    mask: [u32; 4],
    /// (masked child unit address and pin, parent's first interrupt cell)
    entries: Vec<([u32; 4], u32)>,
    /// What is wrong with the entry after the good ones (unknown parent, cut short).
    bad_tail: Option<String>,
}

impl LsiMap {
    /// The PHB's map, or None when it has none.
    fn read(tree: &Tree, phb: NodeId) -> Result<Option<LsiMap>, Error> {
        let at = tree.at(phb);
        let (Some(map), mask) = (at.cells("interrupt-map")?, at.cells("interrupt-map-mask")?)
        else {
            return Ok(None);
        };
        let mask: [u32; 4] = match mask {
            None => [u32::MAX; 4],
            Some(m) => m
                .as_slice()
                .try_into()
                .map_err(|_| tree_err(at.path(), "'interrupt-map-mask' must have 4 cells"))?,
        };
        let mut parents: HashMap<u32, Result<usize, String>> = HashMap::new();
        let mut entries = Vec::new();
        let mut bad_tail = None;
        let mut i = 0;
        while i + 5 <= map.len() {
            let ph = map[i + 4];
            let pcells = parents.entry(ph).or_insert_with(|| {
                let parent = tree
                    .find_phandle(ph)
                    .ok_or_else(|| format!("names phandle {ph:#x}, which no node has"))?;
                let cells = tree
                    .at(parent)
                    .u32("#interrupt-cells")
                    .map_err(|e| e.to_string())?;
                Ok(cells.unwrap_or(2) as usize)
            });
            let pcells = match pcells {
                Ok(n) => *n,
                Err(why) => {
                    bad_tail = Some(why.clone());
                    break;
                }
            };
            let end = i + 5 + pcells;
            if end > map.len() || pcells == 0 {
                bad_tail = Some(format!("entry at cell {i} runs past the end"));
                break;
            }
            let child = [
                map[i] & mask[0],
                map[i + 1] & mask[1],
                map[i + 2] & mask[2],
                map[i + 3] & mask[3],
            ];
            entries.push((child, map[i + 5]));
            i = end;
        }
        Ok(Some(LsiMap {
            mask,
            entries,
            bad_tail,
        }))
    }

    /// The global source the map gives a pin on bus 0, if it says.
    fn lookup(&self, addr: PciAddr, pin: u8) -> Result<Option<u32>, &str> {
        let key = [
            addr.config_addr() & self.mask[0],
            0,
            0,
            pin as u32 & self.mask[3],
        ];
        if let Some(&(_, s)) = self.entries.iter().find(|(c, _)| *c == key) {
            return Ok(Some(s));
        }
        match &self.bad_tail {
            Some(why) => Err(why),
            None => Ok(None),
        }
    }
}

/// Functions below a bus node, depth first, bridges before what lies behind them.
fn collect_functions(tree: &Tree, bus: NodeId, out: &mut Vec<NodeId>) {
    out.extend(pci_functions_below(tree, bus));
}

/// The PCI functions below a bus node (nodes with `reg`), bridges before what lies
/// behind them, in tree order.
pub fn pci_functions_below(tree: &Tree, bus: NodeId) -> Vec<NodeId> {
    let has_reg = |t: &Tree, n: NodeId| t.node(n).prop("reg").is_some();
    let is_bridge =
        |t: &Tree, n: NodeId| t.at(n).string("device_type").ok().flatten() == Some("pci");
    tree.descendants(bus, |t, n| has_reg(t, n) && is_bridge(t, n))
        .into_iter()
        .filter(|&n| has_reg(tree, n))
        .collect()
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
            collect_functions(tree, pn, &mut fn_nodes);
            let mut functions = Vec::with_capacity(fn_nodes.len());
            let lsi_map = LsiMap::read(tree, pn);
            for fnode in fn_nodes {
                let f = PciFunction::from_node(tree, fnode, |addr, pin| {
                    // Behind a bridge: swizzle up to the bridge on bus 0, then use the map.
                    let (addr0, pin0) = if addr.bus == 0 {
                        (addr, pin)
                    } else {
                        let bridge_reg = tree
                            .node(fnode)
                            .parent()
                            .and_then(|p| tree.at(p).reg().ok().flatten())
                            .and_then(|r| r.first().and_then(|e| e.address.first().copied()))
                            .ok_or("the bridge above it has no usable 'reg'")?;
                        let bridge = PciAddr {
                            bus: (bridge_reg >> 16) as u8,
                            devfn: (bridge_reg >> 8) as u8,
                        };
                        (bridge, ((pin - 1 + addr.device()) % 4) + 1)
                    };
                    let mapped = match &lsi_map {
                        Ok(Some(m)) => m.lookup(addr0, pin0),
                        Ok(None) => Ok(None),
                        Err(e) => return Err(e.to_string()),
                    };
                    match mapped {
                        Ok(Some(s)) => Ok(s),
                        Ok(None) => Ok(LSI_BASE
                            + 4 * index
                            + ((addr0.device() as u32 + pin0 as u32 - 1) % 4)),
                        Err(why) => Err(format!("{path}: 'interrupt-map' {why}")),
                    }
                })?;
                if functions.iter().any(|g: &PciFunction| g.addr == f.addr) {
                    return Err(tree_err(
                        &f.info.path,
                        format!("a second function at {}", f.addr),
                    ));
                }
                functions.push(f);
            }
            let pe_total = at.u32("ibm,pe-total-#msi")?;
            let mut phb = Phb::new(index, buid, path, pe_total, functions);
            phb.partition = at.u32("pseries-sim,partition")?.unwrap_or(0);
            phbs.push(phb);
        }
        let (ics, pools) = match cfg.profile {
            Profile::Qemu => (
                Ics::new(vec![(ICS_BASE, ICS_COUNT)]),
                Pools::Qemu(QemuPool::qemu()),
            ),
            Profile::Papr => {
                let sizes: Vec<u64> = phbs
                    .iter()
                    .map(|p| {
                        let want: u64 = p
                            .functions
                            .iter()
                            .map(|f| {
                                let msi =
                                    f.info.req_msi.unwrap_or(0).min(32).next_power_of_two() as u64;
                                let msix = f.info.req_msix.unwrap_or(0) as u64;
                                msi.max(msix)
                            })
                            .sum();
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
        };
        m.claim_lsis()?;
        Ok(m)
    }

    fn claim_lsis(&mut self) -> Result<(), Error> {
        for p in &self.phbs {
            for pin in 0..4 {
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

    /// The PHB with a BUID.
    pub fn phb_by_buid(&self, buid: u64) -> Option<usize> {
        self.phbs.iter().position(|p| p.buid == buid)
    }

    /// The PHB with a number (the PCI domain).
    pub fn phb_by_index(&self, index: u32) -> Option<usize> {
        self.phbs.iter().position(|p| p.index == index)
    }

    /// A function by BUID and address.
    pub fn find(&self, buid: u64, addr: PciAddr) -> Option<FnRef> {
        let phb = self.phb_by_buid(buid)?;
        let func = self.phbs[phb].find(addr)?;
        Some(FnRef { phb, func })
    }

    /// A function.
    pub fn function(&self, r: FnRef) -> &PciFunction {
        &self.phbs[r.phb].functions[r.func]
    }

    /// A function, mutable.
    pub fn function_mut(&mut self, r: FnRef) -> &mut PciFunction {
        &mut self.phbs[r.phb].functions[r.func]
    }

    /// Every function, in order.
    pub fn functions(&self) -> impl Iterator<Item = FnRef> + '_ {
        self.phbs
            .iter()
            .enumerate()
            .flat_map(|(p, phb)| (0..phb.functions.len()).map(move |f| FnRef { phb: p, func: f }))
    }

    /// The function's MSI block, if it holds one.
    pub fn block(&self, r: FnRef) -> Option<crate::phb::MsiBlock> {
        let addr = self.function(r).addr;
        self.phbs[r.phb].block_of(addr).map(|(_, b)| b)
    }

    /// The function signals vector `i`: the message in its MSI capability or MSI-X
    /// entry goes out, unless the vector is masked (then its pending bit is set).
    pub fn signal(&mut self, r: FnRef, i: u32) -> Signal {
        if self.function(r).frozen {
            self.drops.frozen += 1;
            return Signal::Dropped;
        }
        /// What the function does with vector i.
        enum Out {
            Send(u64, u32),
            Pending,
            Nothing,
        }
        let f = &mut self.phbs[r.phb].functions[r.func];
        let mut out = Out::Nothing;
        if let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_mut()) {
            if cap.enabled(&f.config) && i < t.len() as u32 {
                out = if cap.function_masked(&f.config) || t.masked(i) {
                    t.set_pending(i, true);
                    Out::Pending
                } else {
                    t.message(i).map_or(Out::Nothing, |(a, d)| Out::Send(a, d))
                };
            }
        }
        if let (Out::Nothing, Some(cap)) = (&out, f.msi) {
            if cap.enabled(&f.config) && i < cap.vectors_enabled(&f.config) {
                out = if cap.masked(&f.config, i) {
                    cap.set_pending(&mut f.config, i, true);
                    Out::Pending
                } else {
                    let (a, d) = cap.message(&f.config, i);
                    Out::Send(a, d)
                };
            }
        }
        match out {
            Out::Nothing => {
                self.drops.disabled += 1;
                Signal::Dropped
            }
            Out::Pending => Signal::PendingInDevice,
            Out::Send(addr, data) => self.deliver(r, addr, data),
        }
    }

    /// Whether PHBs belong to more than one partition.
    pub fn partitioned(&self) -> bool {
        self.phbs
            .iter()
            .any(|p| p.partition != self.phbs[0].partition)
    }

    /// The partition a source belongs to: that of the PHB whose LSI, MSI block or
    /// MSI pool it is in; `None` for sources no PHB has.
    pub fn partition_of_source(&self, src: u32) -> Option<u32> {
        for p in &self.phbs {
            let lsis = p.index.checked_mul(4).and_then(|i| i.checked_add(LSI_BASE));
            if lsis.is_some_and(|l| src.checked_sub(l).is_some_and(|d| d < 4))
                || p.functions
                    .iter()
                    .any(|f| f.lsi.map(|l| l.source) == Some(src))
                || p.msi
                    .values()
                    .any(|b| src >= b.first && src - b.first < b.reserved)
            {
                return Some(p.partition);
            }
        }
        if let Pools::Papr(pools) = &self.pools {
            for (i, pool) in pools.iter().enumerate() {
                if src >= pool.base() && src - pool.base() < pool.size() {
                    return self.phbs.get(i).map(|p| p.partition);
                }
            }
        }
        None
    }

    /// A message write from a function reaches the MSI window.
    pub fn deliver(&mut self, r: FnRef, addr: u64, data: u32) -> Signal {
        if self.function(r).frozen {
            self.drops.frozen += 1;
            return Signal::Dropped;
        }
        if addr != MSI_WINDOW && !(addr == MSI_WINDOW_32 && self.profile == Profile::Papr) {
            self.drops.bad_address += 1;
            log::debug!("message to {addr:#x} is outside the MSI window: dropped");
            return Signal::Dropped;
        }
        if self.partitioned() {
            let mine = self.phbs[r.phb].partition;
            if let Some(other) = self.partition_of_source(data).filter(|&p| p != mine) {
                self.drops.cross_partition += 1;
                self.phbs[r.phb].functions[r.func].frozen = true;
                log::warn!(
                    "{}: message data {data:#x} names a source of partition {other}: dropped, PE frozen",
                    self.function(r).info.path
                );
                return Signal::Dropped;
            }
        }
        let owned = self
            .block(r)
            .is_some_and(|b| data >= b.first && data < b.first + b.count);
        if !owned || !self.ics.trigger(data) {
            self.drops.not_owner += 1;
            log::debug!("message data {data:#x} names no source of this function: dropped");
            return Signal::Dropped;
        }
        Signal::Delivered { source: data }
    }

    /// Sends what a function held pending in its MSI-X table or MSI pending bits once
    /// the vector is unmasked and enabled.
    pub fn flush_pending(&mut self, r: FnRef) -> Vec<Signal> {
        let mut out = Vec::new();
        let f = &self.phbs[r.phb].functions[r.func];
        let mut msix_ready = Vec::new();
        if let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_ref()) {
            if cap.enabled(&f.config) && !cap.function_masked(&f.config) {
                msix_ready = (0..t.len() as u32)
                    .filter(|&i| t.pending(i) && !t.masked(i))
                    .collect();
            }
        }
        let mut msi_ready = Vec::new();
        if let Some(cap) = f.msi {
            if cap.enabled(&f.config) {
                let p = cap.pending(&f.config);
                msi_ready = (0..32)
                    .filter(|&i| p >> i & 1 != 0 && !cap.masked(&f.config, i))
                    .collect();
            }
        }
        for i in msix_ready {
            if let Some(t) = self.phbs[r.phb].functions[r.func].msix_table.as_mut() {
                t.set_pending(i, false);
            }
            out.push(self.signal(r, i));
        }
        for i in msi_ready {
            let f = &mut self.phbs[r.phb].functions[r.func];
            if let Some(cap) = f.msi {
                cap.set_pending(&mut f.config, i, false);
            }
            out.push(self.signal(r, i));
        }
        out
    }

    /// An OS access to the MSI-X table or PBA in BAR memory (`bar`, byte `offset`).
    pub fn bar_read(
        &self,
        r: FnRef,
        bar: u8,
        offset: u32,
        size: u32,
    ) -> Result<u64, crate::config::AccessError> {
        if self.function(r).frozen {
            return Ok(if size == 8 { u64::MAX } else { u32::MAX as u64 });
        }
        let f = self.function(r);
        let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_ref()) else {
            return Err(crate::config::AccessError::OutOfRange {
                offset,
                size,
                limit: 0,
            });
        };
        if bar == cap.pba_bir
            && offset >= cap.pba_offset
            && offset - cap.pba_offset < cap.pba_bytes()
        {
            return t.read_pba(offset - cap.pba_offset, size);
        }
        if bar == cap.table_bir && offset >= cap.table_offset {
            return t.read_table(offset - cap.table_offset, size);
        }
        Err(crate::config::AccessError::OutOfRange {
            offset,
            size,
            limit: cap.table_bytes(),
        })
    }

    /// An OS write to the MSI-X table; unmasking sends what was pending.
    pub fn bar_write(
        &mut self,
        r: FnRef,
        bar: u8,
        offset: u32,
        size: u32,
        value: u64,
    ) -> Result<Vec<Signal>, crate::config::AccessError> {
        if self.function(r).frozen {
            return Ok(Vec::new());
        }
        let f = self.function_mut(r);
        let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_mut()) else {
            return Err(crate::config::AccessError::OutOfRange {
                offset,
                size,
                limit: 0,
            });
        };
        if bar != cap.table_bir || offset < cap.table_offset {
            return Err(crate::config::AccessError::OutOfRange {
                offset,
                size,
                limit: cap.table_bytes(),
            });
        }
        t.write_table(offset - cap.table_offset, size, value)?;
        Ok(self.flush_pending(r))
    }

    /// Records (or with `None`, removes) the block a bare-metal OS programmed into a
    /// function itself, so that its messages are routed; the firmware does this in
    /// change-msi.
    pub fn set_block(&mut self, r: FnRef, block: Option<crate::phb::MsiBlock>) {
        let key = self.function(r).addr.config_addr();
        let phb = &mut self.phbs[r.phb];
        match block {
            Some(b) => {
                phb.msi.insert(key, b);
            }
            None => {
                phb.msi.remove(&key);
            }
        }
    }

    /// Checks that a state read from outside is self-consistent, so that nothing
    /// indexes out of bounds later.
    pub fn validate(&self) -> Result<(), String> {
        for p in &self.phbs {
            p.validate()?;
            for f in &p.functions {
                let size = f.config.size();
                let regs = f.config.stored_len();
                if !f.config.consistent() || !(size == 256 || size == 4096) {
                    return Err(format!("{}: config space of a bad shape", f.info.path));
                }
                if let Some(c) = f.msi {
                    if c.offset as u32 + c.len() as u32 > regs || c.mmc > 5 {
                        return Err(format!("{}: MSI capability out of place", f.info.path));
                    }
                }
                match (&f.msix, &f.msix_table) {
                    (Some(c), Some(t)) => {
                        if c.offset as u32 + crate::config::MsixCap::LEN as u32 > regs
                            || t.len() != c.table_size as usize
                            || !t.consistent()
                            || c.table_size == 0
                            || c.table_size as u32 > crate::pci::MAX_MSIX_VECTORS
                        {
                            return Err(format!(
                                "{}: MSI-X capability or table out of shape",
                                f.info.path
                            ));
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(format!(
                            "{}: MSI-X capability without its table",
                            f.info.path
                        ))
                    }
                }
            }
            for b in p.msi.values() {
                if b.first.checked_add(b.reserved).is_none() || b.count > b.reserved {
                    return Err(format!("{}: MSI block out of range", p.path));
                }
            }
        }
        self.ics.validate()?;
        match &self.pools {
            Pools::Qemu(_) => Ok(()),
            Pools::Papr(v) => v.iter().try_for_each(|p| p.validate()),
        }
    }

    /// Whether `other` has this machine's hardware: everything the tree decides (PHBs
    /// with their numbers, BUIDs, paths, partitions and pools; functions with their
    /// addresses, identities, BARs, capabilities and pins), as opposed to state. Says
    /// the first difference.
    pub fn same_hardware(&self, other: &Machine) -> Result<(), String> {
        if self.profile != other.profile || self.phbs.len() != other.phbs.len() {
            return Err("another profile or number of PHBs".into());
        }
        for (a, b) in self.phbs.iter().zip(&other.phbs) {
            if (a.index, a.buid, &a.path, a.pe_total_msi, a.partition)
                != (b.index, b.buid, &b.path, b.pe_total_msi, b.partition)
                || a.functions.len() != b.functions.len()
            {
                return Err(format!("{}: another PHB", a.path));
            }
            for (f, g) in a.functions.iter().zip(&b.functions) {
                let shape = |f: &PciFunction| {
                    (
                        f.addr,
                        f.info.clone(),
                        f.bars.clone(),
                        f.msi,
                        f.msix,
                        f.lsi,
                        f.config.size(),
                    )
                };
                if shape(f) != shape(g) {
                    return Err(format!("{}: another function", f.info.path));
                }
            }
        }
        let pools = |m: &Machine| -> Vec<(u32, u32)> {
            match &m.pools {
                Pools::Qemu(q) => vec![(q.base(), q.size())],
                Pools::Papr(v) => v.iter().map(|p| (p.base(), p.size())).collect(),
            }
        };
        if pools(self) != pools(other) {
            return Err("other MSI pools".into());
        }
        Ok(())
    }

    /// Sources owned by more than one function, or by a function and the free pool
    /// (a consistency check for tests).
    pub fn ownership_problems(&self) -> Vec<String> {
        let mut seen = std::collections::HashMap::new();
        let mut out = Vec::new();
        for p in &self.phbs {
            for (k, b) in &p.msi {
                for s in b.first..b.first + b.reserved {
                    if let Some(prev) = seen.insert(s, (p.index, *k)) {
                        out.push(format!(
                            "source {s:#x} owned by {prev:?} and {:?}",
                            (p.index, *k)
                        ));
                    }
                    if self.ics.source(s).map(|x| x.kind) != Some(SourceKind::Msi)
                        && s < b.first + b.count
                    {
                        out.push(format!("source {s:#x} assigned but not claimed"));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        assert_eq!("qemu".parse::<Profile>(), Ok(Profile::Qemu));
        assert!("x".parse::<Profile>().is_err());
        assert_eq!(Profile::Papr.to_string(), "papr");
    }

    fn phb_with_map(map: &str) -> (Tree, NodeId) {
        let src = format!(
            "/dts-v1/; / {{ ics: ics {{ #interrupt-cells = <2>; phandle = <0x10>; }}; \
             pci {{ interrupt-map-mask = <0xf800 0 0 7>; interrupt-map = <{map}>; }}; }};"
        );
        let tree = of_tree::dts::parse_str(&src, "t.dts").unwrap();
        let phb = tree.find("/pci").unwrap();
        (tree, phb)
    }

    fn addr(dev: u8) -> PciAddr {
        PciAddr {
            bus: 0,
            devfn: dev << 3,
        }
    }

    #[test]
    fn interrupt_map_lookup() {
        let (tree, phb) = phb_with_map(
            "0x0800 0 0 1 0x10 0x1020 1  0x0800 0 0 2 0x10 0x1021 1  0x1000 0 0 1 0x10 0x1022 1",
        );
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        assert_eq!(m.lookup(addr(1), 1), Ok(Some(0x1020)));
        assert_eq!(m.lookup(addr(1), 2), Ok(Some(0x1021)));
        // The mask drops the function number.
        let f3 = PciAddr {
            bus: 0,
            devfn: (2 << 3) | 3,
        };
        assert_eq!(m.lookup(f3, 1), Ok(Some(0x1022)));
        assert_eq!(m.lookup(addr(3), 1), Ok(None));
    }

    #[test]
    fn interrupt_map_bad_entries() {
        // An unknown parent after a good entry: the good one still maps, others fail.
        let (tree, phb) = phb_with_map("0x0800 0 0 1 0x10 0x1020 1  0x1000 0 0 1 0x99 0x1022 1");
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        assert_eq!(m.lookup(addr(1), 1), Ok(Some(0x1020)));
        let why = m.lookup(addr(2), 1).unwrap_err();
        assert!(why.contains("phandle 0x99"), "{why}");
        // An entry cut short.
        let (tree, phb) = phb_with_map("0x0800 0 0 1 0x10 0x1020");
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        let why = m.lookup(addr(1), 1).unwrap_err();
        assert!(why.contains("cell 0 runs past the end"), "{why}");
        // A mask of the wrong size is an error naming the PHB.
        let src =
            "/dts-v1/; / { pci { interrupt-map-mask = <0xf800 0 0>; interrupt-map = <0>; }; };";
        let tree = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let phb = tree.find("/pci").unwrap();
        let e = LsiMap::read(&tree, phb).err().unwrap().to_string();
        assert!(e.contains("/pci") && e.contains("4 cells"), "{e}");
    }
}
