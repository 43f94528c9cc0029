//! The RTAS entry point: a call buffer in OS memory is decoded, dispatched by token to
//! a service, and its outputs written back. The typed API goes through the same path.

use crate::calllog::CallRecord;
use crate::clock::SimClock;
use crate::error::Error;
use crate::faults::FaultPlan;
use crate::machine::{Machine, MachineConfig, Profile};
use crate::memory::Memory;
use crate::service::{Service, Tokens};
use of_tree::Tree;
use papr_abi::status;
use serde::{Deserialize, Serialize};

pub(crate) use crate::call_cells::{Args, Rets};
pub use crate::call_cells::{Cells, MAX_CELLS};

/// Why a call buffer could not be used at all (no status can be written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The buffer does not lie inside OS memory.
    #[error("RTAS buffer at {addr:#x} ({len} bytes) lies outside OS memory")]
    BufferOutside {
        /// Buffer address.
        addr: u64,
        /// Bytes the header announces.
        len: u64,
    },
    /// The typed API was asked for a service the machine does not publish.
    #[error("the machine has no {0} service")]
    NoService(Service),
}

/// A change-msi that answered busy and waits for its continuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub buid: u64,
    pub config_addr: u32,
    pub func: u32,
    pub count: u32,
    pub seq: u32,
}

/// A block of sources the firmware holds back after a renumbering resume, so that
/// the OS's new requests get other numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBlock {
    /// Index of the PHB whose pool it came from.
    pub phb: usize,
    /// First source.
    pub first: u32,
    /// Sources.
    pub count: u32,
}

/// The firmware: the machine, what `/rtas` publishes, and the call interface's state.
#[derive(Debug, Clone)]
pub struct Firmware {
    /// The hardware.
    pub machine: Machine,
    /// The interrupt scheme in force (see [`crate::hcall::H_SIM_IRQ_SCHEME`]): false,
    /// the old one (change-msi; no IMS) until the guest asks and the hypervisor agrees.
    pub new_irq_scheme: bool,
    /// The hypervisor refuses the new interrupt scheme (a simulator setting).
    pub refuse_new_scheme: bool,
    /// Published tokens and flags.
    pub tokens: Tokens,
    /// QEMU-style trace events (`spapr_pci_*`), while `qemu_tracing`.
    pub qemu_trace: Vec<String>,
    /// Whether QEMU-style trace events are kept.
    pub qemu_tracing: bool,
    /// Every call made, in order (while `log_enabled`).
    pub log: Vec<CallRecord>,
    /// Whether calls are logged.
    pub log_enabled: bool,
    /// Calls made through the entry point, logged or not.
    pub calls: u64,
    /// Injected faults.
    pub faults: FaultPlan,
    /// The time-of-day clock.
    pub clock: SimClock,
    /// What display-character printed.
    pub console: String,
    /// Set by power-off.
    pub powered_off: bool,
    /// Set by suspend-me until resumed.
    pub suspended: bool,
    /// Number of system-reboot resets.
    pub reboots: u32,
    /// Number of resumes that renumbered the sources.
    pub renumbers: u32,
    /// Sources the firmware holds back after a renumbering resume.
    pub held: Vec<HeldBlock>,
    /// Identity of the tree the machine was built from (a hash of its blob).
    pub tree_id: u64,
    pub(crate) pending: Option<Pending>,
    /// The partition making the current call.
    pub(crate) caller: u32,
    /// What the machine offers for interrupt controllers before CAS.
    pub intc_offer: crate::offer::IntcOffer,
    /// What client-architecture-support settled (None: no CAS made yet).
    pub cas: Option<papr_abi::cas::CasOutcome>,
    /// The source the bare-metal controller's XIVE register is about.
    pub(crate) ics_select: u32,
    scratch: Memory,
}

/// Trees of this many nodes or more have their identity taken on a second thread.
const PARALLEL_ID_NODES: usize = 4096;

/// Where the typed API builds its buffers.
const SCRATCH_BASE: u64 = 0x1000;

