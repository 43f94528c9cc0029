//! The machine: what it holds, and the queries and source operations the other parts
//! build on.

use super::mmio_map::MmioMap;
use super::profile::Profile;
use super::types::{DropCounters, FnRef, GuestRam, LSI_BASE, QUEUE_RAM_BASE, QUEUE_RAM_PER_SERVER};
use crate::alloc::Pools;
use crate::ics::Ics;
use crate::pci::{PciAddr, PciFunction};
use crate::phb::Phb;
use serde::{Deserialize, Serialize};

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
    /// Bare metal (see [`MachineConfig::bare_metal`](super::MachineConfig::bare_metal)).
    pub bare_metal: bool,
    /// The MPIC, on a U3/U4 machine (its sources are the controller's, from 0). Not in
    /// state blobs (their format predates it): rebuilt from the tree, its registers
    /// derived from the saved source state (see [`crate::mpic::Mpic::sync_from`]).
    #[serde(skip)]
    pub mpic: Option<crate::mpic::Mpic>,
    /// The Axon MSIC, on a Cell blade. Not in state blobs (rebuilt from the tree; its
    /// FIFO state is not kept over a restore).
    #[serde(skip)]
    pub axon: Option<crate::axon::Msic>,
    /// System memory devices write to (the `/memory` node's first range; empty when the
    /// tree has none). Not in state blobs.
    #[serde(skip)]
    pub ram: crate::axon::Ram,
    /// The XIVE controller, once CAS chose XIVE exploitation.
    #[serde(default)]
    pub xive: Option<crate::xive::Xive>,
    /// The partition's RAM where the OS puts its XIVE event queues (OS memory: not
    /// saved).
    #[serde(skip)]
    pub queue_ram: GuestRam,
    #[serde(skip)]
    pub(crate) mmio: MmioMap,
    /// The non-PCI MSI devices (see [`crate::msgdev`]). Not in state blobs (their format
    /// predates them): rebuilt from the tree, kept live over a restore.
    #[serde(skip)]
    pub msg_devices: Vec<crate::msgdev::MsgDevice>,
    /// Every function's IMS store (see [`crate::ims`]). Not in state blobs: rebuilt from
    /// the tree, kept live over a restore.
    #[serde(skip)]
    pub ims: std::collections::BTreeMap<FnRef, crate::ims::ImsStore>,
}

impl Machine {
    /// A trigger reaches a source: through XIVE once negotiated, else XICS. False when
    /// the number is invalid or the source free.
    pub fn trigger_source(&mut self, src: u32) -> bool {
        match self.xive.as_mut() {
            Some(x) => {
                let claimed = self
                    .ics
                    .source(src)
                    .is_some_and(|s| s.kind != crate::ics::SourceKind::Free);
                if claimed {
                    x.trigger(src, &mut self.queue_ram);
                }
                claimed
            }
            None => self.ics.trigger(src),
        }
    }

    /// Switches the machine to XIVE exploitation: the controller in its reset state,
    /// RAM for the OS's queues.
    pub fn enable_xive(&mut self) {
        self.xive = Some(crate::xive::Xive::default());
        let len = QUEUE_RAM_PER_SERVER * self.servers.max(1) as u64;
        self.queue_ram = GuestRam(crate::memory::Memory::new(QUEUE_RAM_BASE, len as usize));
    }

    /// A bare-metal PHB's MSI range (first source, count): its PAPR pool, or an equal
    /// share of QEMU's pool. `None` on firmware-managed machines.
    pub fn bare_msi_range(&self, phb: usize) -> Option<(u32, u32)> {
        if !self.bare_metal || self.mpic.is_some() || self.axon.is_some() || phb >= self.phbs.len()
        {
            return None;
        }
        match &self.pools {
            Pools::Papr(v) => v.get(phb).map(|p| (p.base(), p.size())),
            Pools::Qemu(q) => {
                let share = (q.size() / self.phbs.len() as u32) & !31;
                Some((q.base() + share * phb as u32, share))
            }
        }
    }

    /// Takes `n` consecutive sources from a PHB's pool and claims each for MSI (their
    /// XIVE state reset); None, with nothing taken, when the pool or a claim fails.
    pub fn claim_msi_run(&mut self, phb: usize, n: u32) -> Option<u32> {
        let first = self.pools.alloc(phb, n, crate::alloc::BlockKind::Msix)?;
        for s in first..first + n {
            if let Some(x) = self.xive.as_mut() {
                x.forget(s);
            }
            if !self.ics.claim(s, crate::ics::SourceKind::Msi) {
                for t in first..s {
                    self.ics.free(t);
                }
                self.pools.free(phb, first, n);
                return None;
            }
        }
        Some(first)
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
}
