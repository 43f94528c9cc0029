//! `ibm,change-msi` and `ibm,query-interrupt-source-number`, as LoPAPR specifies them
//! (papr profile) and as QEMU 7.2 implements them (qemu profile).

use crate::alloc::BlockKind;
use crate::faults::Fault;
use crate::firmware::{Args, Firmware, Pending, Rets};
use crate::ics::SourceKind;
use crate::machine::{FnRef, Profile, MSI_WINDOW, MSI_WINDOW_32};
use crate::pci::PciAddr;
use crate::phb::MsiBlock;
use crate::service::Service;
use papr_abi::status;

/// change-msi functions.
pub mod func {
    /// Query the current number of interrupts.
    pub const QUERY: u32 = 0;
    /// Set the number, platform's choice of MSI or MSI-X.
    pub const SET: u32 = 1;
    /// Reset to the default (no MSI); also aborts a change in progress.
    pub const RESET: u32 = 2;
    /// MSI.
    pub const MSI: u32 = 3;
    /// MSI-X.
    pub const MSIX: u32 = 4;
    /// MSI with 32-bit addresses.
    pub const MSI_32: u32 = 5;
    /// MSI-X with 32-bit addresses (Linux only).
    pub const MSIX_32: u32 = 6;
}

/// Interrupt type output of change-msi.
const TYPE_NONE: u32 = 0;
const TYPE_MSI: u32 = 1;
const TYPE_MSIX: u32 = 2;

fn type_of(kind: BlockKind) -> u32 {
    match kind {
        BlockKind::Msi => TYPE_MSI,
        BlockKind::Msix => TYPE_MSIX,
    }
}

impl Firmware {
    pub(crate) fn change_msi(&mut self, args: &Args, rets: &mut Rets) {
        match self.profile() {
            Profile::Qemu => self.change_msi_qemu(args, rets),
            Profile::Papr => self.change_msi_papr(args, rets),
        }
    }

    pub(crate) fn query_source(&mut self, args: &Args, rets: &mut Rets) {
        match self.profile() {
            Profile::Qemu => self.query_qemu(args, rets),
            Profile::Papr => self.query_papr(args, rets),
        }
    }

    /// Frees a function's block: sources back to the controller and the pool.
    fn free_block(&mut self, phb: usize, key: u32) -> Option<MsiBlock> {
        let b = self.machine.phbs[phb].msi.remove(&key)?;
        for s in b.first..b.first + b.count {
            self.machine.ics.free(s);
        }
        self.machine.pools.free(phb, b.first, b.reserved);
        Some(b)
    }

    /// Allocates and claims `count` sources; `reserve` is what the pool hands out.
    fn new_block(&mut self, phb: usize, count: u32, kind: BlockKind) -> Option<MsiBlock> {
        let reserve = match (self.profile(), kind) {
            (Profile::Papr, BlockKind::Msi) => count.next_power_of_two(),
            _ => count,
        };
        let first = match self.machine.pools.alloc(phb, reserve, kind) {
            Some(f) => f,
            None if !self.held.is_empty() => {
                self.release_held();
                self.machine.pools.alloc(phb, reserve, kind)?
            }
            None => return None,
        };
        for s in first..first + count {
            if let Some(x) = self.machine.xive.as_mut() {
                x.forget(s);
            }
            if !self.machine.ics.claim(s, SourceKind::Msi) {
                for t in first..s {
                    self.machine.ics.free(t);
                }
                self.machine.pools.free(phb, first, reserve);
                return None;
            }
        }
        Some(MsiBlock {
            first,
            count,
            reserved: reserve,
            kind,
            window: MSI_WINDOW,
        })
    }

    // ---------------------------------------------------------------- QEMU 7.2