impl Firmware {
    /// Firmware for the machine a tree describes.
    pub fn new(tree: &Tree, cfg: &MachineConfig) -> Result<Firmware, Error> {
        // The tree's identity is a pass over all of it that nothing else needs: on a
        // large tree it is taken on a second thread while the machine is built.
        let (machine, tree_id) = if tree.node_count() >= PARALLEL_ID_NODES {
            std::thread::scope(|s| {
                let id = s.spawn(|| crate::tree_id::tree_id(tree));
                let machine = Machine::from_tree(tree, cfg);
                let id = id.join().unwrap_or_else(|_| crate::tree_id::tree_id(tree));
                (machine, id)
            })
        } else {
            (Machine::from_tree(tree, cfg), crate::tree_id::tree_id(tree))
        };
        Ok(Firmware {
            machine: machine?,
            tokens: Tokens::from_tree(tree)?,
            log: Vec::new(),
            log_enabled: true,
            calls: 0,
            qemu_trace: Vec::new(),
            qemu_tracing: false,
            new_irq_scheme: false,
            refuse_new_scheme: false,
            faults: FaultPlan::default(),
            clock: SimClock::default(),
            console: String::new(),
            powered_off: false,
            suspended: false,
            reboots: 0,
            renumbers: 0,
            held: Vec::new(),
            tree_id,
            pending: None,
            caller: 0,
            intc_offer: crate::offer::IntcOffer::from_tree(tree),
            cas: None,
            ics_select: 0,
            scratch: Memory::new(SCRATCH_BASE, 4 * (3 + MAX_CELLS as usize)),
        })
    }

    /// XIVE exploitation was negotiated: the `H_INT_*` calls answer.
    pub fn xive_active(&self) -> bool {
        self.intc_mode() == Some(papr_abi::cas::IntcMode::Xive)
    }

    /// Whether change-msi may answer busy: the OS said at CAS it handles it (an OS that
    /// made no CAS call gets the old behaviour).
    pub fn msi_busy_allowed(&self) -> bool {
        self.cas.is_none_or(|c| c.msi_busy)
    }

    /// Records a QEMU-style trace event.
    pub(crate) fn qtrace(&mut self, line: impl FnOnce() -> String) {
        if self.qemu_tracing {
            self.qemu_trace.push(line());
        }
    }

    /// The behaviour profile.
    pub fn profile(&self) -> Profile {
        self.machine.profile
    }

    /// The RTAS entry point for partition 0 (the only one of an unpartitioned machine).
    pub fn call_buffer(&mut self, mem: &mut Memory, addr: u64) -> Result<(), CallError> {
        self.call_buffer_as(0, mem, addr)
    }

