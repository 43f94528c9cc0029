//! The simulated OS: boot through the ops table, the PCI scan, the generic MSI layer,
//! the irq layer and suspend/resume. It reaches the machine only through its [`Port`];
//! everything else it learns from the device tree.

pub mod client;
pub mod defaults;
pub mod eeh;
pub mod hotplug;
mod interrupts;
mod msi;
mod msi_device;
mod msi_ims;
mod msi_pci;
pub mod msi_store;
pub mod msi_stores;
pub mod of;
pub mod ops;
pub mod pci;
pub mod prom_init;
pub mod rtas;
mod scan;
pub mod suspend;
pub mod xive;

pub use self::rtas::RtasTokens;
pub use interrupts::Handled;
pub use suspend::HeldVirq;

use crate::error::Error;
use crate::irq::IrqDomain;
use crate::port::Port;
use crate::trace::tracer::{self, Tracer};
use crate::trace::{Event, Sink};
use of_tree::{NodeId, Tree};
use ops::{MachineDescription, MsiType};
use papr_abi::pci::PciAddr;

/// Index of a device in [`Kernel::devices`].
pub type DevId = usize;

/// Linux's default interrupt priority on XICS.
pub const DEFAULT_PRIORITY: u32 = 5;
/// The priority Linux uses for every interrupt under XIVE.
pub const XIVE_PRIORITY: u32 = 6;

/// A message a device sends: address and data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MsiMessage {
    /// Address.
    pub address: u64,
    /// Data.
    pub data: u32,
}

/// The vectors a driver holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiState {
    /// MSI or MSI-X.
    pub kind: MsiType,
    /// OS interrupt numbers, one per vector the driver asked for.
    pub virqs: Vec<u32>,
    /// Hardware source behind each vector.
    pub sources: Vec<u32>,
    /// Message read back from the device, per vector.
    pub messages: Vec<MsiMessage>,
    /// Vectors the firmware granted (may exceed the driver's count after rounding).
    pub granted: u32,
}

/// A PCI function as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Linux's name: `domain:bus:device.function`.
    pub name: String,
    /// Device tree node.
    pub node: NodeId,
    /// Node path.
    pub path: String,
    /// Index of its PHB in [`Kernel::phbs`].
    pub phb: usize,
    /// Its PHB's BUID.
    pub buid: u64,
    /// Bus and devfn.
    pub addr: PciAddr,
    /// Hardware source of its LSI, if it has one.
    pub lsi: Option<u32>,
    /// OS interrupt number of its LSI.
    pub lsi_virq: Option<u32>,
    /// Its driver requested the LSI (request_irq on it).
    pub lsi_requested: bool,
    /// MSI state while a driver holds vectors.
    pub msi: Option<MsiState>,
    /// The device cannot take 64-bit MSI addresses (`pseries-sim,no-64bit-msi`).
    pub no_64bit_msi: bool,
    /// A PCI-PCI or CardBus bridge (by class code).
    pub is_bridge: bool,
    /// Where its MSI and MSI-X capabilities are, once looked up (Linux's
    /// `pdev->msi_cap` / `msix_cap`).
    pub caps: CapOffsets,
    /// EEH: its PE and the config registers saved when EEH was enabled on it.
    pub eeh: Option<eeh::EehDev>,
    /// A non-PCI MSI device (named by its node path, found by
    /// [`papr_abi::msgdev::PROP_MSI_VECTORS`]): its message slots. None for PCI functions.
    pub msi_device: Option<MsiDeviceInfo>,
    /// Hot-removed: gone from the tree and the machine. The entry stays so that other
    /// devices keep their [`DevId`]; lookups by name or address skip it.
    pub removed: bool,
}

/// A non-PCI MSI device as the OS knows it from its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiDeviceInfo {
    /// CPU address of its message slots (`reg`).
    pub base: u64,
    /// Vectors it has (`pseries-sim,msi-vectors`).
    pub vectors: u32,
    /// What is wrong with its `msi-parent`, naming the node (None: a PHB's MSI
    /// controller, [`Device::phb`]).
    pub parent_problem: Option<String>,
}

/// A function's MSI and MSI-X capability offsets, each found once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapOffsets {
    /// MSI: None until looked up, then Some(offset or None).
    pub msi: Option<Option<u32>>,
    /// MSI-X, likewise.
    pub msix: Option<Option<u32>>,
}