    fn change_msi_qemu(&mut self, args: &Args, rets: &mut Rets) {
        let (Some(config_addr), Some(hi), Some(lo), Some(f), Some(req), Some(seq)) = (
            args.raw(0),
            args.raw(1),
            args.raw(2),
            args.raw(3),
            args.raw(4),
            args.raw(5),
        ) else {
            return rets.status(status::PARAM_ERROR);
        };
        let buid = (hi as u64) << 32 | lo as u64;
        let Some(r) = self.find_fn(buid, PciAddr::from_config_addr(config_addr).0) else {
            return rets.status(status::PARAM_ERROR);
        };
        let (has_msi, has_msix) = {
            let fun = self.machine.function(r);
            (fun.msi.is_some(), fun.msix.is_some())
        };
        let kind = match f {
            func::SET if has_msi => BlockKind::Msi,
            func::SET if has_msix => BlockKind::Msix,
            func::MSI if has_msi => BlockKind::Msi,
            func::MSIX if has_msix => BlockKind::Msix,
            _ => {
                log::debug!(
                    "qemu: change-msi function {f} is not implemented or not supported here"
                );
                return rets.status(status::PARAM_ERROR);
            }
        };
        let existing = self.machine.phbs[r.phb].msi.get(&config_addr).copied();
        if req == 0 {
            if existing.is_none() {
                log::debug!("qemu: releasing wrong config {config_addr:#x}");
                self.qtrace(|| {
                    format!("spapr_pci_msi Releasing wrong config (cfg={config_addr:#x})")
                });
                return rets.status(status::HW_ERROR);
            }
            let fun = self.machine.function_mut(r);
            if let Some(cap) = fun.msi {
                cap.set_message(&mut fun.config, 0, 0, None);
                let model = fun.info.model.clone();
                self.qtrace(|| format!("spapr_pci_msi_setup dev\"{model}\" vector 0, addr=0x0"));
            }
            self.free_block(r.phb, config_addr);
            self.qtrace(|| format!("spapr_pci_msi Released MSIs (cfg={config_addr:#x})"));
            rets.status(status::SUCCESS);
            rets.set(1, 0);
            return;
        }
        let max = {
            let fun = self.machine.function(r);
            match kind {
                BlockKind::Msi => fun.msi.map(|c| c.vectors_enabled(&fun.config)).unwrap_or(0),
                BlockKind::Msix => fun.msix.map(|c| c.table_size as u32).unwrap_or(0),
            }
        };
        let req = match self.faults.take(Service::ChangeMsi, false) {
            Some(Fault::HwError) => return rets.status(status::HW_ERROR),
            Some(Fault::Status(s)) => return rets.status(s),
            Some(Fault::Fewer(n)) => req.min(n.max(1)),
            _ => req,
        };
        let mut granted = req;
        let mut first = 0;
        if req > max {
            log::debug!("qemu: device at {config_addr:#x} asked {req}, have only {max}");
            self.qtrace(|| format!("spapr_pci_msi_retry Guest device at {config_addr:#x} asked {req}, have only {max}"));
            granted = max;
        } else {
            let Some(block) = self.new_block(r.phb, req, kind) else {
                return rets.status(status::HW_ERROR);
            };
            if existing.is_some() {
                self.free_block(r.phb, config_addr);
            }
            self.program(r, kind, MSI_WINDOW, block.first, req, false);
            self.machine.phbs[r.phb].msi.insert(config_addr, block);
            first = block.first;
        }
        self.qtrace(|| format!("spapr_pci_rtas_ibm_change_msi cfgaddr {config_addr:#x} func {f}, requested {granted}, first irq {first}"));
        rets.status(status::SUCCESS);
        rets.set(1, granted);
        rets.set(2, seq.wrapping_add(1));
        if rets.n() > 3 {
            rets.set(3, type_of(kind));
        }
    }

    fn query_qemu(&mut self, args: &Args, rets: &mut Rets) {
        let (Some(config_addr), Some(hi), Some(lo), Some(i)) =
            (args.raw(0), args.raw(1), args.raw(2), args.raw(3))
        else {
            return rets.status(status::PARAM_ERROR);
        };
        let buid = (hi as u64) << 32 | lo as u64;
        let Some(r) = self.find_fn(buid, PciAddr::from_config_addr(config_addr).0) else {
            return rets.status(status::PARAM_ERROR);
        };
        match self.machine.phbs[r.phb].msi.get(&config_addr) {
            Some(b) if b.first != 0 && b.count != 0 && i < b.count => {
                let src = b.first + i;
                self.qtrace(|| format!("spapr_pci_rtas_ibm_query_interrupt_source_number queries for #{i}, IRQ{src}"));
                rets.status(status::SUCCESS);
                rets.set(1, src);
                rets.set(2, 1);
            }
            _ => {
                self.qtrace(|| {
                    format!("spapr_pci_msi Failed to return vector (cfg={config_addr:#x})")
                });
                rets.status(status::HW_ERROR)
            }
        }
    }