    /// The RTAS entry point: executes the call whose buffer is at `addr` in `mem`, made
    /// by `partition`. Whatever names a PHB, function or source of another partition
    /// answers -3 and changes nothing.
    pub fn call_buffer_as(
        &mut self,
        partition: u32,
        mem: &mut Memory,
        addr: u64,
    ) -> Result<(), CallError> {
        self.caller = partition;
        self.calls += 1;
        let outside = |len: u64| CallError::BufferOutside { addr, len };
        let mut head = [0u32; 3];
        if !mem.read_cells(addr, &mut head) {
            return Err(outside(12));
        }
        let [token, nargs, nret] = head;
        let len = 12 + 4 * (nargs as u64 + nret as u64);
        if !mem.contains(addr, usize::try_from(len).unwrap_or(usize::MAX)) {
            return Err(outside(len));
        }
        let args_addr = addr + 12;
        let rets_addr = args_addr + 4 * nargs as u64;
        let service = self.tokens.service(token);
        let mut rets = Rets::new(nret);
        {
            let args = Args {
                mem,
                addr: args_addr,
                n: nargs,
            };
            let too_many = nargs + nret > MAX_CELLS && self.profile() == Profile::Papr;
            match service {
                _ if nret == 0 => {}
                None => rets.status(status::PARAM_ERROR),
                Some(s) if too_many => {
                    log::debug!("{s}: {nargs} args + {nret} rets is more than {MAX_CELLS} cells");
                    rets.status(status::PARAM_ERROR)
                }
                Some(s) => self.dispatch(s, &args, &mut rets),
            }
        }
        for (at, bytes) in std::mem::take(&mut rets.stores) {
            mem.write_bytes(at, &bytes);
        }
        let written = (rets.n() as usize).min(rets.cells.len());
        for (i, c) in rets.cells[..written].iter().enumerate() {
            if let Some(v) = c {
                mem.write_u32(rets_addr + 4 * i as u64, *v);
            }
        }
        if self.log_enabled || log::log_enabled!(log::Level::Trace) {
            let args: Vec<u32> = (0..nargs)
                .filter_map(|i| mem.read_u32(args_addr + 4 * i as u64))
                .collect();
            let out: Vec<u32> = (0..nret)
                .filter_map(|i| mem.read_u32(rets_addr + 4 * i as u64))
                .collect();
            let name = service
                .map(|s| s.name().to_string())
                .unwrap_or_else(|| format!("token:{token:#x}"));
            if log::log_enabled!(log::Level::Trace) {
                // The status is signed, as the OS reads it.
                let signed: Vec<i64> = out
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| if i == 0 { v as i32 as i64 } else { v as i64 })
                    .collect();
                log::trace!("rtas {name} {args:?} -> {signed:?}");
            }
            if self.log_enabled {
                self.log.push(CallRecord::new(name, args, &out));
            }
        }
        Ok(())
    }

    /// The typed API: calls a service with `args`, asking for `nret` outputs (zeroed
    /// first, as Linux does), through the same buffer path.
    pub fn call(&mut self, s: Service, args: &[u32], nret: usize) -> Result<Vec<u32>, CallError> {
        let token = self.tokens.token(s).ok_or(CallError::NoService(s))?;
        self.call_token(token, args, nret)
    }

    /// Like [`Firmware::call`] with a raw token.
    pub fn call_token(
        &mut self,
        token: u32,
        args: &[u32],
        nret: usize,
    ) -> Result<Vec<u32>, CallError> {
        let mut out = vec![0; nret];
        self.call_token_into(token, args, &mut out)?;
        Ok(out)
    }

    /// Like [`Firmware::call`], the outputs into `out` (its length is nret).
    pub fn call_into(
        &mut self,
        s: Service,
        args: &[u32],
        out: &mut [u32],
    ) -> Result<(), CallError> {
        let token = self.tokens.token(s).ok_or(CallError::NoService(s))?;
        self.call_token_into(token, args, out)
    }

    /// Like [`Firmware::call`], made by `partition`.
    pub fn call_as(
        &mut self,
        partition: u32,
        s: Service,
        args: &[u32],
        nret: usize,
    ) -> Result<Vec<u32>, CallError> {
        let token = self.tokens.token(s).ok_or(CallError::NoService(s))?;
        let mut out = vec![0; nret];
        self.call_token_into_as(partition, token, args, &mut out)?;
        Ok(out)
    }

    /// Like [`Firmware::call_into`], made by `partition`.
    pub fn call_into_as(
        &mut self,
        partition: u32,
        s: Service,
        args: &[u32],
        out: &mut [u32],
    ) -> Result<(), CallError> {
        let token = self.tokens.token(s).ok_or(CallError::NoService(s))?;
        self.call_token_into_as(partition, token, args, out)
    }

    /// Like [`Firmware::call_into`] with a raw token.
    pub fn call_token_into(
        &mut self,
        token: u32,
        args: &[u32],
        out: &mut [u32],
    ) -> Result<(), CallError> {
        self.call_token_into_as(0, token, args, out)
    }

    /// Like [`Firmware::call_token_into`], made by `partition`.
    pub fn call_token_into_as(
        &mut self,
        partition: u32,
        token: u32,
        args: &[u32],
        out: &mut [u32],
    ) -> Result<(), CallError> {
        let nret = out.len();
        let cells = 3 + args.len() + nret;
        let mut mem = std::mem::replace(&mut self.scratch, Memory::new(0, 0));
        if mem.len() < 4 * cells {
            mem = Memory::new(SCRATCH_BASE, 4 * cells);
        }
        let base = mem.base();
        let rets_at = mem.write_call(base, token, args, nret).unwrap_or(base);
        let r = self.call_buffer_as(partition, &mut mem, base);
        for (i, o) in out.iter_mut().enumerate() {
            *o = mem.read_u32(rets_at + 4 * i as u64).unwrap_or(0);
        }
        self.scratch = mem;
        r
    }

    fn dispatch(&mut self, s: Service, args: &Args, rets: &mut Rets) {
        // change-msi applies its own faults (busy only where LoPAPR allows it).
        if s != Service::ChangeMsi {
            match self.faults.take(s, true) {
                Some(crate::faults::Fault::Busy) => return rets.status(status::BUSY),
                Some(crate::faults::Fault::Delay(d)) => {
                    return rets.status(status::EXTENDED_DELAY_BASE + d.min(5) as i32)
                }
                Some(crate::faults::Fault::HwError) => return rets.status(status::HW_ERROR),
                Some(crate::faults::Fault::Status(s)) => return rets.status(s),
                _ => {}
            }
        }
        match s {
            Service::ChangeMsi => self.change_msi(args, rets),
            Service::QueryInterruptSourceNumber => self.query_source(args, rets),
            Service::IbmReadPciConfig => self.read_config(args, rets, true),
            Service::IbmWritePciConfig => self.write_config(args, rets, true),
            Service::ReadPciConfig => self.read_config(args, rets, false),
            Service::WritePciConfig => self.write_config(args, rets, false),
            Service::SetXive => self.set_xive(args, rets),
            Service::GetXive => self.get_xive(args, rets),
            Service::IntOff => self.int_off(args, rets),
            Service::IntOn => self.int_on(args, rets),
            Service::SuspendMe => self.suspend_me(args, rets),
            Service::GetTimeOfDay => self.get_time_of_day(args, rets),
            Service::DisplayCharacter => self.display_character(args, rets),
            Service::PowerOff => self.power_off(args, rets),
            Service::SystemReboot => self.system_reboot(args, rets),
            Service::SetSlotReset => self.set_slot_reset(args, rets),
            Service::SetEehOption => self.set_eeh_option(args, rets),
            Service::GetConfigAddrInfo2 => self.get_config_addr_info2(args, rets),
            Service::ReadSlotResetState2 => self.read_slot_reset_state2(args, rets),
            Service::ConfigurePe => self.configure_pe(args, rets),
            Service::SlotErrorDetail => self.slot_error_detail(args, rets),
            Service::GetSensorState => self.get_sensor_state(args, rets),
            Service::SetIndicator => self.set_indicator(args, rets),
            Service::ConfigureConnector => self.configure_connector(args, rets),
        }
    }

    /// A function by BUID and address, if the calling partition may touch it.
    pub(crate) fn find_fn(&self, buid: u64, addr: crate::pci::PciAddr) -> Option<crate::FnRef> {
        let r = self.machine.find(buid, addr)?;
        (self.machine.phbs[r.phb].partition == self.caller).then_some(r)
    }

    /// A PHB by BUID: `Err(true)` when it belongs to another partition.
    pub(crate) fn find_phb(&self, buid: u64) -> Result<usize, bool> {
        match self.machine.phb_by_buid(buid) {
            Some(p) if self.machine.phbs[p].partition == self.caller => Ok(p),
            Some(_) => Err(true),
            None => Err(false),
        }
    }

    /// Whether the calling partition may touch an interrupt source.
    pub(crate) fn source_visible(&self, src: u32) -> bool {
        !self.machine.partitioned()
            || self
                .machine
                .partition_of_source(src)
                .is_none_or(|p| p == self.caller)
    }

    /// Checks declared counts in the papr profile; answers -3 when they are wrong.
    pub(crate) fn counts_ok(&self, args: &Args, rets: &mut Rets, nargs: u32, nret: &[u32]) -> bool {
        if args.n == nargs && nret.contains(&rets.n()) {
            return true;
        }
        rets.status(status::PARAM_ERROR);
        false
    }
}