/// A bare-metal PHB's MSI range and the OS's own allocator over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiRange {
    /// Where messages go.
    pub address: u64,
    /// The allocator (Linux's `msi_bitmap`).
    pub bitmap: crate::msi_bitmap::MsiBitmap,
}

/// A PHB as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhbInfo {
    /// PCI domain number.
    pub domain: u32,
    /// BUID.
    pub buid: u64,
    /// Node.
    pub node: NodeId,
    /// Bare metal: the MSI range the tree gives and the OS allocates from.
    pub msi: Option<MsiRange>,
    /// Its memory windows (None: no `ranges`, bus addresses are CPU addresses).
    pub windows: Option<Vec<pci::MemWindow>>,
}

/// Which interrupt controller the OS drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerKind {
    /// XICS (presentation `IBM,ppc-xicp`).
    Xics,
    /// XIVE (`ibm,power-ivpe`), driven by hypervisor calls.
    Xive,
    /// Another controller, programmed through its registers.
    Other,
}

/// The interrupt controller found by init_irq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    /// Node path.
    pub path: String,
    /// Kind.
    pub kind: ControllerKind,
    /// CPU address of its source registers, when the tree gives them.
    pub registers: Option<u64>,
}

/// What the OS does besides booting.
#[derive(Debug, Clone, Copy)]
pub struct OsOptions {
    /// Keep a trace of events (off for large machines).
    pub trace: bool,
    /// Drivers request their interrupts (unmask them at the controller) after setup.
    pub request_irqs: bool,
    /// Which code negotiates MSIs.
    pub client: client::Client,
    /// The interrupt mode asked for at client-architecture-support.
    pub cas: prom_init::CasRequest,
    /// Say at CAS (vector 4) that change-msi may answer busy (Linux 6.1 does not).
    pub msi_busy: bool,
    /// Enable EEH on every device after the PCI scan (Linux's EEH probe).
    pub eeh: bool,
    /// Ask the hypervisor at boot for the new interrupt scheme (IMS; messages by call);
    /// off, as an older guest.
    pub negotiate_ims: bool,
}

impl Default for OsOptions {
    fn default() -> Self {
        OsOptions {
            trace: true,
            request_irqs: true,
            client: client::Client::Model,
            cas: prom_init::CasRequest::Auto,
            msi_busy: false,
            eeh: false,
            negotiate_ims: false,
        }
    }
}

/// The OS.
pub struct Kernel {
    /// The device tree it booted from (read with [`Kernel::tree`]).
    pub(crate) tree: Tree,
    /// Its port to the machine.
    pub(crate) port: Box<dyn Port>,
    /// The machine description that accepted the tree.
    pub desc: &'static MachineDescription,
    /// RTAS services the tree's `/rtas` publishes (None: no RTAS).
    pub rtas: Option<RtasTokens>,
    /// Running under a hypervisor (`ibm,hypertas-functions`).
    pub hypervisor: bool,
    /// The interrupt controller found by init_irq.
    pub intc: Option<Controller>,
    /// The interrupt mode client-architecture-support settled (None: no CAS made).
    pub intc_mode: Option<papr_abi::cas::IntcMode>,
    /// The XIVE driver's state, once init_irq set it up.
    pub xive: Option<xive::XiveOs>,
    /// PHBs found.
    pub phbs: Vec<PhbInfo>,
    /// MSI support is set up.
    pub msi_enabled: bool,
    /// The kind of the request whose failed setup is being torn down (the kind of
    /// Linux's MSI descriptors then), for a teardown that holds no state yet.
    pub setup_kind: Option<MsiType>,
    /// The new interrupt scheme is in force (the guest asked, the hypervisor agreed):
    /// IMS is available.
    pub new_irq_scheme: bool,
    /// PCI devices, in scan order.
    pub devices: Vec<Device>,
    /// OS interrupt numbers.
    pub irq: IrqDomain,
    /// What happened, in order (when no sink takes the events as they happen).
    pub trace: Vec<Event>,
    /// Where events go: kept in `trace`, streamed, or nowhere.
    tracer: Box<dyn Tracer>,
    /// Options it booted with.
    pub opts: OsOptions,
    /// Interrupts taken that no handler took.
    pub spurious: u64,
    /// Suspended (between suspend and resume).
    pub suspended: bool,
    /// Every MSI virq held at the last suspend.
    pub snapshot: Vec<HeldVirq>,
    /// What the machine description keeps for itself (the static data of its file in
    /// Linux): set and read by the description alone.
    pub platform_data: Option<Box<dyn std::any::Any>>,
    /// The compiled Linux client negotiating MSIs instead of the description's hooks.
    pub(crate) client: Option<Box<dyn client::MsiClient>>,
}