    /// Writes a block's messages into the function.
    fn program(
        &mut self,
        r: FnRef,
        kind: BlockKind,
        window: u64,
        first: u32,
        count: u32,
        set_mme: bool,
    ) {
        if self.new_irq_scheme {
            // The new scheme: the hypervisor writes no device memory; the guest gets each
            // message by H_SIM_MSI_MESSAGE and writes it itself.
            return;
        }
        if self.qemu_tracing {
            let model = self.machine.function(r).info.model.clone();
            let n = if kind == BlockKind::Msi { 1 } else { count };
            for i in 0..n {
                self.qemu_trace.push(format!(
                    "spapr_pci_msi_setup dev\"{model}\" vector {i}, addr={window:#x}"
                ));
            }
        }
        let fun = self.machine.function_mut(r);
        match kind {
            BlockKind::Msi => {
                if let Some(cap) = fun.msi {
                    cap.set_message(&mut fun.config, window, first, set_mme.then_some(count));
                }
            }
            BlockKind::Msix => {
                if let Some(t) = fun.msix_table.as_mut() {
                    for i in 0..count {
                        t.set_message(i, window, first + i);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ LoPAPR

    /// Removes every MSI and MSI-X of a function and gives its LSI back.
    pub(crate) fn release_all(&mut self, r: FnRef) {
        let addr = self.machine.function(r).addr;
        while let Some((key, _)) = self.machine.phbs[r.phb].block_of(addr) {
            self.free_block(r.phb, key);
        }
        let fun = self.machine.function_mut(r);
        if let Some(cap) = fun.msi {
            cap.set_enabled(&mut fun.config, false);
            cap.set_message(&mut fun.config, 0, 0, Some(1));
        }
        if let Some(cap) = fun.msix {
            cap.set_enabled(&mut fun.config, false);
        }
        if let Some(t) = fun.msix_table.as_mut() {
            t.reset();
        }
        fun.set_intx_disabled(false);
    }

    fn change_msi_papr(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 6, &[3, 4]) {
            return;
        }
        let a = args.all();
        let (config_addr, buid, f, req, seq) =
            (a[0], (a[1] as u64) << 32 | a[2] as u64, a[3], a[4], a[5]);
        // LoPAPR: 4 outputs and functions 3 to 5 need `ibm,change-msix-capable`;
        // functions 0 to 2 with 3 outputs are the call's base form (R1-1).
        let capable = self.tokens.change_msix_capable;
        if (rets.n() == 4 || f > func::RESET) && !capable {
            log::debug!(
                "change-msi function {f} with {} outputs needs ibm,change-msix-capable",
                rets.n()
            );
            return rets.status(status::PARAM_ERROR);
        }
        let (addr, reg) = PciAddr::from_config_addr(config_addr);
        let found = self.find_fn(buid, addr);
        let (Some(r), 0) = (found, reg) else {
            return rets.status(status::PARAM_ERROR);
        };
        if f > func::MSIX_32 {
            return rets.status(status::PARAM_ERROR);
        }
        let (req_msi, req_msix) = {
            let fun = self.machine.function(r);
            (
                fun.msi.map(|_| fun.info.req_msi.unwrap_or(0)),
                fun.msix.map(|_| fun.info.req_msix.unwrap_or(0)),
            )
        };
        let kind = match f {
            func::SET if req_msi.is_some() => Some(BlockKind::Msi),
            func::SET if req_msix.is_some() => Some(BlockKind::Msix),
            func::MSI | func::MSI_32 if req_msi.is_some() => Some(BlockKind::Msi),
            func::MSIX | func::MSIX_32 if req_msix.is_some() => Some(BlockKind::Msix),
            func::QUERY | func::RESET => None,
            _ => return rets.status(status::PARAM_ERROR),
        };

        // Continuations: the same inputs with the sequence number we returned.
        let me = Pending {
            buid,
            config_addr,
            func: f,
            count: req,
            seq,
        };
        match self.pending {
            Some(p)
                if f == func::RESET
                    && seq == 1
                    && (p.buid, p.config_addr) == (buid, config_addr) =>
            {
                log::debug!("change-msi: function 2 aborts the change in progress");
                self.pending = None;
            }
            Some(p) if p == me => self.pending = None,
            _ if seq != 1 => {
                log::debug!("change-msi: sequence number {seq} continues nothing");
                return rets.status(status::PARAM_ERROR);
            }
            _ => self.pending = None,
        }
        let busy_ok = req != 0 && f != func::QUERY && f != func::RESET && self.msi_busy_allowed();
        let mut limit = u32::MAX;
        match self.faults.take(Service::ChangeMsi, busy_ok) {
            Some(fault @ (Fault::Busy | Fault::Delay(_))) if busy_ok => {
                let st = match fault {
                    Fault::Delay(d) => status::EXTENDED_DELAY_BASE + d.min(5) as i32,
                    _ => status::BUSY,
                };
                let next = seq.wrapping_add(1);
                self.pending = Some(Pending { seq: next, ..me });
                rets.status(st);
                rets.set(1, 0);
                rets.set(2, next);
                return;
            }
            Some(Fault::HwError) => return rets.status(status::HW_ERROR),
            Some(Fault::Status(s)) => return rets.status(s),
            Some(Fault::Fewer(n)) => limit = n,
            _ => {}
        }

        let current = self.machine.block(r);
        let (count, ty) = match (f, kind) {
            (func::QUERY, _) => (
                current.map(|b| b.count).unwrap_or(0),
                current.map(|b| type_of(b.kind)).unwrap_or(TYPE_NONE),
            ),
            (func::RESET, _) | (_, None) => {
                self.release_all(r);
                (0, TYPE_NONE)
            }
            (_, Some(_)) if req == 0 => {
                self.release_all(r);
                (0, TYPE_NONE)
            }
            (_, Some(kind)) => {
                let most = match kind {
                    BlockKind::Msi => {
                        let cap = self
                            .machine
                            .function(r)
                            .msi
                            .map(|c| c.capable())
                            .unwrap_or(0);
                        req_msi.unwrap_or(0).min(cap)
                    }
                    BlockKind::Msix => {
                        let size = self
                            .machine
                            .function(r)
                            .msix
                            .map(|c| c.table_size as u32)
                            .unwrap_or(0);
                        req_msix.unwrap_or(0).min(size)
                    }
                };
                let mut want = req.min(most).min(limit);
                let block = loop {
                    if want == 0 {
                        break None;
                    }
                    if let Some(b) = self.new_block(r.phb, want, kind) {
                        break Some(b);
                    }
                    // Grant less: the largest power of two below what did not fit.
                    want = if want.is_power_of_two() {
                        want / 2
                    } else {
                        1 << (31 - want.leading_zeros())
                    };
                };
                let Some(mut block) = block else {
                    return rets.status(status::HW_ERROR);
                };
                // New block first, then the old ones go: numbers are never reused in place.
                let addr = self.machine.function(r).addr;
                while let Some((key, _)) = self.machine.phbs[r.phb].block_of(addr) {
                    self.free_block(r.phb, key);
                }
                let window = if f == func::MSI_32 || f == func::MSIX_32 {
                    MSI_WINDOW_32
                } else {
                    MSI_WINDOW
                };
                block.window = window;
                let fun = self.machine.function_mut(r);
                if let Some(t) = fun.msix_table.as_mut() {
                    t.reset();
                }
                self.program(r, kind, window, block.first, block.count, true);
                let fun = self.machine.function_mut(r);
                if let Some(cap) = fun.msi {
                    cap.set_enabled(&mut fun.config, kind == BlockKind::Msi);
                }
                if let Some(cap) = fun.msix {
                    cap.set_enabled(&mut fun.config, kind == BlockKind::Msix);
                }
                fun.set_intx_disabled(true);
                self.machine.phbs[r.phb].msi.insert(config_addr, block);
                (block.count, type_of(kind))
            }
        };
        rets.status(status::SUCCESS);
        rets.set(1, count);
        rets.set(2, seq.wrapping_add(1));
        rets.set(3, ty);
    }

    fn query_papr(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 4, &[3]) {
            return;
        }
        let a = args.all();
        let buid = (a[1] as u64) << 32 | a[2] as u64;
        let (addr, reg) = PciAddr::from_config_addr(a[0]);
        let (Some(r), 0) = (self.find_fn(buid, addr), reg) else {
            return rets.status(status::PARAM_ERROR);
        };
        match self.machine.block(r) {
            Some(b) if a[3] < b.count => {
                rets.status(status::SUCCESS);
                rets.set(1, b.first + a[3]);
                rets.set(2, 1);
            }
            _ => rets.status(status::NO_INTERRUPT),
        }
    }
}