/// Linux's name of a function.
pub fn pci_name(domain: u32, addr: PciAddr) -> String {
    // `{:04x}:{:02x}:{:02x}.{:x}`, written digit by digit: the scan names every
    // function, and `format!` costs more than the rest of naming it.
    fn hex(s: &mut String, v: u32, width: usize) {
        let digits = (32 - v.leading_zeros()).div_ceil(4).max(width as u32);
        for i in (0..digits).rev() {
            let d = (v >> (4 * i)) & 0xf;
            s.push(char::from_digit(d, 16).unwrap_or('0'));
        }
    }
    let mut s = String::with_capacity(12);
    hex(&mut s, domain, 4);
    s.push(':');
    hex(&mut s, addr.bus.into(), 2);
    s.push(':');
    hex(&mut s, addr.device().into(), 2);
    s.push('.');
    hex(&mut s, addr.function().into(), 1);
    s
}

/// How the OS picks its description.
#[derive(Debug, Clone, Copy)]
pub enum Select {
    /// The first of these whose probe accepts the tree.
    Probe(&'static [&'static MachineDescription]),
    /// This one, without probing.
    Force(&'static MachineDescription),
}

impl Kernel {
    /// Boots from a tree through a port: probe, RTAS instantiation, setup_arch,
    /// init_irq, PHB discovery, MSI init, PCI scan with the per-function fix-up.
    pub fn boot(
        mut tree: Tree,
        mut port: Box<dyn Port>,
        select: Select,
        opts: OsOptions,
        sink: Option<Sink>,
    ) -> Result<Kernel, Error> {
        let mut tracer = tracer::for_options(opts.trace, sink);
        let mut trace = Vec::new();
        let mut record = |tracer: &mut Box<dyn Tracer>, e: Event| {
            if let Some(e) = tracer.take(e) {
                trace.push(e);
            }
        };
        let mut msgs = Vec::new();
        let intc_mode = prom_init::client_architecture_support(
            &mut tree,
            port.as_mut(),
            opts.cas,
            opts.msi_busy,
            &mut msgs,
        )?;
        if let Some(m) = intc_mode {
            msgs.push(format!(
                "client-architecture-support: interrupt controller {}",
                m.to_string().to_uppercase()
            ));
        }
        if tracer.enabled() {
            for text in msgs {
                record(&mut tracer, Event::Msg { text });
            }
        }
        let desc = match select {
            Select::Force(d) => d,
            Select::Probe(list) => {
                let mut found = None;
                for d in list {
                    let ok = (d.probe)(&tree);
                    if tracer.enabled() {
                        let e = Event::Hook {
                            hook: "probe",
                            machine: d.name,
                            detail: if ok { "accepted" } else { "declined" }.into(),
                        };
                        record(&mut tracer, e);
                    }
                    if ok {
                        found = Some(*d);
                        break;
                    }
                }
                found.ok_or(Error::NoMachine)?
            }
        };
        let rtas = RtasTokens::from_tree(&tree);
        let mut k = Kernel {
            tree,
            port,
            desc,
            rtas,
            hypervisor: false,
            intc: None,
            intc_mode,
            xive: None,
            phbs: Vec::new(),
            msi_enabled: false,
            setup_kind: None,
            new_irq_scheme: false,
            devices: Vec::new(),
            irq: IrqDomain::default(),
            trace,
            tracer,
            opts,
            spurious: 0,
            suspended: false,
            snapshot: Vec::new(),
            platform_data: None,
            client: None,
        };
        k.hook("setup_arch", "");
        if let Some(h) = desc.setup_arch {
            h(&mut k)?;
        }
        k.hook("init_irq", "");
        match desc.init_irq {
            Some(h) => h(&mut k)?,
            None => defaults::init_irq(&mut k)?,
        }
        k.hook("discover_phbs", "");
        match desc.discover_phbs {
            Some(h) => h(&mut k)?,
            None => defaults::discover_phbs(&mut k)?,
        }
        k.hook("msi_init", "");
        k.msi_enabled = match (opts.client, desc.msi_init) {
            (client::Client::Built(c), Some(_)) => {
                let mut inst = c.instantiate()?;
                let ok = inst.msi_init(&mut k);
                k.client = Some(inst);
                ok
            }
            (_, Some(h)) => h(&mut k),
            (_, None) => false,
        };
        if !k.msi_enabled {
            k.msg("no MSI support: drivers use LSIs".to_string());
        }
        k.pci_scan()?;
        k.msi_device_scan();
        if opts.eeh {
            k.eeh_probe_all();
        }
        Ok(k)
    }

    /// The device tree the OS runs on.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The port the OS reaches the machine through.
    pub fn port(&self) -> &dyn Port {
        self.port.as_ref()
    }

    /// The port, mutable (the simulator's view of the machine behind it).
    pub fn port_mut(&mut self) -> &mut dyn Port {
        self.port.as_mut()
    }

    /// The device tree, to update (as a DLPAR or a property update does); what the
    /// machine description derived from it (its quota counts) is computed again.
    pub fn tree_mut(&mut self) -> &mut Tree {
        self.platform_data = None;
        &mut self.tree
    }

    /// Records an event: to the sink, else in `trace`.
    pub(crate) fn emit(&mut self, e: Event) {
        if let Some(e) = self.tracer.take(e) {
            self.trace.push(e);
        }
    }

    /// Whether trace events are wanted (else none is built).
    pub(crate) fn tracing(&self) -> bool {
        self.tracer.enabled()
    }

    /// Records a hook call.
    pub(crate) fn hook(&mut self, hook: &'static str, detail: &str) {
        log::debug!("{}.{hook} {detail}", self.desc.name);
        if self.tracing() {
            self.emit(Event::Hook {
                hook,
                machine: self.desc.name,
                detail: detail.to_string(),
            });
        }
    }

    /// Whether messages are wanted (trace or debug log).
    pub(crate) fn verbose(&self) -> bool {
        self.tracing() || log::log_enabled!(log::Level::Debug)
    }

    /// Records a message (for the simulator's notes in a run's trace).
    pub fn note(&mut self, text: String) {
        self.msg(text);
    }

    /// Records a message in the words of Linux's debug output.
    pub(crate) fn msg(&mut self, text: String) {
        log::debug!("{text}");
        if self.tracing() {
            self.emit(Event::Msg { text });
        }
    }

    /// Records a message built only when messages are wanted (see [`Kernel::msg`]).
    pub(crate) fn msg_with(&mut self, text: impl FnOnce(&Kernel) -> String) {
        if self.verbose() {
            let text = text(self);
            self.msg(text);
        }
    }

    /// Records a driver's event.
    pub(crate) fn driver_event(
        &mut self,
        dev: DevId,
        text: String,
        detail: crate::trace::DriverDetail,
    ) {
        if self.tracing() {
            let device = self.devices[dev].name.clone();
            self.emit(Event::Driver {
                device,
                text,
                detail,
            });
        }
    }

    /// A device by its Linux name.
    pub fn device(&self, name: &str) -> Result<DevId, Error> {
        self.devices
            .iter()
            .position(|d| d.name == name && !d.removed)
            .ok_or_else(|| Error::NoDevice(name.to_string()))
    }

    /// A device by its PHB's BUID and bus address.
    pub fn device_at(&self, buid: u64, addr: PciAddr) -> Option<DevId> {
        self.devices
            .iter()
            .position(|d| d.buid == buid && d.addr == addr && !d.removed)
    }

    /// A hypervisor call through the port, traced.
    pub fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64> {
        let rets = self.port.hcall(opcode, args);
        if self.tracing() {
            self.emit(Event::Hcall {
                name: papr_abi::hcall::name(opcode),
                args: args.to_vec(),
                rets: rets.clone(),
            });
        }
        rets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_names_as_format_writes_them() {
        let cases = [
            (0, 0, 0),
            (1, 2, 0xff),
            (0xffff, 0xff, 8),
            (0x12345, 0x10, 0x21),
        ];
        for (domain, bus, devfn) in cases {
            let addr = PciAddr { bus, devfn };
            let want = format!(
                "{:04x}:{:02x}:{:02x}.{:x}",
                domain,
                bus,
                addr.device(),
                addr.function()
            );
            assert_eq!(pci_name(domain, addr), want);
        }
    }
}
